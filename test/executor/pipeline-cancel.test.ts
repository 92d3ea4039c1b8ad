import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandTask, JobPipeline } from '../../src/index.js';
import { FIXTURES, groupAndSession, MARKER_VAR, pause, processesWithMarker, waitFor } from './helpers.js';

describe('JobPipeline + ShellExecutor: cancel mid-hook', () => {
  it('kills the running hook tree, marks it cancelled, skips the rest, and still runs the runOnJobFailure cleanup', async () => {
    const marker = randomUUID();
    const controller = new AbortController();
    let aliveBeforeCancel: number[] = [];
    const pipeline = new JobPipeline({
      jobId: 'cancel-job',
      env: { [MARKER_VAR]: marker },
      defaults: { killGrace: 1 },
      preHooks: [{ name: 'Long Dump', command: 'sleep 60 & sleep 60 & echo ready; wait' }],
      tasks: [commandTask({ type: 'backup', name: 'Backup', command: 'echo should-not-run' })],
      postHooks: [
        { name: 'Restart Services', command: 'echo should-not-run' },
        { name: 'Cleanup', command: 'echo "cleanup-ran status=$JOBHOOKS_JOB_STATUS"', runOnJobFailure: true },
      ],
    });
    pipeline.on('taskOutput', ({ taskIndex, line }) => {
      if (taskIndex === 0 && line === 'ready') {
        // Positive control: the lookup does see the hook's processes while they run.
        aliveBeforeCancel = processesWithMarker(marker);
        controller.abort();
      }
    });
    const started = performance.now();
    const result = await pipeline.run({ signal: controller.signal });
    const elapsedMs = performance.now() - started;

    expect(aliveBeforeCancel.length).toBeGreaterThanOrEqual(3);
    expect(result.status).toBe('cancelled');
    expect(result.tasks.map((task) => [task.name, task.status, task.cancelled, task.skipReason])).toEqual([
      ['Long Dump', 'failed', true, null],
      ['Backup', 'skipped', false, 'Task skipped due to job cancellation'],
      ['Restart Services', 'skipped', false, 'Task skipped due to job cancellation'],
      ['Cleanup', 'completed', false, null],
    ]);
    const [hook, , , cleanup] = result.tasks;
    expect(hook?.error).toBe('Task cancelled');
    expect(hook?.signal).toBe('SIGTERM');
    expect(hook?.exitCode).toBeNull();
    expect(hook?.output).toBe('ready');
    expect(cleanup?.output).toBe('cleanup-ran status=cancelled');
    expect(elapsedMs).toBeLessThan(1_000 + 3_000);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('cancel with a step under coreutils `timeout` (its own process group): the cleanup post-hook runs after it stopped writing', async () => {
    const marker = randomUUID();
    const dir = mkdtempSync(join(tmpdir(), 'jh-cancel-'));
    const file = join(dir, 'writes');
    const writes = (): number => {
      try {
        return readFileSync(file, 'latin1').length;
      } catch {
        return 0;
      }
    };
    try {
      const controller = new AbortController();
      const pipeline = new JobPipeline({
        jobId: 'cancel-escaped',
        env: { [MARKER_VAR]: marker, OUT: file },
        defaults: { killGrace: 1 },
        preHooks: [{ name: 'Dump', command: `timeout 100 ${join(FIXTURES, 'append-forever.sh')} "$OUT"; echo after` }],
        tasks: [commandTask({ type: 'backup', name: 'Backup', command: 'echo should-not-run' })],
        // What the cleanup sees when it starts must be the file's final size.
        postHooks: [{ name: 'Cleanup', command: 'wc -c < "$OUT"', runOnJobFailure: true }],
      });
      const pending = pipeline.run({ signal: controller.signal });
      await waitFor(() => writes() >= 4);
      // Positive control: the writer is alive, in another process group than the hook's.
      const members = processesWithMarker(marker).map(groupAndSession);
      expect(members.some((member) => member !== null && member.pgid !== member.sid)).toBe(true);
      controller.abort();
      const result = await pending;

      expect(result.status).toBe('cancelled');
      expect(result.tasks.map((task) => [task.name, task.status, task.cancelled])).toEqual([
        ['Dump', 'failed', true],
        ['Backup', 'skipped', false],
        ['Cleanup', 'completed', false],
      ]);
      const size = writes();
      expect(result.tasks[2]?.output).toBe(String(size));
      await pause(400);
      expect(writes()).toBe(size);
      expect(processesWithMarker(marker)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
