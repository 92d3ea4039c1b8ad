import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CUT_MARKER, OutputTail } from '../src/output-tail.js';

describe('OutputTail', () => {
  it('keeps everything while it fits', () => {
    const tail = new OutputTail(1024);
    tail.push('a');
    tail.push('');
    tail.push('ü');
    expect(tail.text).toBe('a\n\nü');
    expect(tail.truncated).toBe(false);
  });

  it('keeps the last lines within the byte bound, multi-byte characters counted in bytes', () => {
    const tail = new OutputTail(1024);
    for (let i = 0; i < 500; i += 1) tail.push(`${i} ${'é'.repeat(10)}`);
    expect(Buffer.byteLength(tail.text)).toBeLessThanOrEqual(1024);
    expect(tail.text.endsWith(`499 ${'é'.repeat(10)}`)).toBe(true);
    expect(tail.text.split('\n')[0]).toMatch(/^\d+ é{10}$/);
    expect(tail.truncated).toBe(true);
  });

  it('keeps the end of an over-long line behind a marker', () => {
    const tail = new OutputTail(1024);
    tail.push('x'.repeat(5000) + 'END');
    expect(tail.text.startsWith(CUT_MARKER)).toBe(true);
    expect(tail.text.endsWith('xEND')).toBe(true);
    expect(Buffer.byteLength(tail.text)).toBeLessThanOrEqual(1024);
    const wide = new OutputTail(1024);
    wide.push('€'.repeat(1000));
    expect(wide.text).toBe(CUT_MARKER + '€'.repeat(Math.floor((1024 - Buffer.byteLength(CUT_MARKER)) / 3)));
  });

  it('always equals the longest suffix of whole lines that fits (or a cut last line)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 300 }).filter((line) => !line.includes('\n')), { maxLength: 60 }), fc.integer({ min: 64, max: 512 }), (lines, max) => {
        const tail = new OutputTail(max);
        for (const line of lines) tail.push(line);
        let expected: string[] = [];
        for (let i = lines.length - 1; i >= 0; i -= 1) {
          const candidate = [lines[i] ?? '', ...expected];
          if (Buffer.byteLength(candidate.join('\n')) > max) break;
          expected = candidate;
        }
        if (lines.length > 0 && expected.length === 0) {
          expect(tail.text.startsWith(CUT_MARKER)).toBe(true);
          expect(Buffer.byteLength(tail.text)).toBeLessThanOrEqual(max);
        } else {
          expect(tail.text).toBe(expected.join('\n'));
          expect(tail.truncated).toBe(expected.length < lines.length);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
