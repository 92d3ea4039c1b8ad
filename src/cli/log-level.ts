import type { JobResult, TaskResult } from '../types.js';

/** How serious a log line is (docs/observability.md, "Logs"): a failure is `error`, a warning `warning`. */
export type LogLevel = 'info' | 'warning' | 'error';

/**
 * syslog's priorities, as systemd's journal reads them at the start of a line (`SyslogLevelPrefix=`,
 * on by default): `journalctl -p err` then shows failures only.
 */
export const SYSLOG_PRIORITY: Readonly<Record<LogLevel, number>> = { error: 3, warning: 4, info: 6 };

/** A finished task's level: failed (cancelled and timed out included) is `error`, completed with warnings `warning`. */
export function taskLevel(task: TaskResult): LogLevel {
  if (task.status === 'failed') return 'error';
  return task.warning ? 'warning' : 'info';
}

/** A job's level, from its status: failed, cancelled or interrupted is `error`, with warnings `warning`. */
export function jobLevel(status: JobResult['status']): LogLevel {
  switch (status) {
    case 'failed':
    case 'cancelled':
    case 'interrupted':
      return 'error';
    case 'completed_with_warnings':
      return 'warning';
    case 'completed':
    case 'skipped':
      return 'info';
  }
}

/**
 * Whether standard output goes to systemd's journal: systemd sets `JOURNAL_STREAM` for a service
 * whose output it connects to the journal (systemd.exec(5)).
 */
export function underSystemd(env: Readonly<Record<string, string | undefined>>): boolean {
  return (env['JOURNAL_STREAM'] ?? '') !== '';
}

/** `<3>` and the like before every line of `text` (blank lines too: journald reads each line alone). */
export function withPriority(text: string, level: LogLevel): string {
  const prefix = `<${SYSLOG_PRIORITY[level]}>`;
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  return `${lines.map((line) => `${prefix}${line}`).join('\n')}${text.endsWith('\n') ? '\n' : ''}`;
}
