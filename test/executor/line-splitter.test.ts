import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { cutMarker, LineSplitter } from '../../src/executor/line-splitter.js';

setFlagsFromString('--expose-gc');
/** A real `gc()`, so retained memory can be measured without garbage in the way. */
const gc = runInNewContext('gc') as () => void;

/** Feeds `chunks` through a splitter and returns the lines. */
function split(chunks: readonly (Buffer | string)[], maxLineBytes = 1_000_000): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter(maxLineBytes, (line) => lines.push(line));
  for (const chunk of chunks) splitter.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  splitter.end();
  return lines;
}

/** The byte-level model: cut the lines out of the bytes, then decode each, keeping the last max bytes. */
function reference(bytes: Buffer, maxLineBytes: number): string[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let index = 0; index < bytes.length; index += 1) {
    const byte = bytes[index];
    if (byte === 0x0a || byte === 0x0d) {
      lines.push(bytes.subarray(start, index));
      if (byte === 0x0d && bytes[index + 1] === 0x0a) index += 1;
      start = index + 1;
    }
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines.map((line) => {
    if (line.length <= maxLineBytes) return line.toString('utf8');
    let from = line.length - maxLineBytes;
    for (let step = 0; step < 3 && ((line[from] ?? 0) & 0xc0) === 0x80; step += 1) from += 1;
    return cutMarker(from) + line.toString('utf8', from);
  });
}

/** Splits `bytes` into chunks at the given cut points. */
function chunked(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let previous = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(previous, point));
    previous = point;
  }
  chunks.push(bytes.subarray(previous));
  return chunks;
}

describe('LineSplitter', () => {
  it('ends lines at \\n, \\r\\n and a bare \\r, and flushes the unterminated last line', () => {
    expect(split(['a\nb\r\nc\rd'])).toEqual(['a', 'b', 'c', 'd']);
    expect(split(['\n\n'])).toEqual(['', '']);
    expect(split(['x\r\n'])).toEqual(['x']);
    expect(split(['x\r\r\n'])).toEqual(['x', '']);
    expect(split([])).toEqual([]);
  });

  it('treats \\r at the end of a chunk and \\n at the start of the next as one line end', () => {
    expect(split(['a\r', '\nb\r', '\n', 'c\r', 'd'])).toEqual(['a', 'b', 'c', 'd']);
    expect(split(['a\r', '', '\nb'])).toEqual(['a', 'b']);
  });

  it('decodes a multi-byte character split across chunks, and invalid bytes as U+FFFD', () => {
    const euro = Buffer.from('€');
    expect(split([Buffer.from('x'), euro.subarray(0, 1), euro.subarray(1, 2), Buffer.concat([euro.subarray(2), Buffer.from('\n')])])).toEqual(['x€']);
    expect(split([Buffer.from([0x61, 0xff, 0x62, 0x0a, 0xc3])])).toEqual(['a\uFFFDb', '\uFFFD']);
  });

  it('keeps the last maxLineBytes bytes of a long line, on a character boundary, with the cut marked', () => {
    expect(split(['0123456789\n'], 4)).toEqual([cutMarker(6) + '6789']);
    // 'é' is 2 bytes: the 4-byte tail 'xééé'[..] would start inside one, so it moves forward a byte.
    expect(split(['aaéé\n'], 3)).toEqual([cutMarker(4) + 'é']);
    // The same line arriving in pieces, unterminated, gives the same cut.
    expect(split(['0123', '456', '789'], 4)).toEqual([cutMarker(6) + '6789']);
  });

  it('holds a bounded amount for a 10 MB line without a newline', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter(1024, (line) => lines.push(line));
    const chunk = Buffer.alloc(65_536, 0x78);
    gc();
    const before = process.memoryUsage();
    for (let index = 0; index < 160; index += 1) splitter.write(chunk);
    gc();
    const after = process.memoryUsage();
    // Retained after collection: about the 1 KiB bound, never the 10 MB that went through.
    expect(after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers)).toBeLessThan(512 * 1024);
    splitter.end();
    expect(lines).toEqual([cutMarker(160 * 65_536 - 1024) + 'x'.repeat(1024)]);
  });

  it('stays linear on text full of \r and without \n (progress bars)', () => {
    let count = 0;
    const splitter = new LineSplitter(65_536, () => {
      count += 1;
    });
    // One 4 MiB chunk of a million redraws: rescanning for `\n` after each `\r` would take minutes.
    const chunk = Buffer.from('12%\r'.repeat(1 << 20));
    const started = performance.now();
    splitter.write(chunk);
    splitter.end();
    expect(count).toBe(1 << 20);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('matches the byte-level model for any bytes, any chunking, no line over the bound', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 12 }), (array, cuts) => {
        // Bias towards line ends and multi-byte lead bytes.
        const bytes = Buffer.from(array.map((byte) => (byte % 7 === 0 ? 0x0a : byte % 11 === 0 ? 0x0d : byte)));
        expect(split(chunked(bytes, cuts))).toEqual(reference(bytes, 1_000_000));
      }),
      { numRuns: 500 },
    );
  });

  it('matches the byte-level model for valid UTF-8 lines over a small bound, any chunking', () => {
    const text = fc.array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.constantFrom('\n', '\r', '\r\n')), { maxLength: 20 });
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 12 }), fc.integer({ min: 1, max: 24 }), (parts, cuts, max) => {
        const bytes = Buffer.from(parts.join(''));
        const lines = split(chunked(bytes, cuts), max);
        expect(lines).toEqual(reference(bytes, max));
        for (const line of lines) {
          const body = line.replace(/^\[… \d+ bytes cut\] /, '');
          expect(Buffer.byteLength(body)).toBeLessThanOrEqual(max);
        }
      }),
      { numRuns: 500 },
    );
  });
});
