/**
 * The closest known name to a misspelt one, when it is close enough to be what was meant
 * (`critcal` → `critical`): at most one edit per three letters, and at least one allowed.
 * Case is ignored. Used by every "did you mean" in jobhooks' error messages.
 *
 * @example
 * ```ts
 * suggest('critcal', ['critical', 'command']) // 'critical'
 * suggest('zz', ['id'])                        // undefined
 * ```
 */
export function suggest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined;
}

/**
 * The fewest single-character insertions, deletions, substitutions and swaps of two neighbours
 * (optimal string alignment): a swap is the commonest typo (`rnu` for `run`) and costs one edit.
 */
export function editDistance(a: string, b: string): number {
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, (beforePrevious[j - 2] ?? 0) + 1);
      current.push(distance);
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}
