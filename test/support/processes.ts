import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';

/** Whether a process is alive (a zombie is not: it has exited and only waits to be reaped). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * PIDs of live processes whose environment carries `name=value`: whatever a test's commands left
 * behind, however deep in the tree and whatever their process group.
 */
export function processesWithEnv(name: string, value: string): number[] {
  const needle = `${name}=${value}`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(needle) && isAlive(Number(entry))) {
        found.push(Number(entry));
      }
    } catch {
      // Gone meanwhile, or not ours to read: not left over.
    }
  }
  return found;
}

/** Makes every test of the file fail if the process emitted a warning (MaxListenersExceeded, TimeoutOverflow, …). */
export function failOnProcessWarnings(): void {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => {
    warnings.push(warning);
  };
  beforeAll(() => {
    process.on('warning', onWarning);
  });
  afterAll(() => {
    process.off('warning', onWarning);
  });
  beforeEach(() => {
    warnings.length = 0;
  });
  afterEach(() => {
    expect(warnings.map((warning) => `${warning.name}: ${warning.message}`)).toEqual([]);
  });
}
