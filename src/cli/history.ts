import { formatDuration } from '../format.js';
import { printable } from '../printable.js';
import type { HistoryEntry } from '../journal/index.js';

/** `2026-11-30 02:15:00`: a moment in local time, as the history and the "already running" line say it. */
export function localDateTime(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${day} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** One run as `jobhooks history --json` prints it (docs/cli.md): exactly these fields. */
export interface HistoryJson {
  readonly jobId: string;
  readonly status: HistoryEntry['status'];
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly durationMs: number | null;
  readonly failedTask: string | null;
  readonly pid: number;
  /** A rehearsal's task and outcome (`jobhooks rehearse`); `null` for a real run. */
  readonly rehearsal: HistoryEntry['rehearsal'];
}

/** The `--json` shape of one entry: the documented fields and no others. */
export function historyJson(entry: HistoryEntry): HistoryJson {
  const { jobId, status, startedAt, finishedAt, durationMs, failedTask, pid, rehearsal } = entry;
  return { jobId, status, startedAt, finishedAt, durationMs, failedTask, pid, rehearsal };
}

const STATUS_WIDTH = 'completed_with_warnings'.length;
const DURATION_WIDTH = 8;

/**
 * The plain history, newest first, one run a line (docs/cli.md):
 * `2026-11-30 02:15:00  1m 05s    completed                archive nightly-2026-11-30`, then
 * `failed task: <name>` for a run that failed, was cancelled or was interrupted. A run still going
 * shows `running` and no duration. Empty when there is no run.
 */
export function formatHistory(entries: readonly HistoryEntry[]): string {
  return entries
    .map((entry) => {
      const duration = entry.durationMs === null ? '-' : formatDuration(entry.durationMs);
      const notes: string[] = [];
      if (entry.rehearsal !== null) notes.push(`rehearsal (${rehearsalText(entry.rehearsal)})`);
      if (entry.failedTask !== null) notes.push(`failed task: ${printable(entry.failedTask)}`);
      if (entry.archive !== null) notes.push(`archive ${printable(entry.archive)}`);
      const columns = [localDateTime(new Date(entry.startedAt)), duration.padEnd(DURATION_WIDTH), notes.length === 0 ? entry.status : entry.status.padEnd(STATUS_WIDTH), ...notes];
      return `${columns.join('  ')}\n`;
    })
    .join('');
}

/** `"Create archive" fails`: what a rehearsal injected, as the history says it. */
export function rehearsalText(rehearsal: NonNullable<HistoryEntry['rehearsal']>): string {
  const what = { fail: 'fails', timeout: 'times out', cancel: 'is cancelled' }[rehearsal.outcome];
  return `"${rehearsal.task}" ${what}`;
}
