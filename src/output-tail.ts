/** Put in front of a line whose beginning was cut to fit the tail. */
export const CUT_MARKER = '[… cut] ';

/**
 * Keeps the last lines of a task's output within a byte bound, so a hook that prints 1 GiB never
 * grows the process's memory. Older lines are dropped first; a single line longer than the bound
 * keeps its end, behind {@link CUT_MARKER}.
 *
 * The hot path (`push`, once per line of output) counts UTF-16 units, not bytes: a character is at
 * least one UTF-8 byte, so the last `maxBytes` units always hold the last `maxBytes` bytes. The exact
 * byte bound is applied once, when the text is read.
 */
export class OutputTail {
  readonly #maxBytes: number;
  #lines: string[] = [];
  #head = 0;
  /** UTF-16 units kept, counting one newline per line. */
  #units = 0;
  #truncated = false;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Adds one line (without its newline). */
  push(line: string): void {
    let kept = line;
    if (kept.length > this.#maxBytes) {
      kept = CUT_MARKER + kept.slice(kept.length - (this.#maxBytes - CUT_MARKER.length));
      this.#truncated = true;
    }
    this.#lines.push(kept);
    this.#units += kept.length + 1;
    while (this.#units > this.#maxBytes + 1 && this.#lines.length - this.#head > 1) {
      this.#units -= (this.#lines[this.#head]?.length ?? 0) + 1;
      this.#head += 1;
      this.#truncated = true;
    }
    // Compact now and then so dropped lines are released without shifting on every push.
    if (this.#head > 1024 && this.#head * 2 > this.#lines.length) {
      this.#lines = this.#lines.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The kept lines joined with `\n`, at most `maxBytes` bytes of UTF-8. */
  get text(): string {
    const lines = this.#lines.slice(this.#head);
    let bytes = lines.reduce((sum, line) => sum + Buffer.byteLength(line), Math.max(0, lines.length - 1));
    while (bytes > this.#maxBytes && lines.length > 1) {
      bytes -= Buffer.byteLength(lines.shift() ?? '') + 1;
      this.#truncated = true;
    }
    const only = lines[0];
    if (bytes > this.#maxBytes && only !== undefined) {
      this.#truncated = true;
      const body = only.startsWith(CUT_MARKER) ? only.slice(CUT_MARKER.length) : only;
      return CUT_MARKER + lastBytes(body, this.#maxBytes - Buffer.byteLength(CUT_MARKER));
    }
    return lines.join('\n');
  }

  /** Whether any output was dropped. */
  get truncated(): boolean {
    return this.#truncated;
  }
}

/** The longest end of `text` whose UTF-8 encoding fits in `maxBytes`. */
function lastBytes(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return '';
  const bytes = Buffer.from(text);
  if (bytes.length <= maxBytes) return text;
  let start = bytes.length - maxBytes;
  // Do not start in the middle of a multi-byte character.
  while (start < bytes.length && ((bytes[start] ?? 0) & 0xc0) === 0x80) start += 1;
  return bytes.subarray(start).toString();
}
