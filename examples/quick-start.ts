// The README's quick start, runnable: `npx tsx examples/quick-start.ts`.
import { commandTask, ConsoleNotifier, formatFlow, JobPipeline } from 'jobhooks';

const pipeline = new JobPipeline({
  repository: { id: 1, name: 'app-data' },
  preHooks: [
    { name: 'Database Dump', command: 'echo "pretend: pg_dump app > /tmp/app.sql"', critical: true, timeout: '10m' },
    { name: 'Stop Services', command: 'echo "pretend: systemctl stop app"' },
  ],
  tasks: [commandTask({ type: 'backup', name: 'Archive', command: ['tar', '-czf', '/dev/null', '-C', '/etc', 'hostname'] })],
  postHooks: [
    { name: 'Restart Services', command: 'echo "pretend: systemctl start app"', runOnJobFailure: true },
    { name: 'Health Check', command: 'echo "job so far: $JOBHOOKS_JOB_STATUS"', runOnJobFailure: true },
  ],
  notifiers: [new ConsoleNotifier()],
});

pipeline.on('taskOutput', ({ line }) => console.log(`  | ${line}`));
const result = await pipeline.run({ signal: AbortSignal.timeout(60_000) });
console.log(formatFlow(result));
process.exitCode = result.status === 'completed' ? 0 : 1;
