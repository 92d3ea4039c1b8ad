/**
 * Keeps the last lines of a task's output within a byte bound, so a hook that prints 1 GiB never
 * grows the process's memory. Older lines are dropped first; a single line longer than the bound
 * keeps its end.
 */
export class OutputTail {
  readonly #maxBytes: number;
  #lines: string[] = [];
  #sizes: number[] = [];
  #head = 0;
  #bytes = 0;
  #truncated = false;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Adds one line (without its newline). */
  push(line: string): void {
    let kept = line;
    // Each line costs its UTF-8 length plus the newline that joins it to the next.
    let size = Buffer.byteLength(kept) + 1;
    if (size > this.#maxBytes) {
      kept = lastBytes(kept, this.#maxBytes - 1);
      size = Buffer.byteLength(kept) + 1;
      this.#truncated = true;
    }
    this.#lines.push(kept);
    this.#sizes.push(size);
    this.#bytes += size;
    while (this.#bytes > this.#maxBytes && this.#head < this.#lines.length) {
      this.#bytes -= this.#sizes[this.#head] ?? 0;
      this.#head += 1;
      this.#truncated = true;
    }
    // Compact now and then so dropped lines are released without shifting on every push.
    if (this.#head > 1024 && this.#head * 2 > this.#lines.length) {
      this.#lines = this.#lines.slice(this.#head);
      this.#sizes = this.#sizes.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The kept lines joined with `\n`. */
  get text(): string {
    return this.#lines.slice(this.#head).join('\n');
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
  let start = bytes.length - maxBytes;
  // Do not start in the middle of a multi-byte character.
  while (start < bytes.length && ((bytes[start] ?? 0) & 0xc0) === 0x80) start += 1;
  return bytes.subarray(start).toString();
}
