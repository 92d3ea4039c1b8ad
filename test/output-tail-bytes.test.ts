import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLineRedactor, createRedaction, createRedactor } from '../src/env.js';
import { LineSplitter } from '../src/executor/line-splitter.js';
import { JobPipeline } from '../src/index.js';
import { CUT_MARKER, OutputTail } from '../src/output-tail.js';
import { lastUtf8Bytes } from '../src/utf8.js';
import { chunked } from './support/chunks.js';

/** Feeds `chunks` through a line splitter into a tail by bytes, as the engine does with ShellExecutor. */
function tailOf(chunks: readonly (Buffer | string)[], maxBytes: number, secrets: readonly string[] = []): { tail: OutputTail; lines: string[] } {
  const tail = new OutputTail(maxBytes, createRedaction(secrets));
  const lines: string[] = [];
  /** Lines whose bytes the tail already has: each line's bytes must come before the line. */
  let linesInBytes = 0;
  const splitter = new LineSplitter(
    maxBytes,
    (line) => {
      if (lines.length >= linesInBytes) throw new Error('a line came before its bytes');
      lines.push(line);
    },
    (bytes) => {
      linesInBytes += bytes.toString('latin1').split(/\r\n|\r|\n/).length - 1;
      tail.write(bytes);
    },
  );
  for (const chunk of chunks) splitter.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  splitter.end();
  return { tail, lines };
}

/** The tail's contract on whole lines: the longest suffix that fits once redacted, or the last line cut. */
function expectedTail(lines: readonly string[], maxBytes: number, secrets: readonly string[]): { text: string; truncated: boolean } {
  const redact = createRedactor(secrets);
  const kept: string[] = [];
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const candidate = [redact(lines[i] ?? ''), ...kept];
    if (Buffer.byteLength(candidate.join('\n')) > maxBytes) {
      if (kept.length === 0) return { text: CUT_MARKER + lastUtf8Bytes(candidate[0] ?? '', maxBytes - Buffer.byteLength(CUT_MARKER)), truncated: true };
      break;
    }
    kept.unshift(candidate[0] ?? '');
  }
  return { text: kept.join('\n'), truncated: kept.length < lines.length };
}


describe('OutputTail fed with raw bytes', () => {
  it('equals the tail of the whole redacted lines, however the bytes are cut into reads (CRLF, UTF-8, secrets across reads)', () => {
    // A three-byte secret is as long as its `***`: the contract above is then exact even when the ring drops bytes.
    const secrets = ['s3c'];
    const piece = fc.constantFrom('a', 'é', '€', '😀', ' ', '\n', '\r', '\r\n', 's3c', 's3', 'c');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 200 }), fc.array(fc.nat(), { maxLength: 12 }), fc.integer({ min: 12, max: 80 }), (pieces, cuts, maxBytes) => {
        const bytes = Buffer.from(pieces.join(''));
        const { tail, lines } = tailOf(chunked(bytes, cuts), 100_000, secrets);
        const reference = tailOf([bytes], 100_000, secrets);
        expect(lines).toEqual(reference.lines);
        // Same output through a tail of the bound under test:
        const bounded = tailOf(chunked(bytes, cuts), maxBytes, secrets);
        const splitterLines = tailOf(chunked(bytes, cuts), maxBytes).lines;
        expect(bounded.tail.text).toBe(expectedTail(splitterLines, maxBytes, secrets).text);
        expect(bounded.tail.truncated).toBe(expectedTail(splitterLines, maxBytes, secrets).truncated);
        expect(tail.text).toBe(expectedTail(lines, 100_000, secrets).text);
        expect(bounded.tail.text).not.toContain('s3c');
      }),
      { numRuns: 3000 },
    );
  });

  it('equals the tail of the whole lines without secrets too (where it decodes the bytes at once), CR, CRLF, UTF-8 cut anywhere, invalid UTF-8', () => {
    // 0xff and a cut-off '€' are invalid UTF-8: each byte becomes a three-byte U+FFFD when decoded.
    const piece = fc.constantFrom(...['a', 'é', '€', '😀', ' ', '\n', '\r', '\r\n', '\r\r\n'].map((text) => Buffer.from(text)), Buffer.from([0xff]), Buffer.from([0xe2, 0x82]));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 200 }), fc.array(fc.nat(), { maxLength: 12 }), fc.integer({ min: 12, max: 400 }), (pieces, cuts, maxBytes) => {
        const { tail, lines } = tailOf(chunked(Buffer.concat(pieces), cuts), maxBytes);
        expect(Buffer.byteLength(tail.text)).toBeLessThanOrEqual(maxBytes);
        expect(tail.text).toBe(expectedTail(lines, maxBytes, []).text);
        expect(tail.truncated).toBe(expectedTail(lines, maxBytes, []).truncated);
      }),
      { numRuns: 3000 },
    );
  });

  it('redacts a secret split across two reads of the pipe, and a CRLF split across them ends one line', () => {
    const { tail } = tailOf(['pass=hun', 'ter2\r', '\nok\n'], 1024, ['hunter2']);
    expect(tail.text).toBe('pass=***\nok');
    expect(tail.truncated).toBe(false);
  });

  it('decodes a character split across two reads', () => {
    const euro = Buffer.from('€\n');
    const { tail } = tailOf([euro.subarray(0, 1), euro.subarray(1, 2), euro.subarray(2)], 1024);
    expect(tail.text).toBe('€');
  });

  it('keeps lines pushed as text and bytes written in one order', () => {
    const tail = new OutputTail(1024, createRedaction(['hunter2']));
    tail.write(Buffer.from('a\r\nhunter2\r'));
    tail.push('b hunter2');
    tail.write(Buffer.from('c\n'));
    expect(tail.text).toBe('a\n***\nb ***\nc');
  });

  it('shows no end of a secret where a line longer than the ring lost its beginning', () => {
    // The ring keeps 2 × 64 + 2 = 130 bytes: 'er2' and 18 whole secrets, which redact to 57 bytes.
    const tail = new OutputTail(64, createRedaction(['hunter2']));
    tail.write(Buffer.from(`${'hunter2'.repeat(40)}\n`));
    expect(tail.text).toBe(CUT_MARKER + '***'.repeat(18));
    expect(tail.truncated).toBe(true);
  });

  it('shows no end of a secret where the executor cut a long line', () => {
    // The splitter keeps the last 64 bytes: '2' and 9 whole secrets, behind its own marker.
    const { tail, lines } = tailOf(['hunter2'.repeat(20), 'hunter2'.repeat(20), '\n'], 64, ['hunter2']);
    expect(lines).toEqual([`[… 216 bytes cut] 2${'hunter2'.repeat(9)}`]);
    expect(tail.text).toBe(`[… 216 bytes cut] ${'***'.repeat(9)}`);
  });

  it('keeps the end of a line longer than the tail, from whole lines or from a ring that lost its start', () => {
    const whole = tailOf([`${'x'.repeat(100)}END\nshort\n${'y'.repeat(200)}END\n`], 64);
    expect(whole.tail.text).toBe(CUT_MARKER + 'y'.repeat(64 - Buffer.byteLength(CUT_MARKER) - 3) + 'END');
    expect(whole.tail.truncated).toBe(true);
    const wide = new OutputTail(64);
    wide.write(Buffer.from(`${'€'.repeat(100)}\n`));
    expect(wide.text).toBe(CUT_MARKER + '€'.repeat(Math.floor((64 - Buffer.byteLength(CUT_MARKER)) / 3)));
  });

  it('takes a plain Uint8Array as a Buffer, a view into a larger buffer included (an executor of its own)', async () => {
    const plain = new Uint8Array(new TextEncoder().encode('xxxxpass=hunter2\nlast €\nyyyy').buffer, 4, 22);
    const tail = new OutputTail(1024, createRedaction(['hunter2']));
    tail.write(plain);
    expect(tail.text).toBe('pass=***\nlast €');
    // Through the engine: an executor that hands plain Uint8Arrays before their lines.
    const pipeline = new JobPipeline({
      secrets: ['hunter2'],
      preHooks: [{ name: 'own', command: 'ignored' }],
      executor: {
        async execute(request) {
          request.onOutputBytes?.(plain, 'stdout');
          request.onOutput?.('pass=hunter2', 'stdout');
          request.onOutput?.('last €', 'stdout');
          return { exitCode: 0, signal: null, timedOut: false, cancelled: false, error: null, durationMs: 1 };
        },
      },
    });
    const result = await pipeline.run();
    expect(result.tasks[0]?.output).toBe('pass=***\nlast €');
  });

  it('through a real hook: the tail and the events are redacted, a secret split across two writes included', async () => {
    const events: string[] = [];
    const pipeline = new JobPipeline({
      secrets: ['hunter2'],
      preHooks: [{ name: 'split', command: "printf 'pass=hun'; sleep 0.2; printf 'ter2\\r\\nlast hunter2'" }],
    });
    pipeline.on('taskOutput', ({ line, stream }) => events.push(`${stream}:${line}`));
    const result = await pipeline.run();
    expect(result.tasks[0]?.output).toBe('pass=***\nlast ***');
    expect(result.tasks[0]?.outputTruncated).toBe(false);
    expect(events).toEqual(['stdout:pass=***', 'stdout:last ***']);
  });

  it('through a real hook: a line the executor cut shows no end of a secret in its event either', async () => {
    const events: string[] = [];
    // 1,024 bytes kept: the cut falls 3 bytes before the end of the secret, leaving 'er2' at the start.
    const pipeline = new JobPipeline({
      secrets: ['hunter2'],
      defaults: { maxOutputBytes: 1024 },
      preHooks: [{ name: 'long', command: `printf '%s' "$(head -c 2000 /dev/zero | tr '\\0' a)hunter2$(head -c 1021 /dev/zero | tr '\\0' b)"` }],
    });
    pipeline.on('taskOutput', ({ line }) => events.push(line));
    const result = await pipeline.run();
    expect(events).toEqual([`[… 2004 bytes cut] ${'b'.repeat(1021)}`]);
    expect(result.tasks[0]?.output).toMatch(/^\[… cut\] b+$/);
  });
});

describe('createLineRedactor', () => {
  it('redacts as createRedactor, and a cut line also loses the end of a secret it begins with', () => {
    const redact = createLineRedactor(['hunter2', 'x']);
    expect(redact('pass=hunter2 and x')).toBe('pass=*** and ***');
    expect(redact('[… 9 bytes cut] ter2 then hunter2')).toBe('[… 9 bytes cut]  then ***');
    // Not cut: 'ter2' is not a secret's end there, it is text.
    expect(redact('ter2 then')).toBe('ter2 then');
    expect(createLineRedactor([])('[… 9 bytes cut] ter2')).toBe('[… 9 bytes cut] ter2');
  });
});
