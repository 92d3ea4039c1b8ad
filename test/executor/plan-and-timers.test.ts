import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { describeSpawnError, planSpawn, type SpawnPlan } from '../../src/executor/shell-executor.js';
import { onAbort, startTimer } from '../../src/executor/timers.js';

describe('planSpawn', () => {
  const script = { shebang: { interpreter: '/usr/bin/env', args: ['python3'] }, dir: '/tmp/jobhooks-x', path: '/tmp/jobhooks-x/hook' };

  it('runs shell text as `shell -c text`, a script as `interpreter arg file`, argv as is', () => {
    expect(planSpawn('echo hi', '/bin/bash', null, 'linux')).toEqual({ kind: 'shell', file: '/bin/bash', args: ['-c', 'echo hi'], windowsVerbatimArguments: false });
    expect(planSpawn('#!…', '/bin/bash', script, 'linux')).toEqual({
      kind: 'script',
      file: '/usr/bin/env',
      args: ['python3', '/tmp/jobhooks-x/hook'],
      windowsVerbatimArguments: false,
    });
    expect(planSpawn(['borg', 'list', '::'], '/bin/bash', null, 'linux')).toEqual({ kind: 'argv', file: 'borg', args: ['list', '::'], windowsVerbatimArguments: false });
  });

  it('uses `/d /s /c "text"` verbatim for cmd.exe on Windows, and -c for other Windows shells', () => {
    expect(planSpawn('echo a & echo b', 'C:\\Windows\\System32\\cmd.exe', null, 'win32')).toEqual({
      kind: 'shell',
      file: 'C:\\Windows\\System32\\cmd.exe',
      args: ['/d', '/s', '/c', '"echo a & echo b"'],
      windowsVerbatimArguments: true,
    });
    expect(planSpawn('Get-Date', 'pwsh', null, 'win32').args).toEqual(['-c', 'Get-Date']);
  });

  it('runs `#!/usr/bin/env python3` scripts on Windows with the program env would have found', () => {
    expect(planSpawn('#!…', 'cmd.exe', script, 'win32')).toEqual({ kind: 'script', file: 'python3', args: ['/tmp/jobhooks-x/hook'], windowsVerbatimArguments: false });
    const split = { ...script, shebang: { interpreter: '/usr/bin/env', args: ['-S pwsh -NoProfile'] } };
    expect(planSpawn('#!…', 'cmd.exe', split, 'win32')).toEqual({ kind: 'script', file: 'pwsh', args: ['-NoProfile', '/tmp/jobhooks-x/hook'], windowsVerbatimArguments: false });
  });
});

describe('describeSpawnError', () => {
  const shell: SpawnPlan = { kind: 'shell', file: '/bin/zsh', args: ['-c', 'x'], windowsVerbatimArguments: false };
  const argv: SpawnPlan = { kind: 'argv', file: './hook.sh', args: [], windowsVerbatimArguments: false };
  const script: SpawnPlan = { kind: 'script', file: '/usr/bin/python9', args: ['/tmp/x/hook'], windowsVerbatimArguments: false };
  const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`spawn ${code}`), { code });

  it.each([
    [errno('ENOENT'), shell, 'shell not found: /bin/zsh'],
    [errno('ENOENT'), script, 'interpreter not found: /usr/bin/python9'],
    [errno('ENOENT'), argv, 'command not found: ./hook.sh'],
    [errno('EACCES'), argv, 'permission denied: ./hook.sh'],
    [errno('ENOEXEC'), argv, 'not an executable program (no #! line?): ./hook.sh'],
    [errno('EMFILE'), shell, 'cannot start /bin/zsh: out of processes, files or memory (EMFILE)'],
    [errno('EWEIRD'), shell, 'cannot start /bin/zsh: spawn EWEIRD'],
    ['not an error', shell, 'cannot start /bin/zsh: not an error'],
  ])('%s with %j → %s', async (error, plan, message) => {
    expect(await describeSpawnError(error, plan, '/')).toBe(message);
  });
});

describe('startTimer', () => {
  it('fires once after the delay and can be cancelled', async () => {
    vi.useFakeTimers();
    try {
      const fired = vi.fn();
      startTimer(100, fired);
      const cancelled = vi.fn();
      const cancel = startTimer(100, cancelled);
      cancel();
      await vi.advanceTimersByTimeAsync(99);
      expect(fired).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(1);
      expect(fired).toHaveBeenCalledTimes(1);
      expect(cancelled).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });

  it('never fires for Infinity and arms no timer', () => {
    vi.useFakeTimers();
    try {
      const cancel = startTimer(Number.POSITIVE_INFINITY, () => {});
      expect(vi.getTimerCount()).toBe(0);
      cancel();
    } finally {
      vi.useRealTimers();
    }
  });

  it('waits the full delay beyond Node timer range (2^31-1 ms) in several steps', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const fired = vi.fn();
      startTimer(2 ** 31 + 1_000, fired);
      await vi.advanceTimersByTimeAsync(2 ** 31 - 1);
      expect(fired).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(1_000);
      expect(fired).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(1);
      expect(fired).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('onAbort', () => {
  it('adds one listener per signal however many subscribe, and removes it with the last', () => {
    const controller = new AbortController();
    const unsubscribes = Array.from({ length: 20 }, () => onAbort(controller.signal, () => {}));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    for (const unsubscribe of unsubscribes) unsubscribe();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('calls every current subscriber once on abort, and none that left', () => {
    const controller = new AbortController();
    const calls: string[] = [];
    onAbort(controller.signal, () => calls.push('a'));
    const leave = onAbort(controller.signal, () => calls.push('b'));
    onAbort(controller.signal, () => calls.push('c'));
    leave();
    controller.abort();
    controller.abort();
    expect(calls).toEqual(['a', 'c']);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    // A late subscriber to an aborted signal is not called (the executor checks `aborted` first).
    const late = vi.fn();
    onAbort(controller.signal, late)();
    expect(late).not.toHaveBeenCalled();
  });
});
