import type { TaskProgress } from '../types.js';

/** What the live view knows about a running task's progress. */
export interface ProgressView {
  /** 0–100, when the task reports it (borg prune, compact, check). */
  readonly percent: number | undefined;
  /** Bytes read so far (borg create's `originalSize`). */
  readonly bytes: number | undefined;
  /** Bytes per second over the last few seconds, once there is enough to measure. */
  readonly bytesPerSecond: number | undefined;
  /** A short text the task gave, when it gave no number. */
  readonly message: string | undefined;
  /** Recent `(time, bytes)` samples the rate is measured over. */
  readonly samples: readonly { readonly atMs: number; readonly bytes: number }[];
}

/** The rate is measured over this window: long enough to smooth borg's bursts, short enough to follow changes. */
const RATE_WINDOW_MS = 5_000;
/** Below this span a rate would be noise. */
const MIN_RATE_SPAN_MS = 500;

/**
 * Folds one `taskProgress` event into the view. `percent` is shown as given; a growing
 * `originalSize` (borg create's `archive_progress`) gives bytes read and a rate from its deltas.
 *
 * @example
 * ```ts
 * let view = nextProgress(undefined, { originalSize: 0 }, 0)
 * view = nextProgress(view, { originalSize: 20 * 2 ** 20 }, 2000)
 * progressText(view) // '20.0 MiB read · 10.0 MiB/s'
 * ```
 */
export function nextProgress(previous: ProgressView | undefined, event: TaskProgress, nowMs: number): ProgressView {
  const percent = typeof event.percent === 'number' && Number.isFinite(event.percent) ? Math.min(100, Math.max(0, event.percent)) : undefined;
  const size = event['originalSize'];
  const bytes = typeof size === 'number' && Number.isFinite(size) ? size : undefined;
  const message = typeof event.message === 'string' && event.message.trim() !== '' ? event.message.trim() : undefined;
  let samples = previous?.samples ?? [];
  if (bytes !== undefined) {
    samples = [...samples.filter((sample) => nowMs - sample.atMs <= RATE_WINDOW_MS), { atMs: nowMs, bytes }];
  }
  const first = samples[0];
  const last = samples.at(-1);
  const span = first !== undefined && last !== undefined ? last.atMs - first.atMs : 0;
  const bytesPerSecond =
    first !== undefined && last !== undefined && span >= MIN_RATE_SPAN_MS && last.bytes >= first.bytes
      ? ((last.bytes - first.bytes) * 1000) / span
      : previous?.bytesPerSecond;
  return {
    percent: percent ?? previous?.percent,
    bytes: bytes ?? previous?.bytes,
    bytesPerSecond,
    message: message ?? previous?.message,
    samples,
  };
}

/** `42%`, `1.2 GiB read · 45.6 MiB/s`, or the task's message. */
export function progressText(view: ProgressView | undefined): string {
  if (view === undefined) return '';
  const parts: string[] = [];
  if (view.percent !== undefined) parts.push(`${view.percent.toFixed(view.percent < 10 ? 1 : 0)}%`);
  if (view.bytes !== undefined) parts.push(`${formatBytes(view.bytes)} read`);
  if (view.bytesPerSecond !== undefined) parts.push(`${formatBytes(view.bytesPerSecond)}/s`);
  if (parts.length === 0 && view.message !== undefined) parts.push(view.message);
  return parts.join(' · ');
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Bytes in binary units, three significant digits: `512 B`, `1.50 KiB`, `12.3 MiB`, `456 GiB`. */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  const digits = value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${value.toFixed(digits)} ${UNITS[unit] ?? ''}`;
}
