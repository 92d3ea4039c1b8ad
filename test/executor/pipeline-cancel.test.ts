import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { commandTask, JobPipeline } from '../../src/index.js';
import { MARKER_VAR, processesWithMarker } from './helpers.js';

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
});
