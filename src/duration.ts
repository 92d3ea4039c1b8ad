/**
 * A length of time as config files write it: a number of seconds (`90`, `0.5`) or a string with a
 * unit (`"500ms"`, `"90s"`, `"5m"`, `"1h"`).
 */
export type Duration = number | string;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const DURATION_PATTERN = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)\s*$/;

/**
 * Converts a {@link Duration} to milliseconds, or returns `undefined` when it is not a positive,
 * finite duration (zero, negative, `NaN`, a boolean, an unknown unit).
 *
 * @example
 * ```ts
 * durationToMs('5m') // 300000
 * durationToMs(1.5)  // 1500
 * durationToMs('soon') // undefined
 * ```
 */
export function durationToMs(value: unknown): number | undefined {
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
