import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandTask, JobPipeline } from '../../src/index.js';
import { FakeExecutor, RecordingNotifier } from '../../src/testing.js';

const warnings: Error[] = [];
const onWarning = (warning: Error) => warnings.push(warning);

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}

function pipelineFor(i: number, signal?: AbortSignal) {
  const fails = i % 3 === 0;
  const notifier = new RecordingNotifier({ timeout: '5s' });
  const pipeline = new JobPipeline({
    jobId: `job-${i}`,
    repository: { name: `repo-${i}` },
    preHooks: [{ name: 'dump', command: 'x', critical: true, timeout: '5s' }],
    tasks: [commandTask({ type: 'backup', name: 'backup', command: 'y', timeout: '5s' })],
    postHooks: [{ name: 'cleanup', command: 'z', runOnJobFailure: true, timeout: '5s' }],
    notifiers: [notifier],
    executor: new FakeExecutor({ dump: { exitCode: fails ? 1 : 0, delayMs: i % 7 }, backup: { delayMs: i % 5, output: [`backed up ${i}`] } }),
  });
  return { pipeline, notifier, fails, signal };
}

describe('many pipelines', () => {
  beforeEach(() => {
    warnings.length = 0;
    process.on('warning', onWarning);
  });
  afterEach(() => {
    process.off('warning', onWarning);
  });

  it('runs 300 pipelines at once, each correct, leaking no timers, listeners or warnings', async () => {
    const timersBefore = activeTimers();
    const controllers = Array.from({ length: 300 }, () => new AbortController());
    const jobs = controllers.map((controller, i) => pipelineFor(i, controller.signal));
    const results = await Promise.all(jobs.map(({ pipeline, signal }) => pipeline.run({ signal })));

    results.forEach((result, i) => {
      const job = jobs[i];
      expect(result.jobId).toBe(`job-${i}`);
      expect(result.status).toBe(job?.fails ? 'failed' : 'completed');
      expect(result.tasks.map((t) => t.status)).toEqual(job?.fails ? ['failed', 'skipped', 'completed', 'completed'] : ['completed', 'completed', 'completed', 'completed']);
      expect(job?.notifier.messages[0]?.body).toContain(`Backup job for 'repo-${i}'`);
      if (!job?.fails) expect(result.tasks[1]?.output).toBe(`backed up ${i}`);
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
    for (const controller of controllers) expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(warnings).toEqual([]);
  });

  it('runs 1,000 pipelines in a row on one shared signal without accumulating anything', async () => {
    const timersBefore = activeTimers();
    const controller = new AbortController();
    for (let i = 0; i < 1000; i += 1) {
      const { pipeline, fails } = pipelineFor(i);
      const result = await pipeline.run({ signal: controller.signal });
      expect(result.status).toBe(fails ? 'failed' : 'completed');
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(warnings).toEqual([]);
  });
});
