import { createRedaction, redactFromCut, type Redaction } from './env.js';
import { lastUtf8Bytes } from './utf8.js';

/** Put in front of a line whose beginning was cut to fit the tail. */
export const CUT_MARKER = '[… cut] ';

const LF = 0x0a;
const CR = 0x0d;
/** The first ring of a tail: most tasks print little, and a tail only grows while it fills. */
const INITIAL_RING_BYTES = 256;

/**
 * Keeps the end of a task's output within a byte bound, so a hook that prints 1 GiB never grows the
 * process's memory. The result is the longest run of whole last lines that fits in `maxBytes` of
 * UTF-8 once redacted; when even the last line does not fit, its end behind {@link CUT_MARKER}.
 *
 * The tail keeps **raw bytes** in one ring (at most `2 × maxBytes + 2`: enough for every run of lines
 * that can fit, `\r\n` ends included) and does nothing per line: {@link write} copies the bytes of whole
 * lines straight from the pipe's chunk, {@link push} adds one line given as text. Splitting, decoding
 * and redaction happen once, on whole lines, when the tail is read. So the tail holds no string of the
 * output between reads, and a secret split across two reads of the pipe is whole in the ring when it is
 * redacted (docs/performance.md, "Output volume and memory").
 *
 * Lines end at `\n`, `\r\n` or a bare `\r`, as the executor splits them, also inside a pushed line.
 * Redaction is exact: a line whose beginning was lost (to the ring or to the executor's own bound)
 * also loses any end of a secret it starts with.
 *
 * @example
 * ```ts
 * const tail = new OutputTail(65_536, createRedaction(['s3cret']))
 * tail.write(Buffer.from('pass=s3cret\r\nok\n'))
 * tail.push('done')
 * tail.text // 'pass=***\nok\ndone'
 * ```
 */
export class OutputTail {
  readonly #maxBytes: number;
  readonly #capacity: number;
  readonly #redaction: Redaction;
  #ring: Buffer | null = null;
  #start = 0;
  #length = 0;
  /** Whether the ring's first byte starts a line (false once a write dropped the middle of one). */
  #headIsLineStart = true;
  /** Whether any byte was ever dropped from the ring. */
  #overwritten = false;
  #read: { readonly text: string; readonly truncated: boolean } | null = null;

  /**
   * @param maxBytes - The most UTF-8 bytes of text kept.
   * @param redaction - The run's secrets, replaced by `***` in the text; made once per run and shared.
   */
  constructor(maxBytes: number, redaction: Redaction = NO_SECRETS) {
    this.#maxBytes = maxBytes;
    this.#capacity = 2 * maxBytes + 2;
    this.#redaction = redaction;
  }

  /** Adds one line given as text (split again at `\n`, `\r\n` and `\r`, if it holds any). */
  push(line: string): void {
    // Most lines fit the scratch buffer: encoded there, no buffer is made per line.
    if (line.length < SCRATCH_BYTES / 3) {
      const end = SCRATCH.write(line, 0);
      SCRATCH[end] = LF;
      this.write(SCRATCH.subarray(0, end + 1));
    } else {
      this.write(Buffer.from(`${line}\n`));
    }
  }

  /**
   * Adds the raw bytes of one or more whole lines, each ending with `\n`, `\r\n` or `\r`. Copies at
   * most the ring's capacity; the caller may reuse `bytes` afterwards.
   */
  write(given: Uint8Array): void {
    // A view, not a copy, for an executor that hands plain Uint8Arrays.
    const bytes = Buffer.isBuffer(given) ? given : Buffer.from(given.buffer, given.byteOffset, given.byteLength);
    const count = bytes.length;
    if (count === 0) return;
    this.#read = null;
    const capacity = this.#capacity;
    const previous = this.#ring;
    if (bytes[0] === LF && previous !== null) {
      // A `\r` that ended the last write was a whole line end (the executor swallows the `\n` of a
      // `\r\n` split across reads): made `\n` (with the `\r`s before it, each a line end too), it
      // cannot pair with this write's `\n`.
      for (let back = 1; back <= this.#length; back += 1) {
        const index = (this.#start + this.#length - back) % previous.length;
        if (previous[index] !== CR) break;
        previous[index] = LF;
      }
    }
    if (count >= capacity) {
      const ring = this.#ensureRing(capacity);
      const from = count - capacity;
      bytes.copy(ring, 0, from);
      if (from > 0 || this.#length > 0) {
        this.#overwritten = true;
        this.#headIsLineStart = from === 0 || startsLine(bytes[from - 1], bytes[from]);
      }
      this.#start = 0;
      this.#length = capacity;
      return;
    }
    let ring = this.#ring;
    if (ring === null || (this.#length + count > ring.length && ring.length < capacity)) {
      ring = this.#ensureRing(Math.min(capacity, Math.max(INITIAL_RING_BYTES, 2 * (ring?.length ?? 0), this.#length + count)));
    }
    const size = ring.length;
    const excess = this.#length + count - size;
    if (excess > 0) {
      // Full: the oldest bytes go. Whether a line starts at the new head is told by the byte before it.
      const head = (this.#start + excess) % size;
      const before = ring[(head + size - 1) % size];
      const first = excess < this.#length ? ring[head] : bytes[excess - this.#length];
      this.#headIsLineStart = startsLine(before, first);
      this.#start = head;
      this.#length -= Math.min(excess, this.#length);
      this.#overwritten = true;
    }
    const end = (this.#start + this.#length) % size;
    const firstPart = Math.min(count, size - end);
    bytes.copy(ring, end, 0, firstPart);
    if (firstPart < count) bytes.copy(ring, 0, firstPart);
    this.#length += count;
  }

  /** The kept lines joined with `\n`, redacted: at most `maxBytes` bytes of UTF-8. */
  get text(): string {
    return this.#readTail().text;
  }

  /** Whether any output was dropped or cut. */
  get truncated(): boolean {
    return this.#readTail().truncated;
  }

  /** Returns a ring of at least `bytes` bytes holding the kept bytes from offset 0. */
  #ensureRing(bytes: number): Buffer {
    const old = this.#ring;
    if (old !== null && old.length >= bytes) return old;
    // allocUnsafe: a small first ring is a slice of Node's shared pool, not an allocation of its own.
    const ring = Buffer.allocUnsafe(bytes);
    if (old !== null) this.#linear(old).copy(ring, 0);
    this.#ring = ring;
    this.#start = 0;
    return ring;
  }

  /** The kept bytes in order, as one buffer (a view when they do not wrap). */
  #linear(ring: Buffer): Buffer {
    const end = this.#start + this.#length;
    if (end <= ring.length) return ring.subarray(this.#start, end);
    return Buffer.concat([ring.subarray(this.#start), ring.subarray(0, end - ring.length)]);
  }

  #readTail(): { readonly text: string; readonly truncated: boolean } {
    if (this.#read !== null) return this.#read;
    const ring = this.#ring;
    if (ring === null || this.#length === 0) return (this.#read = { text: '', truncated: this.#overwritten });
    const bytes = this.#linear(ring);
    const redaction = this.#redaction;
    if (this.#headIsLineStart && !redaction.any && bytes.length <= this.#maxBytes + 1) {
      // Nothing to hide and, most likely, all of it fits: the text is the bytes with line ends made `\n`
      // (unless invalid UTF-8, each byte of it three once decoded, makes it too long after all).
      const decoded = bytes.toString('utf8');
      const text = (decoded.includes('\r') ? decoded.replace(/\r\n?/g, '\n') : decoded).slice(0, -1);
      if (Buffer.byteLength(text) <= this.#maxBytes) return (this.#read = { text, truncated: this.#overwritten });
    }
    let from = 0;
    // A head inside a character: skip to the next one rather than decode half of it.
    if (!this.#headIsLineStart) while (from < 3 && from < bytes.length && ((bytes[from] ?? 0) & 0xc0) === 0x80) from += 1;
    const lines = splitLines(bytes.toString('utf8', from));
    let truncated = this.#overwritten;
    let partial: string | null = null;
    if (!this.#headIsLineStart) {
      // The first line lost its beginning: it is kept only when it is all there is, as a cut line.
      const first = lines.shift() ?? '';
      if (lines.length === 0) partial = first;
    }
    if (partial !== null) return (this.#read = { text: this.#cut(this.#redactCut(partial)), truncated: true });
    const kept: string[] = [];
    let bytesKept = -1;
    for (let i = lines.length - 1; i >= 0; i -= 1) {
      const line = redaction.redactLine(lines[i] ?? '');
      const lineBytes = Buffer.byteLength(line);
      if (bytesKept + 1 + lineBytes > this.#maxBytes) {
        truncated = true;
        if (kept.length === 0) return (this.#read = { text: this.#cut(line), truncated });
        break;
      }
      kept.push(line);
      bytesKept += 1 + lineBytes;
    }
    return (this.#read = { text: kept.reverse().join('\n'), truncated });
  }

  /** Redacts text that starts inside a line: the end of a secret it may start with goes too. */
  #redactCut(text: string): string {
    return redactFromCut(text, this.#redaction.cuttable, this.#redaction.redact);
  }

  /** The end of an over-long (redacted) line behind the marker, starting on a character boundary. */
  #cut(line: string): string {
    const body = line.startsWith(CUT_MARKER) ? line.slice(CUT_MARKER.length) : line;
    return CUT_MARKER + lastUtf8Bytes(body, this.#maxBytes - Buffer.byteLength(CUT_MARKER));
  }
}

const NO_SECRETS = createRedaction([]);

/** Where {@link OutputTail.push} encodes a line: UTF-8 takes at most 3 bytes per UTF-16 unit. */
const SCRATCH_BYTES = 4096;
const SCRATCH = Buffer.allocUnsafeSlow(SCRATCH_BYTES);

/** Whether a line starts at a byte that follows `before` (a `\n`, or a `\r` not followed by `\n`). */
function startsLine(before: number | undefined, first: number | undefined): boolean {
  return before === LF || (before === CR && first !== LF);
}

/** Splits text that ends with a line end into its lines (at `\n`, `\r\n` and `\r`). */
function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  lines.pop();
  return lines;
}
