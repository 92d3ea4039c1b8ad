import { commandTask, type HookConfig, type JobPipelineOptions } from '../src/index.js';
import { FakeExecutor, RecordingNotifier, type FakeScript } from '../src/testing.js';
import { formatPath, type ConfigIssue } from '../src/errors.js';

export const JOB_ID = 'job-abc-123';

/** The configuration of docs/execution-flow.md's documented flows: two pre-hooks, backup and prune, two post-hooks, one notifier. */
export function documentedJob(
  script: FakeScript,
  overrides: { preHooks?: HookConfig[]; postHooks?: HookConfig[] } = {},
): { options: JobPipelineOptions; executor: FakeExecutor; notifier: RecordingNotifier } {
  const executor = new FakeExecutor(script);
  const notifier = new RecordingNotifier();
  const options: JobPipelineOptions = {
    jobId: JOB_ID,
    repository: { id: 123, name: 'MyRepository' },
    preHooks: overrides.preHooks ?? [
      { name: 'Database Dump', command: 'pg_dump myapp > /tmp/myapp_backup.sql' },
      { name: 'Stop Services', command: 'systemctl stop nginx' },
    ],
    tasks: [
      commandTask({ type: 'backup', name: 'backup', command: 'borg create repo::a /data' }),
      commandTask({ type: 'prune', name: 'prune', command: 'borg prune repo', critical: false }),
    ],
    postHooks: overrides.postHooks ?? [
      { name: 'Restart Services', command: 'systemctl start nginx' },
      { name: 'Health Check', command: 'curl -fsS https://hc.example/ping' },
    ],
    notifiers: [notifier],
    executor,
  };
  return { options, executor, notifier };
}

/** Arrows are cosmetic (docs/execution-flow.md): compare flows with the padding before each arrow folded. */
export function foldArrows(flow: string): string {
  return flow.replace(/ +→/g, ' →');
}

/** Issues as they are printed (`preHooks[1].timeout`), for assertions on where and what. */
export function printable(issues: readonly ConfigIssue[]): Array<{ path: string; message: string }> {
  return issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}
