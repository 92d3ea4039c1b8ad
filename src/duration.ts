import { describeValue } from './errors.js';

/**
 * A length of time as config files write it: a number of seconds (`90`, `0.5`) or a string with a
 * unit (`"500ms"`, `"90s"`, `"5m"`, `"1h"`).
 */
export type Duration = number | string;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
/** A duration string: a number and a unit. */
export const DURATION_PATTERN = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)\s*$/;

/**
 * The shortest duration accepted: 1 ms. A timeout below it (`1e-300`) is a typo, not a wish.
 * See docs/hooks.md.
 */
export const MIN_DURATION_MS = 1;

/**
 * The longest duration accepted: 366 days. Nothing jobhooks runs is meant to wait longer, and a
 * bound keeps every timer's arithmetic exact. See docs/hooks.md.
 */
export const MAX_DURATION_MS = 366 * 24 * 3_600_000;

/**
 * What is wrong with a duration, in words, or `undefined` when it is a valid one: not a duration
 * at all (`"soon"`, `-1`, `true`), shorter than 1 ms or longer than
 * 366 days.
 *
 * @example
 * ```ts
 * durationProblem(1e-300) // 'must be at least 1ms, received number 1e-300'
 * durationProblem('90s')  // undefined
 * ```
 */
export function durationProblem(value: unknown): string | undefined {
  const ms = rawDurationMs(value);
  const received = describeValue(value);
  if (ms === undefined) {
    return `expected a positive number of seconds or a duration like "500ms", "90s", "5m", "1h", received ${received}`;
  }
  if (ms < MIN_DURATION_MS) return `must be at least 1ms, received ${received}`;
  if (ms > MAX_DURATION_MS) return `must be at most 366 days ("8784h"), received ${received}`;
  return undefined;
}

/**
 * Converts a {@link Duration} to milliseconds, or returns `undefined` when it is not a positive,
 * finite duration (zero, negative, `NaN`, a boolean, an unknown unit) or lies outside
 * 1 ms … 366 days.
 *
 * @example
 * ```ts
 * durationToMs('5m') // 300000
 * durationToMs(1.5)  // 1500
 * durationToMs('soon') // undefined
 * ```
 */
export function durationToMs(value: unknown): number | undefined {
  const ms = rawDurationMs(value);
  return ms !== undefined && ms >= MIN_DURATION_MS && ms <= MAX_DURATION_MS ? ms : undefined;
}

function rawDurationMs(value: unknown): number | undefined {
  let ms: number | undefined;
  if (typeof value === 'number') {
    ms = value * 1000;
  } else if (typeof value === 'string') {
    const match = DURATION_PATTERN.exec(value);
    if (match?.[1] !== undefined && match[2] !== undefined) {
      ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
    }
  }
  return ms !== undefined && Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/**
 * Writes milliseconds the way people read a timeout: `300s`, `0.5s`, `90s`.
 */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}
