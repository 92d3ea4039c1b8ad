// Write your own executor: decide how each command runs. Two small ones: a dry run that runs
// nothing, and a wrapper that times every command it hands to the real ShellExecutor.
// Run: `npx tsx examples/custom-executor.ts`. Runs only `echo` and `sleep`.
import { commandTask, formatFlow, JobPipeline, ShellExecutor, type ExecRequest, type ExecResult, type Executor, type JobPipelineOptions } from 'jobhooks';

/** Runs nothing: says what would run, and reports success. */
class DryRunExecutor implements Executor {
  async execute(request: ExecRequest): Promise<ExecResult> {
    const what = typeof request.command === 'string' ? `${request.shell} -c ${JSON.stringify(request.command)}` : JSON.stringify(request.command);
    request.onOutput?.(`would run in ${request.cwd === process.cwd() ? '.' : request.cwd}: ${what}`, 'stdout');
    return { exitCode: 0, signal: null, timedOut: false, cancelled: false, error: null, durationMs: 0 };
  }
}

/** Delegates to another executor and records how long each command took. */
class TimingExecutor implements Executor {
  readonly timings: Array<{ readonly task: string; readonly exitCode: number | null; readonly durationMs: number }> = [];
  readonly #inner: Executor;

  constructor(inner: Executor = new ShellExecutor()) {
    this.#inner = inner;
  }

  async execute(request: ExecRequest): Promise<ExecResult> {
    // The inner executor honours request.signal and request.timeoutMs; this one adds nothing to wait on.
    const result = await this.#inner.execute(request);
    this.timings.push({ task: request.taskName ?? '(no task)', exitCode: result.exitCode, durationMs: result.durationMs });
    return result;
  }
}

const options: JobPipelineOptions = {
  preHooks: [{ name: 'Database Dump', command: 'echo dumping; sleep 0.2', critical: true }],
  tasks: [commandTask({ type: 'backup', name: 'Archive', command: ['echo', 'archiving'] })],
  postHooks: [{ name: 'Cleanup', command: 'echo cleaning', runOnJobFailure: true }],
};

const dryRun = await new JobPipeline({ ...options, executor: new DryRunExecutor() }).run();
for (const task of dryRun.tasks) console.log(`${task.name}: ${task.output}`);

const timing = new TimingExecutor();
const real = await new JobPipeline({ ...options, executor: timing }).run();
console.log(formatFlow(real));
console.log(`commands run: ${timing.timings.map((t) => `${t.task} (exit ${t.exitCode})`).join(', ')}`);
console.log(`the dump took at least its 200 ms of sleep: ${(timing.timings[0]?.durationMs ?? 0) >= 200 ? 'yes' : 'no'}`);
