import { StringDecoder } from 'node:string_decoder';

const LF = 0x0a;

/**
 * The text put in front of a line that was longer than the bound: its first `cutBytes` bytes were dropped.
 *
 * @example
 * ```ts
 * cutMarker(9_000_000) // '[… 9000000 bytes cut] '
 * ```
 */
export function cutMarker(cutBytes: number): string {
  return `[… ${cutBytes} bytes cut] `;
}

/** Is `byte` a UTF-8 continuation byte (`10xxxxxx`)? */
function isContinuation(byte: number | undefined): boolean {
  return byte !== undefined && (byte & 0xc0) === 0x80;
}

/** Is the code unit at `index` the second half of a surrogate pair? */
function isLowSurrogate(text: string, index: number): boolean {
  const unit = text.charCodeAt(index);
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/**
 * Splits a byte stream into lines, decoded as UTF-8 with replacement (U+FFFD), holding at most
 * about `maxLineBytes` bytes of an unfinished line.
 *
 * A line ends at `\n`, `\r\n` or a bare `\r` (so each redraw of a progress bar is a line of its own);
 * the terminator is not part of the line. A line longer than `maxLineBytes` keeps its **last**
 * `maxLineBytes` bytes (moved forward to a character boundary) and starts with {@link cutMarker}, e.g.
 * `[… 9000000 bytes cut] …tail`: the end of a line is where the error usually is. Chunks go through a
 * streaming `StringDecoder`, so a multi-byte character split across two chunks decodes correctly.
 *
 * Fast path: each chunk is decoded once and split with `indexOf`; the only per-line work is one `slice`
 * and the call to `emit`.
 *
 * @example
 * ```ts
 * const lines: string[] = []
 * const splitter = new LineSplitter(65_536, (line) => lines.push(line))
 * splitter.write(Buffer.from('a\r\nb\rc'))
 * splitter.end() // lines: ['a', 'b', 'c']
 * ```
 */
export class LineSplitter {
  readonly #maxLineBytes: number;
  readonly #emit: (line: string) => void;
  readonly #decoder = new StringDecoder('utf8');
  /**
   * The unfinished line. Trimmed to its last `maxLineBytes` UTF-16 code units, which hold at least the
   * last `maxLineBytes` bytes and at most 2 × `maxLineBytes` bytes of memory; the exact byte cut is made
   * when the line is emitted.
   */
  #pending = '';
  /** Bytes of the unfinished line already dropped to respect the bound. */
  #cutBytes = 0;
  /** The last text ended with `\r`: a `\n` starting the next one belongs to that line end. */
  #skipLineFeed = false;

  /**
   * @param maxLineBytes - The most bytes kept of one line (at least 1).
   * @param emit - Called once per line, in order, without its terminator.
   */
  constructor(maxLineBytes: number, emit: (line: string) => void) {
    this.#maxLineBytes = Math.max(1, Math.floor(maxLineBytes));
    this.#emit = emit;
  }

  /** Feeds one chunk of the stream. */
  write(chunk: Buffer): void {
    this.#split(this.#decoder.write(chunk));
  }

  /** Emits the last, unterminated line, if any. Call once, when the stream has ended. */
  end(): void {
    // An incomplete character at the very end decodes to U+FFFD.
    this.#split(this.#decoder.end());
    if (this.#pending !== '' || this.#cutBytes > 0) this.#finishLine('');
    this.#skipLineFeed = false;
  }

  #split(text: string): void {
    const length = text.length;
    if (length === 0) return;
    let position = 0;
    if (this.#skipLineFeed) {
      this.#skipLineFeed = false;
      if (text.charCodeAt(0) === LF) position = 1;
    }
    const hasCarriageReturn = text.indexOf('\r', position) !== -1;
    const first = hasCarriageReturn ? lineEnd(text, position) : text.indexOf('\n', position);
    if (first === -1) {
      this.#appendPending(position === 0 ? text : text.slice(position));
      return;
    }
    // The first line of this text finishes whatever was pending.
    this.#finishLine(text.slice(position, first));
    position = this.#afterLineEnd(text, first);

    if (!hasCarriageReturn) {
      // The hot loop (one iteration per line of ordinary output): no calls but the consumer's.
      const emit = this.#emit;
      const safeLength = this.#maxLineBytes / 3;
      for (let end = text.indexOf('\n', position); end !== -1; end = text.indexOf('\n', position)) {
        const line = text.slice(position, end);
        if (line.length <= safeLength) emit(line);
        else this.#emitBounded(line);
        position = end + 1;
      }
    } else {
      // Both searches are remembered until passed: text full of `\r` and no `\n` stays linear.
      let nextLf = text.indexOf('\n', position);
      let nextCr = text.indexOf('\r', position);
      for (;;) {
        if (nextLf !== -1 && nextLf < position) nextLf = text.indexOf('\n', position);
        if (nextCr !== -1 && nextCr < position) nextCr = text.indexOf('\r', position);
        const end = nextLf === -1 ? nextCr : nextCr === -1 ? nextLf : Math.min(nextLf, nextCr);
        if (end === -1) break;
        this.#emitBounded(text.slice(position, end));
        position = this.#afterLineEnd(text, end);
      }
    }
    if (position < length) this.#appendPending(text.slice(position));
  }

  /** Returns the position after the line end at `index` (past `\r\n` as one). */
  #afterLineEnd(text: string, index: number): number {
    if (text.charCodeAt(index) === 0x0d) {
      if (index + 1 === text.length) this.#skipLineFeed = true;
      else if (text.charCodeAt(index + 1) === LF) return index + 2;
    }
    return index + 1;
  }

  /** Emits a complete line, cutting it to its last `maxLineBytes` bytes if it is longer. */
  #emitBounded(line: string): void {
    // A UTF-16 code unit is at most 3 UTF-8 bytes: most lines need no byte count at all.
    if (line.length * 3 <= this.#maxLineBytes || Buffer.byteLength(line) <= this.#maxLineBytes) {
      this.#emit(line);
      return;
    }
    const bytes = Buffer.from(line);
    this.#emit(this.#decodeTail(bytes, bytes.length - this.#maxLineBytes, 0));
  }

  #appendPending(text: string): void {
    this.#pending = this.#pending === '' ? text : this.#pending + text;
    const excess = this.#pending.length - this.#maxLineBytes;
    // More code units than the bound means more bytes than the bound: drop the oldest.
    if (excess > 0) {
      const from = isLowSurrogate(this.#pending, excess) ? excess + 1 : excess;
      this.#cutBytes += Buffer.byteLength(this.#pending.slice(0, from));
      // Slicing flattens the concatenation: the kept part is a copy, not a view of everything before.
      this.#pending = this.#pending.slice(from);
    }
  }

  /** Emits the pending text plus `rest` (the start of the current text up to a line end) as one line. */
  #finishLine(rest: string): void {
    if (this.#pending === '' && this.#cutBytes === 0) {
      this.#emitBounded(rest);
      return;
    }
    const line = this.#pending + rest;
    const alreadyCut = this.#cutBytes;
    this.#pending = '';
    this.#cutBytes = 0;
    if (alreadyCut === 0) {
      this.#emitBounded(line);
      return;
    }
    const bytes = Buffer.from(line);
    this.#emit(this.#decodeTail(bytes, Math.max(0, bytes.length - this.#maxLineBytes), alreadyCut));
  }

  /**
   * Decodes `bytes` from `from` on, moved forward past continuation bytes so the kept part starts on a
   * character, with the cut marker in front counting `cutBefore` plus everything skipped here.
   */
  #decodeTail(bytes: Buffer, from: number, cutBefore: number): string {
    let start = from;
    // A UTF-8 character has at most 3 continuation bytes.
    for (let step = 0; step < 3 && isContinuation(bytes[start]); step += 1) start += 1;
    return cutMarker(cutBefore + start) + bytes.toString('utf8', start);
  }
}

/** Index of the first `\n` or `\r` at or after `from`, or -1. */
function lineEnd(text: string, from: number): number {
  const lf = text.indexOf('\n', from);
  const cr = text.indexOf('\r', from);
  if (lf === -1) return cr;
  if (cr === -1) return lf;
  return Math.min(lf, cr);
}
