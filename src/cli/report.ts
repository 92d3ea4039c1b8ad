import { formatDuration } from '../format.js';
import type { HistoryEntryWithTasks, HistoryTask } from '../journal/index.js';
import { localDateTime, rehearsalText } from './history.js';

/*
 * `jobhooks history --html` (docs/observability.md, "A picture of the runs"): one page that needs
 * nothing else — inline CSS and SVG, no script, no font, no link — so it opens from a mail, a CI
 * artifact or a host without network. Every text from the config or the journal is escaped.
 */

/** The colour of each run status, and of each task status, in both charts and the legend. */
export const RUN_COLOURS = {
  completed: '#2e7d32',
  completed_with_warnings: '#f9a825',
  failed: '#c62828',
  cancelled: '#ef6c00',
  interrupted: '#6a1b9a',
  skipped: '#9e9e9e',
  running: '#1565c0',
} as const satisfies Record<HistoryEntryWithTasks['status'], string>;

export const TASK_COLOURS = {
  completed: '#2e7d32',
  failed: '#c62828',
  skipped: '#9e9e9e',
  running: '#1565c0',
  pending: '#e0e0e0',
} as const satisfies Record<HistoryTask['status'], string>;

/** The longest bar, in pixels: the longest run (timeline) or the whole latest run (Gantt chart). */
export const BAR_MAX_PX = 640;
const LABEL_PX = 200;
/** Right of the longest bar: room for its value, `26h 03m · completed_with_warnings`. */
const VALUE_PX = 260;
const ROW_PX = 26;
const BAR_PX = 18;
/** A bar is never thinner than this, so that a run of a few milliseconds can still be hovered. */
const BAR_MIN_PX = 2;

/** `&`, `<`, `>`, `"` and `'` as entities: safe in text and in quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function width(durationMs: number, scaleMs: number): number {
  return Math.max(BAR_MIN_PX, scaleMs <= 0 ? BAR_MIN_PX : (durationMs / scaleMs) * BAR_MAX_PX);
}

const px = (value: number): string => String(Math.round(value * 100) / 100);

/**
 * What hovering a run's bar says: when, how long, how it ended, whether it was a rehearsal, and the
 * task the failure is about.
 */
export function runTooltip(entry: HistoryEntryWithTasks): string {
  const length = entry.durationMs !== null ? formatDuration(entry.durationMs) : entry.status === 'interrupted' ? 'when it died is not known' : 'no end recorded';
  const parts = [localDateTime(new Date(entry.startedAt)), length, entry.status];
  if (entry.rehearsal !== null) parts.push(`rehearsal (${rehearsalText(entry.rehearsal)})`);
  if (entry.status === 'interrupted' && entry.failedTask !== null) parts.push(`jobhooks (pid ${entry.pid}) died during '${entry.failedTask}'`);
  else if (entry.failedTask !== null) parts.push(`failed task: ${entry.failedTask}${entry.error === null ? '' : ` (${entry.error})`}`);
  if (entry.archive !== null) parts.push(`archive ${entry.archive}`);
  parts.push(`job id ${entry.jobId}`);
  return parts.join(' · ');
}

function timeline(entries: readonly HistoryEntryWithTasks[]): string {
  const scaleMs = Math.max(0, ...entries.map((entry) => entry.durationMs ?? 0));
  const rows = entries.map((entry, row) => {
    const y = row * ROW_PX;
    const barWidth = entry.durationMs === null ? BAR_MIN_PX : width(entry.durationMs, scaleMs);
    const label = entry.durationMs === null ? '-' : formatDuration(entry.durationMs);
    return [
      `<g class="run" data-job-id="${escapeHtml(entry.jobId)}" data-status="${escapeHtml(entry.status)}" data-duration-ms="${entry.durationMs ?? ''}">`,
      `<title>${escapeHtml(runTooltip(entry))}</title>`,
      `<text x="0" y="${y + 14}">${escapeHtml(localDateTime(new Date(entry.startedAt)))}</text>`,
      `<rect class="bar" x="${LABEL_PX}" y="${y + 2}" width="${px(barWidth)}" height="${BAR_PX}" fill="${RUN_COLOURS[entry.status]}"/>`,
      `<text class="value" x="${px(LABEL_PX + barWidth + 6)}" y="${y + 14}">${escapeHtml(`${label} · ${entry.status}`)}</text>`,
      '</g>',
    ].join('');
  });
  return svg('timeline', 'Recent runs, newest first; bar length is the duration', entries.length, rows);
}

function gantt(entry: HistoryEntryWithTasks): string {
  const start = Date.parse(entry.startedAt);
  const times = entry.tasks.flatMap((task) => [task.startedAt, task.finishedAt]).filter((at): at is string => at !== null).map(Date.parse);
  const end = entry.finishedAt === null ? Math.max(start, ...times) : Date.parse(entry.finishedAt);
  const scaleMs = end - start;
  const rows = entry.tasks.map((task, row) => {
    const y = row * ROW_PX;
    const taskStart = task.startedAt === null ? null : Date.parse(task.startedAt);
    const taskEnd = task.finishedAt === null ? end : Date.parse(task.finishedAt);
    const durationMs = taskStart === null ? null : Math.max(0, taskEnd - taskStart);
    const parts = [task.name, task.phase, task.status];
    if (durationMs !== null) parts.push(formatDuration(durationMs));
    const bar =
      taskStart === null || durationMs === null
        ? `<text class="value" x="${LABEL_PX}" y="${y + 14}">${task.status === 'skipped' ? 'skipped' : 'not run'}</text>`
        : `<rect class="bar" x="${px(LABEL_PX + (scaleMs <= 0 ? 0 : ((taskStart - start) / scaleMs) * BAR_MAX_PX))}" y="${y + 2}" width="${px(width(durationMs, scaleMs))}" height="${BAR_PX}" fill="${TASK_COLOURS[task.status]}"/>`;
    return [
      `<g class="task" data-status="${escapeHtml(task.status)}" data-duration-ms="${durationMs ?? ''}">`,
      `<title>${escapeHtml(parts.join(' · '))}</title>`,
      // In a viewport of its own, which clips it: a name of wide letters never runs into the bars.
      `<svg x="0" y="${y}" width="${LABEL_PX - 8}" height="${ROW_PX}"><text x="0" y="14">${escapeHtml(truncate(task.name, 28))}</text></svg>`,
      bar,
      '</g>',
    ].join('');
  });
  return svg('gantt', 'The tasks of the latest run on its time line', entry.tasks.length, rows);
}

/** At most `length` characters (code points: an emoji is never cut in two), the last one `…` when cut. */
function truncate(text: string, length: number): string {
  const characters = Array.from(text);
  return characters.length <= length ? text : `${characters.slice(0, length - 1).join('')}…`;
}

function svg(id: string, label: string, rows: number, content: readonly string[]): string {
  const height = Math.max(1, rows) * ROW_PX;
  return `<svg id="${id}" role="img" aria-label="${escapeHtml(label)}" width="${LABEL_PX + BAR_MAX_PX + VALUE_PX}" height="${height}" viewBox="0 0 ${LABEL_PX + BAR_MAX_PX + VALUE_PX} ${height}">${content.join('\n')}</svg>`;
}

function legend(colours: Readonly<Record<string, string>>): string {
  return `<ul class="legend">${Object.entries(colours)
    .map(([status, colour]) => `<li><span class="swatch" style="background:${colour}"></span>${status}</li>`)
    .join('')}</ul>`;
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #212121; background: #fff; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
code { font: 13px ui-monospace, monospace; }
svg text { font: 12px system-ui, sans-serif; fill: #212121; }
svg g:hover rect.bar { stroke: #000; stroke-width: 1.5; }
.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 14px; }
.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; }
.note { color: #616161; }
`;

/**
 * The page: a timeline of `entries` (newest first: bar length = duration, colour = status, hover =
 * what the run's `<title>` says: the failed task, or the task jobhooks died during) and a Gantt chart
 * of the newest run's tasks. `file` is the config as the user named it.
 */
export function historyReport(file: string, entries: readonly HistoryEntryWithTasks[], generatedAt: Date): string {
  const [latest] = entries;
  const body =
    latest === undefined
      ? `<p>No run of <code>${escapeHtml(file)}</code> is recorded.</p>`
      : [
          `<p class="note">${entries.length} run${entries.length === 1 ? '' : 's'}, newest first. Bar length is the duration; hover a bar for the failed task.</p>`,
          `<h2>Recent runs</h2>`,
          legend(RUN_COLOURS),
          timeline(entries),
          `<h2>Latest run: ${escapeHtml(`${localDateTime(new Date(latest.startedAt))}, ${latest.status}`)}</h2>`,
          legend(TASK_COLOURS),
          gantt(latest),
        ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>jobhooks history: ${escapeHtml(file)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Runs of <code>${escapeHtml(file)}</code></h1>
${body}
<p class="note">Made by jobhooks history --html at ${escapeHtml(localDateTime(generatedAt))}.</p>
</body>
</html>
`;
}
