// Write your own main task: run commands with ctx.exec, report lines with ctx.output, progress with
// ctx.progress, and return data that ends up in the JSON result.
// Run: `npx tsx examples/custom-task.ts`. Works in a temp directory it removes.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatFlow, JobPipeline, type Task } from 'jobhooks';

const work = mkdtempSync(join(tmpdir(), 'jobhooks-example-'));
const data = join(work, 'data');
mkdirSync(data);
for (const name of ['a.txt', 'b.txt', 'c.log']) writeFileSync(join(data, name), `${name}\n`);

/** A backup of one directory: lists it, archives it, and returns the file count as data. */
function archiveTask(source: string, target: string): Task {
  return {
    type: 'backup',
    name: `Archive ${source}`,
    // critical defaults to true for a custom task: its failure fails the job.
    timeout: '1m',
    async run(ctx) {
      // An argv array runs without a shell. onOutput takes the lines instead of the task's output,
      // so they can be parsed; ctx.output keeps what should be kept.
      const files: string[] = [];
      const listing = await ctx.exec(['find', source, '-type', 'f'], { onOutput: (line) => files.push(line) });
      if (listing.exitCode !== 0) return { status: 'failed', exitCode: listing.exitCode, error: listing.error ?? 'find failed' };
      ctx.output(`found ${files.length} files`);
      ctx.progress({ percent: 50, message: 'listed' });

      // A string runs through the shell, with the job's environment (JOBHOOKS_* included).
      const tar = await ctx.exec(`tar -czf "${target}" -C "${source}" . && echo "archive for job $JOBHOOKS_JOB_ID written"`);
      ctx.progress({ percent: 100, message: 'archived' });
      if (tar.exitCode !== 0) {
        // Pass the flags on, so the flow says "Timed Out" or "Cancelled" when that is what happened.
        return { status: 'failed', exitCode: tar.exitCode, signal: tar.signal, timedOut: tar.timedOut, cancelled: tar.cancelled, error: tar.error };
      }
      return { status: 'completed', exitCode: 0, data: { files: files.length, logs: files.filter((f) => f.endsWith('.log')).length } };
    },
  };
}

/** A non-critical check that completes with a warning: the job ends completed_with_warnings. */
const checkTask: Task = {
  type: 'check',
  name: 'Check archive',
  critical: false,
  async run(ctx) {
    const r = await ctx.exec(`tar -tzf "$ARCHIVE" | wc -l`, { env: { ARCHIVE: join(work, 'data.tgz') } });
    ctx.output('1 file changed while it was read (pretend)');
    return { status: 'completed', exitCode: r.exitCode, warning: true };
  },
};

try {
  const pipeline = new JobPipeline({ jobId: 'custom-task-demo', tasks: [archiveTask(data, join(work, 'data.tgz')), checkTask] });
  pipeline.on('taskProgress', ({ taskIndex, percent, message }) => console.log(`progress task ${taskIndex}: ${percent}% ${message}`));
  const result = await pipeline.run();
  console.log(formatFlow(result));
  const [archive, check] = result.tasks;
  console.log(`archive output: ${JSON.stringify(archive?.output)}`);
  console.log(`archive data: ${JSON.stringify(archive?.data)}`);
  console.log(`check output: ${JSON.stringify(check?.output)}`);
  console.log(`job status: ${result.status}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
