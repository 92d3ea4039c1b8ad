import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';

// A wrapper around the real fs.open that counts the /proc/N/stat files open at once and can make one
// of them fail as a process out of file descriptors does.
const io = vi.hoisted(() => ({ open: 0, maxOpen: 0, reads: 0, failWith: null as string | null }));
vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  type Callback = (error: NodeJS.ErrnoException | null, fd: number) => void;
  return {
    ...actual,
    open: (path: string, flags: string, callback: Callback) => {
      if (!path.startsWith('/proc/')) return actual.open(path, flags, callback);
      io.reads += 1;
      if (io.failWith !== null && io.reads === 3) {
        setImmediate(() => callback(Object.assign(new Error(io.failWith ?? ''), { code: io.failWith ?? '' }), -1));
        return undefined;
      }
      return actual.open(path, flags, (error, fd) => {
        if (error === null) {
          io.open += 1;
          io.maxOpen = Math.max(io.maxOpen, io.open);
        }
        callback(error, fd);
      });
    },
    close: (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
      io.open -= 1;
      return actual.close(fd, callback);
    },
  };
});

const { scanProcesses, sessionAlive, treeAlive } = await import('../../src/executor/process-tree.js');

afterEach(() => {
  Object.assign(io, { open: 0, maxOpen: 0, reads: 0, failWith: null });
});

describe('scanProcesses: one shared /proc scan', () => {
  it('gives every caller of one loop iteration the same scan, and a later caller a new one', async () => {
    const first = Array.from({ length: 500 }, () => scanProcesses());
    expect(new Set(first).size).toBe(1);
    const snapshot = await first[0];
    const readsOfOneScan = io.reads;
    expect(snapshot?.complete).toBe(true);
    // The session as the kernel reports it, read here independently. It is 0 when the session leader is
    // outside this PID namespace (a container started without a session of its own), so compare, not > 0.
    const ownSid = Number(/\) \S+ -?\d+ -?\d+ (-?\d+)/.exec(readFileSync('/proc/self/stat', 'latin1'))?.[1]);
    expect(snapshot?.processes.find((entry) => entry.pid === process.pid)?.sid).toBe(ownSid);
    const later = await scanProcesses();
    expect(later).not.toBe(snapshot);
    // 500 callers cost one scan, not 500: the second scan reads about as many files as the first.
    expect(io.reads).toBeLessThan(readsOfOneScan * 3);
  });

  it('keeps at most 16 stat files open at once', async () => {
    // Enough processes for the limit to matter even in a container that runs little else.
    const sleepers = Array.from({ length: 40 }, () => spawn('sleep', ['30'], { stdio: 'ignore' }));
    try {
      await Promise.all(Array.from({ length: 50 }, () => scanProcesses()));
      expect(io.reads).toBeGreaterThan(40);
      // At most 16; exactly 16 only when none of the first 16 pids vanished before its open (a process
      // of a test running beside this one can), so the test asks for the bound and for reads at once.
      expect(io.maxOpen).toBeLessThanOrEqual(16);
      expect(io.maxOpen).toBeGreaterThan(1);
    } finally {
      for (const sleeper of sleepers) sleeper.kill('SIGKILL');
    }
  });

  it.each(['EMFILE', 'ENFILE'])('on %s marks the scan incomplete, which counts as "still alive, look again"', async (code) => {
    io.failWith = code;
    const snapshot = await scanProcesses();
    expect(snapshot.complete).toBe(false);
    // No process has session 0 here: only the incomplete scan makes it answer true.
    expect(sessionAlive(0x7fffffff, snapshot)).toBe(true);
    expect(sessionAlive(0x7fffffff, { ...snapshot, complete: true })).toBe(false);
  });

  it('treeAlive answers for the whole session of this process', async () => {
    const own = (await scanProcesses()).processes.find((entry) => entry.pid === process.pid);
    expect(own).toBeDefined();
    expect(await treeAlive(own?.sid ?? 0, 'linux')).toBe(true);
    expect(await treeAlive(0x7fffffff, 'linux')).toBe(false);
    expect(await treeAlive(own?.sid ?? 0, 'win32')).toBe(false);
  });
});
