const LF = 0x0a;
const CR = 0x0d;

/** How many pending pieces of one unfinished line are kept before they are merged into one buffer. */
const MAX_PENDING_PIECES = 16;

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

/**
 * Splits a byte stream into lines, decoded as UTF-8 with replacement (U+FFFD), holding at most
 * `maxLineBytes` bytes of an unfinished line.
 *
 * A line ends at `\n`, `\r\n` or a bare `\r` (so each redraw of a progress bar is a line of its own);
 * the terminator is not part of the line. A line longer than `maxLineBytes` keeps its **last**
 * `maxLineBytes` bytes (moved forward to a character boundary) and starts with {@link cutMarker}, e.g.
 * `[… 9000000 bytes cut] …tail`: the end of a line is where the error usually is. A multi-byte character
 * split across two chunks decodes correctly because unfinished lines are kept as bytes; `\r` and `\n`
 * never occur inside a UTF-8 sequence, so lines can be cut out of the bytes before decoding.
 *
 * Fast path: a chunk is decoded once, from its first to its last line end, and split with `indexOf`.
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
  /** Bytes of the unfinished line; their total is `#pendingBytes`, never more than the bound once trimmed. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes of the unfinished line already dropped to respect the bound. */
  #cutBytes = 0;
  /** The last chunk ended with `\r`: a `\n` starting the next chunk belongs to that line end. */
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
    const length = chunk.length;
    if (length === 0) return;
    let start = 0;
    if (this.#skipLineFeed) {
      this.#skipLineFeed = false;
      if (length > 0 && chunk[0] === LF) start = 1;
    }
    if (start >= length) return;

    const first = firstLineEnd(chunk, start);
    if (first === -1) {
      this.#appendPending(chunk.subarray(start));
      return;
    }
    // The first line of this chunk finishes whatever was pending.
    this.#finishPendingLine(chunk.subarray(start, first));
    let position = this.#afterLineEnd(chunk, first);
    if (position === -1) return;

    const last = Math.max(chunk.lastIndexOf(LF), chunk.lastIndexOf(CR));
    if (last >= position) {
      // Every line in [position, last] is complete: decode them in one go, terminator included.
      this.#emitText(chunk.toString('utf8', position, last + 1));
      position = this.#afterLineEnd(chunk, last);
      if (position === -1) return;
    }
    if (position < length) this.#appendPending(chunk.subarray(position));
  }

  /** Emits the last, unterminated line, if any. Call once, when the stream has ended. */
  end(): void {
    if (this.#pendingBytes > 0 || this.#cutBytes > 0) this.#finishPendingLine(undefined);
    this.#skipLineFeed = false;
  }

  /** Returns the position after the line end at `index`, or -1 when that was the chunk's last byte. */
  #afterLineEnd(chunk: Buffer, index: number): number {
    let next = index + 1;
    if (chunk[index] === CR) {
      if (next === chunk.length) {
        this.#skipLineFeed = true;
        return -1;
      }
      if (chunk[next] === LF) next += 1;
    }
    return next === chunk.length ? -1 : next;
  }

  /** Splits text that ends with a line end into lines. */
  #emitText(text: string): void {
    let position = 0;
    if (text.indexOf('\r') === -1) {
      // The hot loop (one iteration per line of ordinary output): no calls but the consumer's.
      const emit = this.#emit;
      const safeLength = this.#maxLineBytes / 3;
      for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', position)) {
        const line = text.slice(position, end);
        if (line.length <= safeLength) emit(line);
        else this.#emitBounded(line);
        position = end + 1;
      }
      return;
    }
    const length = text.length;
    while (position < length) {
      let lf = text.indexOf('\n', position);
      let cr = text.indexOf('\r', position);
      if (lf === -1) lf = length;
      if (cr === -1) cr = length;
      const end = Math.min(lf, cr);
      if (end === length) break;
      this.#emitBounded(text.slice(position, end));
      position = end + 1;
      if (end === cr && text.charCodeAt(position) === LF) position += 1;
    }
  }

  /** Emits a line decoded in the fast path, cutting it if it is longer than the bound. */
  #emitBounded(line: string): void {
    // A UTF-16 code unit is at most 3 UTF-8 bytes: most lines need no byte count at all.
    if (line.length * 3 <= this.#maxLineBytes || Buffer.byteLength(line) <= this.#maxLineBytes) {
      this.#emit(line);
      return;
    }
    const bytes = Buffer.from(line);
    this.#emit(this.#decodeTail(bytes, bytes.length - this.#maxLineBytes));
  }

  #appendPending(piece: Buffer): void {
    this.#pending.push(piece);
    this.#pendingBytes += piece.length;
    if (this.#pendingBytes > this.#maxLineBytes) {
      this.#trimPending();
    } else if (this.#pending.length > MAX_PENDING_PIECES) {
      // Many tiny writes: merge, so a line does not pin many read buffers.
      this.#pending = [Buffer.concat(this.#pending, this.#pendingBytes)];
    }
  }

  /** Drops the oldest bytes of the unfinished line until at most the bound is left. */
  #trimPending(): void {
    let excess = this.#pendingBytes - this.#maxLineBytes;
    this.#cutBytes += excess;
    this.#pendingBytes -= excess;
    while (excess > 0) {
      const head = this.#pending[0];
      if (head === undefined) break;
      if (head.length <= excess) {
        this.#pending.shift();
        excess -= head.length;
      } else {
        // Copy, so the kept bytes do not pin the whole read buffer they came from.
        this.#pending[0] = Buffer.from(head.subarray(excess));
        excess = 0;
      }
    }
  }

  /** Emits the pending bytes plus `rest` (the start of the current chunk up to a line end) as one line. */
  #finishPendingLine(rest: Buffer | undefined): void {
    if (this.#pendingBytes === 0 && this.#cutBytes === 0) {
      if (rest !== undefined) {
        if (rest.length <= this.#maxLineBytes) this.#emit(rest.toString('utf8'));
        else this.#emit(this.#decodeTail(rest, rest.length - this.#maxLineBytes));
      }
      return;
    }
    if (rest !== undefined && rest.length > 0) this.#appendPending(rest);
    const bytes = this.#pending.length === 1 && this.#pending[0] !== undefined ? this.#pending[0] : Buffer.concat(this.#pending, this.#pendingBytes);
    const alreadyCut = this.#cutBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#cutBytes = 0;
    if (alreadyCut === 0) this.#emit(bytes.toString('utf8'));
    else this.#emit(this.#decodeTail(bytes, 0, alreadyCut));
  }

  /**
   * Decodes `bytes` from `from` on, moved forward past continuation bytes so the kept part starts on a
   * character, with the cut marker in front.
   */
  #decodeTail(bytes: Buffer, from: number, cutBefore = 0): string {
    let start = from;
    // A UTF-8 character has at most 3 continuation bytes.
    for (let step = 0; step < 3 && isContinuation(bytes[start]); step += 1) start += 1;
    return cutMarker(cutBefore + start) + bytes.toString('utf8', start);
  }
}

/** Index of the first `\n` or `\r` at or after `from`, or -1. */
function firstLineEnd(chunk: Buffer, from: number): number {
  const lf = chunk.indexOf(LF, from);
  // Search for `\r` only up to the first `\n`: usually there is none before it.
  const cr = lf === -1 ? chunk.indexOf(CR, from) : chunk.subarray(from, lf).indexOf(CR);
  if (lf === -1) return cr;
  if (cr === -1) return lf;
  return from + cr;
}
