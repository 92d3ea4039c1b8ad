import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstUtf8Bytes, lastUtf8Bytes } from '../src/utf8.js';

describe('UTF-8 cuts', () => {
  it('cut on whole characters', () => {
    expect(lastUtf8Bytes('a€b', 4)).toBe('€b');
    expect(lastUtf8Bytes('a€b', 3)).toBe('b');
    expect(firstUtf8Bytes('a€b', 3)).toBe('a');
    expect(firstUtf8Bytes('a€b', 4)).toBe('a€');
    expect(lastUtf8Bytes('short', 100)).toBe('short');
    expect(firstUtf8Bytes('short', 100)).toBe('short');
  });

  it('give the longest end or start that fits, for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.integer({ min: 0, max: 80 }), (text, max) => {
        const end = lastUtf8Bytes(text, max);
        const start = firstUtf8Bytes(text, max);
        expect(text.endsWith(end) && text.startsWith(start)).toBe(true);
        expect(Buffer.byteLength(end)).toBeLessThanOrEqual(max);
        expect(Buffer.byteLength(start)).toBeLessThanOrEqual(max);
        // One more code point would not fit (or there is none).
        const longerEnd = [...text].slice(-([...end].length + 1)).join('');
        if (longerEnd !== end) expect(Buffer.byteLength(longerEnd)).toBeGreaterThan(max);
        const longerStart = [...text].slice(0, [...start].length + 1).join('');
        if (longerStart !== start) expect(Buffer.byteLength(longerStart)).toBeGreaterThan(max);
      }),
      { numRuns: 500 },
    );
  });
});
