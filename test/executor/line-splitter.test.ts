import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { copiedBytes, cutMarker, LineSplitter } from '../../src/executor/line-splitter.js';
import { chunked } from '../support/chunks.js';

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

/**
 * A line of `totalBytes` printable bytes, each position recognisable (`(i * 7) % 91 + 33`), in chunks of
 * a repeating pattern of sizes: 64 KiB reads mixed with tiny ones (a slow writer), as a pipe delivers them.
 */
function longLine(totalBytes: number): { readonly bytes: Buffer; readonly chunks: Buffer[] } {
  const bytes = Buffer.allocUnsafe(totalBytes);
  for (let index = 0; index < totalBytes; index += 1) bytes[index] = ((index * 7) % 91) + 33;
  const sizes = [65_536, 1, 3, 4_095, 100, 65_536, 65_536, 17, 8_192];
  const chunks: Buffer[] = [];
  for (let offset = 0, turn = 0; offset < totalBytes; turn += 1) {
    const size = Math.min(sizes[turn % sizes.length] ?? 1, totalBytes - offset);
    chunks.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return { bytes, chunks };
}

describe('LineSplitter: long lines', () => {
  const size = 20 * 1024 * 1024;
  const { bytes, chunks } = longLine(size);

  it('keeps the exact last maxLineBytes of a 20 MB line, with the exact cut count', () => {
    expect(split(chunks, 65_536)).toEqual([cutMarker(size - 65_536) + bytes.toString('latin1', size - 65_536)]);
  });

  it('keeps a 20 MB line whole, head to tail, when the bound allows it', () => {
    const [line, ...rest] = split([...chunks, Buffer.from('\nnext')], 32 * 1024 * 1024);
    expect(rest).toEqual(['next']);
    expect(line?.length).toBe(size);
    expect(line === bytes.toString('latin1')).toBe(true);
  });

  it('copies a line in time linear in its length: at most 3 bytes copied per byte, at 20 and at 60 MB', () => {
    for (const megabytes of [20, 60]) {
      const { chunks: pieces } = longLine(megabytes * 1024 * 1024);
      const before = copiedBytes();
      const lengths: number[] = [];
      const splitter = new LineSplitter(1024 * 1024 * 1024, (line) => lengths.push(line.length));
      for (const piece of pieces) splitter.write(piece);
      splitter.end();
      expect(lengths).toEqual([megabytes * 1024 * 1024]);
      expect(copiedBytes() - before).toBeLessThanOrEqual(3 * megabytes * 1024 * 1024);
    }
  });
});
