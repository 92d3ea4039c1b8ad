const LF = 0x0a;
const CR = 0x0d;

/**
 * Pieces of an unfinished line smaller than this are copied together into an accumulator instead of being
 * kept one by one (a slow writer's many tiny reads would otherwise cost one Buffer object each).
 */
const SMALL_PIECE_BYTES = 4096;
/** The largest accumulator: past it, a new one starts (each byte is copied once, plus the doubling). */
const MAX_ACCUMULATOR_BYTES = 65_536;

/** Bytes copied while holding unfinished lines, by every splitter of this process (see {@link copiedBytes}). */
let copiedByteCount = 0;

/**
 * How many bytes all line splitters of this process have copied so far while holding and joining the
 * pieces of unfinished lines (decoding not included). For tests and benchmarks: it grows linearly with
 * the length of a line, never with its square.
 *
 * @example
 * ```ts
 * const before = copiedBytes(); splitter.write(chunk); copiedBytes() - before
 * ```
 */
export function copiedBytes(): number {
  return copiedByteCount;
}

function concat(pieces: readonly Buffer[], totalBytes: number): Buffer {
  copiedByteCount += totalBytes;
  return Buffer.concat(pieces, totalBytes);
}

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

/**
 * A {@link cutMarker} at the start of a line. The ellipsis is written as `\u2026`: esbuild leaves a
 * regular expression's characters as they are, and one non-ASCII character would make the CLI's
 * whole bundle a two-byte string to read at every start (docs/performance.md, "CLI start-up").
 */
export const CUT_MARKER_AT_START = /^\[\u2026 \d+ bytes cut\] /;

/** Is `byte` a UTF-8 continuation byte (`10xxxxxx`)? */
function isContinuation(byte: number | undefined): boolean {
  return byte !== undefined && (byte & 0xc0) === 0x80;
}

/**
 * Does `bytes` end inside a UTF-8 character (a lead byte whose continuation bytes are not all there)?
 * Then it cannot be decoded on its own without turning that character into U+FFFD.
 */
function endsInsideCharacter(bytes: Buffer): boolean {
  for (let back = 1; back <= 3 && back <= bytes.length; back += 1) {
    const byte = bytes[bytes.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue;
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back;
  }
  return false;
}

/**
 * Splits a byte stream into lines, decoded as UTF-8 with replacement (U+FFFD), holding at most
 * `maxLineBytes` bytes of an unfinished line (as the read buffers themselves, small reads copied
 * together), in time linear in the line's length: each byte is copied at most a few times, whatever
 * the length of the line.
 *
 * A line ends at `\n`, `\r\n` or a bare `\r` (so each redraw of a progress bar is a line of its own);
 * the terminator is not part of the line. A line longer than `maxLineBytes` keeps its **last**
 * `maxLineBytes` bytes (moved forward to a character boundary) and starts with {@link cutMarker}, e.g.
 * `[… 9000000 bytes cut] …tail`: the end of a line is where the error usually is.
 *
 * Lines are cut out of the bytes before decoding (`\r` and `\n` never occur inside a UTF-8 sequence),
 * so a multi-byte character split across two chunks decodes correctly, and an unfinished line is kept
 * as bytes: a flood without line ends (1 GiB on one line) is counted and dropped, never decoded.
 * Fast path: the complete lines of a chunk are decoded with one `toString` and split with `indexOf`;
 * the only per-line work is one `slice` and the call to `emit`.
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
  readonly #emitBytes: ((bytes: Buffer) => void) | null;
  /** Bytes of the unfinished line; their total is `#pendingBytes`, at most the bound once trimmed. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** The last piece of `#pending` when it is an accumulator of small reads that may still grow in place. */
  #accumulator: { piece: Buffer; readonly backing: Buffer } | null = null;
  /** Bytes of the unfinished line already dropped to respect the bound. */
  #cutBytes = 0;
  /** The last chunk ended with `\r`: a `\n` starting the next chunk belongs to that line end. */
  #skipLineFeed = false;

  /**
   * @param maxLineBytes - The most bytes kept of one line (at least 1).
   * @param emit - Called once per line, in order, without its terminator.
   * @param emitBytes - When given, called with the raw bytes of the same lines before `emit` gets them:
   *   the whole lines of a chunk as one view of it (terminators included, valid only during the call);
   *   a line that arrived in several reads, or at the end of the stream, as the UTF-8 of `emit`'s
   *   line plus `\n`. See `ExecRequest.onOutputBytes`.
   */
  constructor(maxLineBytes: number, emit: (line: string) => void, emitBytes?: (bytes: Buffer) => void) {
    this.#maxLineBytes = Math.max(1, Math.floor(maxLineBytes));
    this.#emit = emit;
    this.#emitBytes = emitBytes ?? null;
  }

  /** Feeds one chunk of the stream. */
  write(chunk: Buffer): void {
    const length = chunk.length;
    if (length === 0) return;
    let start = 0;
    if (this.#skipLineFeed) {
      this.#skipLineFeed = false;
      if (chunk[0] === LF) start = 1;
    }
    // Most output has no `\r` at all: one scan tells, and spares every later search for it.
    const hasCarriageReturn = chunk.indexOf(CR, start) !== -1;
    const first = hasCarriageReturn ? lineEnd(chunk, start) : chunk.indexOf(LF, start);
    if (first === -1) {
      if (start < length) this.#appendPending(start === 0 ? chunk : chunk.subarray(start));
      return;
    }
    const last = hasCarriageReturn ? Math.max(chunk.lastIndexOf(LF), chunk.lastIndexOf(CR)) : chunk.lastIndexOf(LF);
    const emitBytes = this.#emitBytes;
    const pendingBefore = this.#pendingBytes > 0 || this.#cutBytes > 0;
    // Nothing pending: every whole line of this chunk, the first included, goes out as one view.
    if (emitBytes !== null && !pendingBefore) emitBytes(chunk.subarray(start, last + 1));
    // The first line of this chunk finishes whatever was pending.
    this.#finishLine(chunk, start, first);
    let position = this.#afterLineEnd(chunk, first);

    if (last >= position) {
      if (emitBytes !== null && pendingBefore) emitBytes(chunk.subarray(position, last + 1));
      // Every line in [position, last] is complete: decode them in one go, terminator included.
      this.#emitText(chunk.toString('utf8', position, last + 1), hasCarriageReturn);
      position = this.#afterLineEnd(chunk, last);
    }
    if (position < length) this.#appendPending(chunk.subarray(position));
  }

  /** Emits the last, unterminated line, if any. Call once, when the stream has ended. */
  end(): void {
    if (this.#pendingBytes > 0 || this.#cutBytes > 0) this.#finishLine(undefined, 0, 0);
    this.#skipLineFeed = false;
  }

  /** Returns the position after the line end at `index` (past `\r\n` as one). */
  #afterLineEnd(chunk: Buffer, index: number): number {
    if (chunk[index] === CR) {
      if (index + 1 === chunk.length) this.#skipLineFeed = true;
      else if (chunk[index + 1] === LF) return index + 2;
    }
    return index + 1;
  }

  /** Splits text that ends with a line end into lines. */
  #emitText(text: string, hasCarriageReturn: boolean): void {
    let position = 0;
    if (!hasCarriageReturn) {
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
    // Both searches are remembered until passed: text full of `\r` and no `\n` stays linear.
    let nextLf = text.indexOf('\n');
    let nextCr = text.indexOf('\r');
    for (;;) {
      if (nextLf !== -1 && nextLf < position) nextLf = text.indexOf('\n', position);
      if (nextCr !== -1 && nextCr < position) nextCr = text.indexOf('\r', position);
      const end = nextLf === -1 ? nextCr : nextCr === -1 ? nextLf : Math.min(nextLf, nextCr);
      if (end === -1) return;
      this.#emitBounded(text.slice(position, end));
      position = end + 1;
      if (end === nextCr && text.charCodeAt(position) === LF) position += 1;
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
    this.#emit(this.#decodeTail(bytes, bytes.length - this.#maxLineBytes, 0));
  }

  #appendPending(piece: Buffer): void {
    this.#pendingBytes += piece.length;
    if (piece.length >= SMALL_PIECE_BYTES) {
      this.#pending.push(piece);
      this.#accumulator = null;
    } else {
      this.#accumulate(piece);
    }
    if (this.#pendingBytes > this.#maxLineBytes) this.#trimPending();
  }

  /**
   * Adds a small piece to the accumulator at the end of `#pending`, growing it by doubling up to
   * 64 KiB: many tiny reads become few buffers, and no byte is copied again once its accumulator is full
   * (merging everything pending, as before, copied a long line's bytes again at every merge: quadratic).
   */
  #accumulate(piece: Buffer): void {
    const pending = this.#pending;
    const current = this.#accumulator;
    const last = pending.length - 1;
    if (current !== null && pending[last] === current.piece) {
      const used = current.piece.length;
      if (used + piece.length <= current.backing.length) {
        piece.copy(current.backing, used);
        copiedByteCount += piece.length;
        current.piece = current.backing.subarray(0, used + piece.length);
        pending[last] = current.piece;
        return;
      }
      if (used + piece.length <= MAX_ACCUMULATOR_BYTES) {
        const backing = Buffer.allocUnsafeSlow(Math.min(MAX_ACCUMULATOR_BYTES, Math.max(2 * current.backing.length, used + piece.length)));
        current.piece.copy(backing, 0);
        piece.copy(backing, used);
        copiedByteCount += used + piece.length;
        this.#accumulator = { piece: backing.subarray(0, used + piece.length), backing };
        pending[last] = this.#accumulator.piece;
        return;
      }
    }
    const backing = Buffer.allocUnsafeSlow(Math.max(256, 2 * piece.length));
    piece.copy(backing, 0);
    copiedByteCount += piece.length;
    this.#accumulator = { piece: backing.subarray(0, piece.length), backing };
    pending.push(this.#accumulator.piece);
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
        if (this.#pending.length === 0) this.#accumulator = null;
      } else {
        // A view, not a copy: it pins at most its read buffer (64 KiB), and a flood of output
        // without line ends makes no garbage here.
        this.#pending[0] = head.subarray(excess);
        excess = 0;
      }
    }
  }

  /**
   * Emits the pending bytes plus `chunk[start, end)` as one line (`chunk` undefined at the end of the
   * stream).
   */
  #finishLine(chunk: Buffer | undefined, start: number, end: number): void {
    const pending = this.#pending;
    if (this.#pendingBytes === 0 && this.#cutBytes === 0) {
      if (chunk === undefined) return;
      if (end - start <= this.#maxLineBytes) this.#emit(chunk.toString('utf8', start, end));
      else this.#decodeCut(chunk.subarray(start, end), 0);
      return;
    }
    const alreadyCut = this.#cutBytes;
    const only = pending[0];
    if (alreadyCut === 0 && pending.length === 1 && only !== undefined && chunk !== undefined && only.length + (end - start) <= this.#maxLineBytes && !endsInsideCharacter(only)) {
      // The usual case, a line spanning two reads: two decodes are cheaper than joining the bytes.
      this.#pending = [];
      this.#accumulator = null;
      this.#pendingBytes = 0;
      this.#emitJoined(only.toString('utf8') + chunk.toString('utf8', start, end));
      return;
    }
    if (chunk !== undefined && end > start) this.#appendPending(chunk.subarray(start, end));
    const bytes = this.#pending.length === 1 && this.#pending[0] !== undefined ? this.#pending[0] : concat(this.#pending, this.#pendingBytes);
    const cut = this.#cutBytes;
    this.#pending = [];
    this.#accumulator = null;
    this.#pendingBytes = 0;
    this.#cutBytes = 0;
    this.#emitJoined(cut === 0 ? bytes.toString('utf8') : this.#decodeTail(bytes, 0, cut));
  }

  /** Emits a line joined from several reads (or cut): its bytes for `emitBytes` are encoded again. */
  #emitJoined(line: string): void {
    this.#emitBytes?.(Buffer.from(`${line}\n`));
    this.#emit(line);
  }

  /** Emits the last `maxLineBytes` bytes of a complete line that arrived whole. */
  #decodeCut(bytes: Buffer, cutBefore: number): void {
    this.#emit(this.#decodeTail(bytes, bytes.length - this.#maxLineBytes, cutBefore));
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
function lineEnd(chunk: Buffer, from: number): number {
  const lf = chunk.indexOf(LF, from);
  const cr = chunk.indexOf(CR, from);
  if (lf === -1) return cr;
  if (cr === -1) return lf;
  return Math.min(lf, cr);
}
