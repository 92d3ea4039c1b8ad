import { lastUtf8Bytes } from './utf8.js';

/** Put in front of a line whose beginning was cut to fit the tail. */
export const CUT_MARKER = '[… cut] ';

/**
 * Keeps the end of a task's output within a byte bound, so a hook that prints 1 GiB never grows the
 * process's memory. The result is the longest run of whole last lines that fits in `maxBytes` of
 * UTF-8; when even the last line does not fit, its end behind {@link CUT_MARKER}.
 *
 * `push` runs once per line of output, so it allocates nothing once warm: lines sit in a ring of
 * slots that grows only while more lines are needed to fill the bound, and it counts UTF-16 units
 * (a character is at least one UTF-8 byte, so the last `maxBytes` units always hold the last
 * `maxBytes` bytes). The exact byte bound is applied once, when the text is read.
 */
export class OutputTail {
  readonly #maxBytes: number;
  #slots: string[] = new Array<string>(16);
  #head = 0;
  #count = 0;
  /** UTF-16 units held, one newline per line included. */
  #units = 0;
  #dropped = false;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Adds one line (without its newline). */
  push(line: string): void {
    if (line.length > this.#maxBytes) {
      // Only its end can be kept: cut it now so the tail never holds more than its bound.
      line = CUT_MARKER + line.slice(line.length - (this.#maxBytes - CUT_MARKER.length));
      this.#dropped = true;
    }
    const budget = this.#maxBytes + 1;
    while (this.#count > 0 && this.#units + line.length + 1 > budget) {
      this.#units -= (this.#slots[this.#head] ?? '').length + 1;
      this.#slots[this.#head] = '';
      this.#head = (this.#head + 1) % this.#slots.length;
      this.#count -= 1;
      this.#dropped = true;
    }
    if (this.#count === this.#slots.length) this.#grow();
    this.#slots[(this.#head + this.#count) % this.#slots.length] = line;
    this.#count += 1;
    this.#units += line.length + 1;
  }

  #grow(): void {
    const slots = new Array<string>(this.#slots.length * 2);
    for (let i = 0; i < this.#count; i += 1) slots[i] = this.#slots[(this.#head + i) % this.#slots.length] ?? '';
    this.#slots = slots;
    this.#head = 0;
  }

  #lines(): string[] {
    const lines: string[] = [];
    for (let i = 0; i < this.#count; i += 1) lines.push(this.#slots[(this.#head + i) % this.#slots.length] ?? '');
    return lines;
  }

  /** The kept lines joined with `\n`: at most `maxBytes` bytes of UTF-8. */
  get text(): string {
    const lines = this.#lines();
    let bytes = lines.reduce((sum, line) => sum + Buffer.byteLength(line), Math.max(0, lines.length - 1));
    while (bytes > this.#maxBytes && lines.length > 1) bytes -= Buffer.byteLength(lines.shift() ?? '') + 1;
    const only = lines[0];
    if (bytes > this.#maxBytes && only !== undefined) {
      return cutLine(only.startsWith(CUT_MARKER) ? only.slice(CUT_MARKER.length) : only, this.#maxBytes);
    }
    return lines.join('\n');
  }

  /** Whether any output was dropped or cut. */
  get truncated(): boolean {
    if (this.#dropped) return true;
    return this.#lines().reduce((sum, line) => sum + Buffer.byteLength(line), Math.max(0, this.#count - 1)) > this.#maxBytes;
  }
}

/** The end of an over-long line behind the marker, starting on a character boundary. */
function cutLine(line: string, maxBytes: number): string {
  return CUT_MARKER + lastUtf8Bytes(line, maxBytes - Buffer.byteLength(CUT_MARKER));
}
