// Errors are data: branch on `code`, `issues[].path` and result flags, never on message text.
// Run: `npx tsx examples/errors-as-data.ts`. Runs only `sleep` and `exit`.
import { ConfigError, formatPath, JobHooksError, JobPipeline, type HookConfig } from 'jobhooks';

// 1. Invalid configuration: every problem at once, each with its path. Nothing runs.
try {
  new JobPipeline({
    preHooks: [
      { name: 'Database Dump', command: 'pg_dump app', critcal: true } as HookConfig, // a typo
      { name: '', command: 'echo' },
    ],
    postHooks: [{ name: 'Cleanup', command: 'rm -f /tmp/app.sql', timeout: '5 minutes' }],
  });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.log(`code: ${error.code}`);
  for (const issue of error.issues) console.log(`  ${formatPath(issue.path)}: ${issue.message}`);
}

// 2. Misuse: running the same pipeline twice at once rejects; run() never rejects because a task failed.
const pipeline = new JobPipeline({ preHooks: [{ name: 'Wait', command: 'sleep 0.2' }, { name: 'Fail', command: 'exit 4' }] });
const first = pipeline.run();
try {
  await pipeline.run();
} catch (error) {
  if (!(error instanceof JobHooksError)) throw error;
  console.log(`second run: ${error.code}`);
}

// 3. A failed task is data in the result: flags and fields say why.
const result = await first;
const failed = result.tasks[1];
console.log(`status: ${result.status}`);
console.log(`Fail: status=${failed?.status} exitCode=${failed?.exitCode} timedOut=${String(failed?.timedOut)} cancelled=${String(failed?.cancelled)}`);
console.log(`Fail: error=${failed?.error}`);
// The result is plain JSON: store it, send it, compare it.
console.log(`JSON round trip equal: ${JSON.stringify(JSON.parse(JSON.stringify(result))) === JSON.stringify(result)}`);
