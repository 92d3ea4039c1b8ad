import { describe, expect, it } from 'vitest';
import { formatBytes, nextProgress, progressText, type ProgressView } from '../../src/cli/progress.js';

describe('progress of a running task', () => {
  it('shows a percent as given, clamped to 0–100', () => {
    expect(progressText(nextProgress(undefined, { percent: 42.4 }, 0))).toBe('42%');
    expect(progressText(nextProgress(undefined, { percent: 7.25 }, 0))).toBe('7.3%');
    expect(progressText(nextProgress(undefined, { percent: 130 }, 0))).toBe('100%');
    expect(progressText(nextProgress(undefined, { message: 'Saving files cache' }, 0))).toBe('Saving files cache');
    expect(progressText(undefined)).toBe('');
  });

  it('measures throughput from originalSize over the last five seconds, once it spans half a second', () => {
    const MiB = 1024 * 1024;
    let view: ProgressView | undefined;
    const at = (ms: number, size: number): string => {
      view = nextProgress(view, { kind: 'archive_progress', originalSize: size, finished: false }, ms);
      return progressText(view);
    };
    expect(at(0, 0)).toBe('0 B read');
    expect(at(200, 2 * MiB)).toBe('2.00 MiB read');
    expect(at(1000, 10 * MiB)).toBe('10.0 MiB read · 10.0 MiB/s');
    // Samples older than five seconds drop out: the rate follows a slowdown.
    expect(at(5000, 14 * MiB)).toBe('14.0 MiB read · 2.80 MiB/s');
    expect(at(9000, 15 * MiB)).toBe('15.0 MiB read · 256 KiB/s');
    // borg's `finished` event carries no size: what was shown stays.
    view = nextProgress(view, { kind: 'archive_progress', finished: true }, 9500);
    expect(progressText(view)).toBe('15.0 MiB read · 256 KiB/s');
  });

  it('formats bytes in binary units', () => {
    expect([0, 512, 1536, 10 * 1024 ** 2, 456 * 1024 ** 3, 3 * 1024 ** 4].map(formatBytes)).toEqual(['0 B', '512 B', '1.50 KiB', '10.0 MiB', '456 GiB', '3.00 TiB']);
  });
});
