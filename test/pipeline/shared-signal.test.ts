import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { JobPipeline } from '../../src/index.js';
import { FakeExecutor } from '../../src/testing.js';
import { failOnProcessWarnings } from '../support/processes.js';

// Node warns (MaxListenersExceededWarning) at the 11th listener on one AbortSignal.
failOnProcessWarnings();

const RUNS = 50;

function pipelines(executor: FakeExecutor): JobPipeline[] {
  return Array.from({ length: RUNS }, (_, index) => new JobPipeline({ jobId: `job-${index}`, preHooks: [{ name: 'slow', command: 'x' }], executor }));
}

describe('one AbortSignal shared by many concurrent runs (docs/execution-flow.md)', () => {
  it('50 runs hold one listener on the signal while they run, and none after', async () => {
    const controller = new AbortController();
    const executor = new FakeExecutor({ slow: { delayMs: 50 } });
    const runs = pipelines(executor).map((pipeline) => pipeline.run({ signal: controller.signal }));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    const results = await Promise.all(runs);
    expect(results.map((result) => result.status)).toEqual(Array.from({ length: RUNS }, () => 'completed'));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('aborting the shared signal cancels all 50 runs and leaves no listener', async () => {
    const controller = new AbortController();
    const executor = new FakeExecutor({ slow: { hang: true } });
    const runs = pipelines(executor).map((pipeline) => pipeline.run({ signal: controller.signal }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    const results = await Promise.all(runs);
    expect(new Set(results.map((result) => `${result.status} ${result.tasks[0]?.error}`))).toEqual(new Set(['cancelled Task cancelled']));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
