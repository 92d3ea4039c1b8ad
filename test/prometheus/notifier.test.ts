import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobPipeline } from '../../src/index.js';
import { PrometheusNotifier } from '../../src/prometheus/index.js';
import type { JobResult, TaskResult } from '../../src/types.js';
import { scenario, task, type Scenario } from '../notify/helpers/fixtures.js';
import { startServer, type TestServer } from '../notify/helpers/server.js';
import { leaveDeadRun } from '../support/dead-run.js';
import { checkMetrics, promtoolTestsRun } from '../support/promtool.js';
import { runCli, tempDir } from '../cli/helpers.js';

const NOW = '2025-03-01T02:05:00.000Z';
const NOW_SECONDS = Date.parse(NOW) / 1000;
const JOB = 'job_name="backup-nas",repository="nas"';

function textfile(name = 'backup-nas.prom'): string {
  return join(mkdtempSync(join(tmpdir(), 'jobhooks-prom-')), name);
}

/** The success scenario, its backup carrying borg create's `--json` stats. */
function backupWithStats(): Scenario {
  const base = scenario('success');
  const stats = { original_size: 52_428_800, compressed_size: 20_971_520, deduplicated_size: 1_048_576, nfiles: 1234 };
  const tasks = base.result.tasks.map((entry) => (entry.index === 2 ? { ...entry, data: { archive: { name: 'nas-2025-03-01', stats } } } : entry));
  const result = { ...base.result, tasks };
  return { message: base.message, result, context: () => ({ result, signal: AbortSignal.timeout(10_000) }) };
}

function withResult(base: Scenario, change: (result: JobResult) => JobResult): Scenario {
  const result = change(base.result);
  return { message: { ...base.message, status: result.status }, result, context: () => ({ result, signal: AbortSignal.timeout(10_000) }) };
}

/** The lines of one metric (no HELP/TYPE). */
function series(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

const SUCCESS_FILE = `# HELP jobhooks_last_run_timestamp_seconds When the job last ran to its end (the notification), in seconds since the epoch.
# TYPE jobhooks_last_run_timestamp_seconds gauge
jobhooks_last_run_timestamp_seconds{${JOB}} 1740794700
# HELP jobhooks_last_success_timestamp_seconds When the job last completed (with or without warnings), in seconds since the epoch.
# TYPE jobhooks_last_success_timestamp_seconds gauge
jobhooks_last_success_timestamp_seconds{${JOB}} 1740794700
# HELP jobhooks_job_duration_seconds How long the last run took, from its start to its notification.
# TYPE jobhooks_job_duration_seconds gauge
jobhooks_job_duration_seconds{${JOB}} 300
# HELP jobhooks_job_status How the last run ended: 1 for its status, 0 for the others.
# TYPE jobhooks_job_status gauge
jobhooks_job_status{${JOB},status="completed"} 1
jobhooks_job_status{${JOB},status="completed_with_warnings"} 0
jobhooks_job_status{${JOB},status="failed"} 0
jobhooks_job_status{${JOB},status="cancelled"} 0
jobhooks_job_status{${JOB},status="interrupted"} 0
jobhooks_job_status{${JOB},status="skipped"} 0
# HELP jobhooks_task_duration_seconds How long each task of the last run took (tasks that ran).
# TYPE jobhooks_task_duration_seconds gauge
jobhooks_task_duration_seconds{${JOB},task="Database Dump",phase="pre"} 1.5
jobhooks_task_duration_seconds{${JOB},task="Stop Services",phase="pre"} 1.5
jobhooks_task_duration_seconds{${JOB},task="Create archive",phase="main"} 61.25
jobhooks_task_duration_seconds{${JOB},task="Prune archives",phase="main"} 1.5
jobhooks_task_duration_seconds{${JOB},task="Restart Services",phase="post"} 1.5
jobhooks_task_duration_seconds{${JOB},task="Health Check",phase="post"} 1.5
# HELP jobhooks_task_status How each task of the last run ended: 1 for its status, 0 for the others.
# TYPE jobhooks_task_status gauge
${['Database Dump:pre', 'Stop Services:pre', 'Create archive:main', 'Prune archives:main', 'Restart Services:post', 'Health Check:post']
  .map((entry) => {
    const [name, phase] = entry.split(':');
    return ['completed', 'failed', 'skipped']
      .map((status) => `jobhooks_task_status{${JOB},task="${name}",phase="${phase}",status="${status}"} ${status === 'completed' ? 1 : 0}`)
      .join('\n');
  })
  .join('\n')}
# HELP jobhooks_task_attempts How many times each task of the last run was attempted (0 when skipped).
# TYPE jobhooks_task_attempts gauge
jobhooks_task_attempts{${JOB},task="Database Dump",phase="pre"} 1
jobhooks_task_attempts{${JOB},task="Stop Services",phase="pre"} 1
jobhooks_task_attempts{${JOB},task="Create archive",phase="main"} 1
jobhooks_task_attempts{${JOB},task="Prune archives",phase="main"} 1
jobhooks_task_attempts{${JOB},task="Restart Services",phase="post"} 1
jobhooks_task_attempts{${JOB},task="Health Check",phase="post"} 1
# HELP jobhooks_borg_archive_original_size_bytes Size of the files in the last archive.
# TYPE jobhooks_borg_archive_original_size_bytes gauge
jobhooks_borg_archive_original_size_bytes{${JOB},task="Create archive"} 52428800
# HELP jobhooks_borg_archive_compressed_size_bytes Size of the last archive once compressed.
# TYPE jobhooks_borg_archive_compressed_size_bytes gauge
jobhooks_borg_archive_compressed_size_bytes{${JOB},task="Create archive"} 20971520
# HELP jobhooks_borg_archive_deduplicated_size_bytes What the last archive added to the repository, compressed and deduplicated.
# TYPE jobhooks_borg_archive_deduplicated_size_bytes gauge
jobhooks_borg_archive_deduplicated_size_bytes{${JOB},task="Create archive"} 1048576
# HELP jobhooks_borg_archive_files Number of files in the last archive.
# TYPE jobhooks_borg_archive_files gauge
jobhooks_borg_archive_files{${JOB},task="Create archive"} 1234
`;

describe('PrometheusNotifier: node_exporter textfile', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes every metric of a successful run, exactly, and leaves no temporary file', async () => {
    const file = textfile();
    const { message, context } = backupWithStats();
    await new PrometheusNotifier({ textfile: file }).notify(message, context());
    expect(readFileSync(file, 'utf8')).toBe(SUCCESS_FILE);
    expect(readdirSync(join(file, '..'))).toEqual(['backup-nas.prom']);
  });

  it.skipIf(!promtoolTestsRun)('the file passes promtool check metrics (parse and lint)', async () => {
    const file = textfile();
    const { message, context } = backupWithStats();
    await new PrometheusNotifier({ textfile: file, job: 'odd "name" \\ with\nnewline' }).notify(message, context());
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('job_name="odd \\"name\\" \\\\ with\\nnewline"');
    expect(checkMetrics(text)).toEqual({ status: 0, output: '' });
    // The check can fail: a counter without _total is refused.
    expect(checkMetrics('# HELP x_bytes X.\n# TYPE x_bytes counter\nx_bytes 1\n').status).not.toBe(0);
  });

  it('a failed run keeps the last success from the previous file, and reports failed and skipped tasks', async () => {
    const file = textfile();
    const success = backupWithStats();
    await new PrometheusNotifier({ textfile: file }).notify(success.message, success.context());
    vi.setSystemTime(new Date(Date.parse(NOW) + 86_400_000));
    const failed = scenario('backupFailure');
    await new PrometheusNotifier({ textfile: file }).notify(failed.message, failed.context());
    const text = readFileSync(file, 'utf8');
    expect(series(text, 'jobhooks_last_run_timestamp_seconds')).toEqual([`jobhooks_last_run_timestamp_seconds{${JOB}} ${NOW_SECONDS + 86_400}`]);
    expect(series(text, 'jobhooks_last_success_timestamp_seconds')).toEqual([`jobhooks_last_success_timestamp_seconds{${JOB}} ${NOW_SECONDS}`]);
    expect(series(text, 'jobhooks_job_status').filter((line) => line.endsWith(' 1'))).toEqual([`jobhooks_job_status{${JOB},status="failed"} 1`]);
    expect(series(text, 'jobhooks_task_status').filter((line) => line.endsWith(' 1') && line.includes('phase="main"'))).toEqual([
      `jobhooks_task_status{${JOB},task="Create archive",phase="main",status="failed"} 1`,
      `jobhooks_task_status{${JOB},task="Prune archives",phase="main",status="skipped"} 1`,
    ]);
    // A skipped task made no attempt and has no duration; the failed backup left no archive.
    expect(series(text, 'jobhooks_task_attempts').filter((line) => line.includes('phase="main"'))).toEqual([
      `jobhooks_task_attempts{${JOB},task="Create archive",phase="main"} 1`,
      `jobhooks_task_attempts{${JOB},task="Prune archives",phase="main"} 0`,
    ]);
    expect(series(text, 'jobhooks_task_duration_seconds').some((line) => line.includes('Prune archives'))).toBe(false);
    expect(series(text, 'jobhooks_borg_archive_files')).toEqual([]);
    // A third run, failing again, still keeps it.
    await new PrometheusNotifier({ textfile: file }).notify(failed.message, failed.context());
    expect(series(readFileSync(file, 'utf8'), 'jobhooks_last_success_timestamp_seconds')).toEqual([`jobhooks_last_success_timestamp_seconds{${JOB}} ${NOW_SECONDS}`]);
  });

  it('a failed first run has no last success; a warning counts as a success', async () => {
    const file = textfile();
    const failed = scenario('hookFailure');
    await new PrometheusNotifier({ textfile: file }).notify(failed.message, failed.context());
    expect(series(readFileSync(file, 'utf8'), 'jobhooks_last_success_timestamp_seconds')).toEqual([]);
    const warning = scenario('warning');
    await new PrometheusNotifier({ textfile: file }).notify(warning.message, warning.context());
    const text = readFileSync(file, 'utf8');
    expect(series(text, 'jobhooks_last_success_timestamp_seconds')).toEqual([`jobhooks_last_success_timestamp_seconds{${JOB}} ${NOW_SECONDS}`]);
    expect(series(text, 'jobhooks_job_status').filter((line) => line.endsWith(' 1'))).toEqual([`jobhooks_job_status{${JOB},status="completed_with_warnings"} 1`]);
  });

  it('a previous file of another job or repository is not read as this one', async () => {
    const file = textfile();
    writeFileSync(file, `jobhooks_last_success_timestamp_seconds{job_name="backup-nas",repository="other"} 123\n`);
    const failed = scenario('backupFailure');
    await new PrometheusNotifier({ textfile: file }).notify(failed.message, failed.context());
    expect(series(readFileSync(file, 'utf8'), 'jobhooks_last_success_timestamp_seconds')).toEqual([]);
  });

  it('attempts come from TaskResult.attempts when the engine reports them; repeated names stay distinct series', async () => {
    const file = textfile();
    const base = scenario('success');
    const retried = withResult(base, (result) => ({
      ...result,
      tasks: [
        { ...(result.tasks[0] as TaskResult), attempts: 3 } as TaskResult,
        task({ index: 1, type: 'hook', name: 'Database Dump', phase: 'pre', status: 'completed' }),
        task({ index: 2, type: 'notification', name: 'Notification', phase: 'notification', status: 'running' }),
      ],
    }));
    await new PrometheusNotifier({ textfile: file }).notify(retried.message, retried.context());
    expect(series(readFileSync(file, 'utf8'), 'jobhooks_task_attempts')).toEqual([
      `jobhooks_task_attempts{${JOB},task="Database Dump",phase="pre"} 3`,
      `jobhooks_task_attempts{${JOB},task="Database Dump #2",phase="pre"} 1`,
    ]);
  });

  it('a repeated name never takes the label of a task named like its number: "Dump", "Dump", "Dump #2" are three series', async () => {
    const file = textfile();
    const base = scenario('success');
    const named = withResult(base, (result) => ({
      ...result,
      tasks: [
        task({ index: 0, type: 'hook', name: 'Dump', phase: 'pre', status: 'completed' }),
        task({ index: 1, type: 'hook', name: 'Dump', phase: 'pre', status: 'completed' }),
        task({ index: 2, type: 'hook', name: 'Dump #2', phase: 'pre', status: 'completed' }),
        task({ index: 3, type: 'hook', name: 'Dump', phase: 'pre', status: 'completed' }),
        task({ index: 4, type: 'hook', name: 'Dump', phase: 'post', status: 'completed' }),
      ],
    }));
    await new PrometheusNotifier({ textfile: file }).notify(named.message, named.context());
    const text = readFileSync(file, 'utf8');
    expect(series(text, 'jobhooks_task_attempts')).toEqual([
      `jobhooks_task_attempts{${JOB},task="Dump",phase="pre"} 1`,
      `jobhooks_task_attempts{${JOB},task="Dump #3",phase="pre"} 1`,
      `jobhooks_task_attempts{${JOB},task="Dump #2",phase="pre"} 1`,
      `jobhooks_task_attempts{${JOB},task="Dump #4",phase="pre"} 1`,
      `jobhooks_task_attempts{${JOB},task="Dump",phase="post"} 1`,
    ]);
    // No two samples of any family have the same labels (node_exporter and the Pushgateway refuse that).
    const samples = text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => line.slice(0, line.lastIndexOf(' ')));
    expect(new Set(samples).size).toBe(samples.length);
  });

  it('a file it cannot write fails the notifier with the system error', async () => {
    const { message, context } = scenario('success');
    await expect(new PrometheusNotifier({ textfile: '/nonexistent-dir/x.prom' }).notify(message, context())).rejects.toMatchObject({
      code: 'ENOENT',
      message: expect.stringMatching(/^cannot write \/nonexistent-dir\/x\.prom: ENOENT: no such file or directory, open '\/nonexistent-dir\/\.x\.prom\.\d+\.[0-9a-f]{8}\.tmp'$/),
    });
  });
});

describe('PrometheusNotifier: a real pipeline', () => {
  it('a run with real shell hooks writes the file; a recovery after jobhooks died reports `interrupted` through the same notifier', async () => {
    const file = textfile();
    const dir = mkdtempSync(join(tmpdir(), 'jobhooks-prom-state-'));
    const options = {
      repository: { id: 1, name: 'nas' },
      preHooks: [{ name: 'Dump', command: 'echo dumped' }],
      postHooks: [{ name: 'Restart Services', command: 'true', runOnJobFailure: true }],
      notifiers: [new PrometheusNotifier({ textfile: file })],
      journal: { dir, key: 'k' },
    };
    const first = await new JobPipeline(options).run();
    expect(first.status).toBe('completed');
    const afterRun = readFileSync(file, 'utf8');
    expect(series(afterRun, 'jobhooks_job_status').filter((line) => line.endsWith(' 1'))).toEqual([`jobhooks_job_status{${JOB},status="completed"} 1`]);
    const lastSuccess = series(afterRun, 'jobhooks_last_success_timestamp_seconds');
    expect(lastSuccess).toHaveLength(1);
    if (promtoolTestsRun) expect(checkMetrics(afterRun)).toEqual({ status: 0, output: '' });

    // A run that died during 'Dump': its journal as a killed jobhooks leaves it.
    await leaveDeadRun(dir, 'k', 'dead-run', [
      { index: 0, name: 'Dump', phase: 'pre', type: 'hook', runOnJobFailure: false },
      { index: 1, name: 'Restart Services', phase: 'post', type: 'hook', runOnJobFailure: true },
      { index: 2, name: 'Notification', phase: 'notification', type: 'notification', runOnJobFailure: false },
    ], 0);

    const [recovered] = await new JobPipeline(options).recover();
    expect(recovered?.status).toBe('interrupted');
    expect(recovered?.tasks.find((entry) => entry.phase === 'notification')?.data).toEqual({
      notifiers: [{ name: 'prometheus', status: 'sent', attempts: 1, error: null }],
    });
    const afterRecovery = readFileSync(file, 'utf8');
    expect(series(afterRecovery, 'jobhooks_job_status').filter((line) => line.endsWith(' 1'))).toEqual([`jobhooks_job_status{${JOB},status="interrupted"} 1`]);
    // The dead run's duration is unknown: no duration rather than the recovery's.
    expect(series(afterRecovery, 'jobhooks_job_duration_seconds')).toEqual([]);
    expect(series(afterRecovery, 'jobhooks_last_success_timestamp_seconds')).toEqual(lastSuccess);
    // Its tasks are the recovery's cleanups, not the run's: no task series (a Pushgateway group keeps
    // the run before's, rather than one family from each).
    for (const family of ['jobhooks_task_status', 'jobhooks_task_duration_seconds', 'jobhooks_task_attempts']) expect({ family, series: series(afterRecovery, family) }).toEqual({ family, series: [] });
    if (promtoolTestsRun) expect(checkMetrics(afterRecovery)).toEqual({ status: 0, output: '' });
  });
});

describe('PrometheusNotifier: Pushgateway', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer({ status: 200, body: '' });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
  });
  afterEach(async () => {
    vi.useRealTimers();
    await server.close();
  });

  it('a success PUTs the whole group to /metrics/job/<job>/instance/<host>/repository/<repository>', async () => {
    const { message, context } = backupWithStats();
    await new PrometheusNotifier({ pushgateway: `${server.url}/`, job: 'backup-nas', instance: 'host-1' }).notify(message, context());
    expect(server.requests.map(({ method, path, headers, body }) => ({ method, path, type: headers['content-type'], body }))).toEqual([
      { method: 'PUT', path: '/metrics/job/backup-nas/instance/host-1/repository/nas', type: 'text/plain; version=0.0.4; charset=utf-8', body: SUCCESS_FILE },
    ]);
  });

  it('a job or instance of "." or ".." travels in base64url: a URL would resolve it as a dot-segment', async () => {
    const { message, context } = scenario('success');
    await new PrometheusNotifier({ pushgateway: server.url, job: '..', instance: '.' }).notify(message, context());
    expect(server.requests.map((request) => request.path)).toEqual(['/metrics/job@base64/Li4/instance@base64/Lg/repository/nas']);
  });

  it('a failure POSTs everything but the last success (a POST replaces only the metrics it names: the group keeps its earlier success)', async () => {
    const { message, context } = scenario('backupFailure');
    await new PrometheusNotifier({ pushgateway: server.url, job: 'backup-nas', instance: 'host-1' }).notify(message, context());
    const [request] = server.requests;
    expect({ method: request?.method, path: request?.path }).toEqual({ method: 'POST', path: '/metrics/job/backup-nas/instance/host-1/repository/nas' });
    expect(request?.body).not.toContain('jobhooks_last_success_timestamp_seconds');
    expect(series(request?.body ?? '', 'jobhooks_job_status').filter((line) => line.endsWith(' 1'))).toEqual([`jobhooks_job_status{${JOB},status="failed"} 1`]);
    expect(series(request?.body ?? '', 'jobhooks_last_run_timestamp_seconds')).toEqual([`jobhooks_last_run_timestamp_seconds{${JOB}} ${NOW_SECONDS}`]);
  });

  it('retries a 503 through the shared delivery; keeps a path prefix; encodes a value with "/" in base64url; instance defaults to the host name', async () => {
    server.reply({ status: 503, body: 'busy' });
    const { message, context } = scenario('success');
    const notifier = new PrometheusNotifier({ pushgateway: `${server.url}/gateway`, job: 'backup/nas' });
    await notifier.notify(message, context());
    const host = `instance/${encodeURIComponent(hostname())}`;
    expect(server.requests.map(({ method, path }) => `${method} ${path}`)).toEqual([
      `PUT /gateway/metrics/job@base64/YmFja3VwL25hcw/${host}/repository/nas`,
      `PUT /gateway/metrics/job@base64/YmFja3VwL25hcw/${host}/repository/nas`,
    ]);
    expect(series(server.requests[1]?.body ?? '', 'jobhooks_last_run_timestamp_seconds')).toEqual([
      `jobhooks_last_run_timestamp_seconds{job_name="backup/nas",repository="nas"} ${NOW_SECONDS}`,
    ]);
  });

  it('two repositories under the default job are two groups; a job without a repository has none in its key', async () => {
    const notifier = new PrometheusNotifier({ pushgateway: server.url, instance: 'h' });
    for (const name of ['repo-a', 'repo-b']) {
      const { message, context } = scenario('success');
      const base = context();
      await notifier.notify(message, { ...base, result: { ...base.result, repository: { name } } });
    }
    const { message, context } = scenario('success');
    const base = context();
    const { repository: _none, ...withoutRepository } = base.result;
    await notifier.notify(message, { ...base, result: withoutRepository });
    expect(server.requests.map(({ method, path }) => `${method} ${path}`)).toEqual([
      'PUT /metrics/job/jobhooks/instance/h/repository/repo-a',
      'PUT /metrics/job/jobhooks/instance/h/repository/repo-b',
      'PUT /metrics/job/jobhooks/instance/h',
    ]);
  });

  it('a refused push fails with the Pushgateway\'s own words and no URL', async () => {
    server.reply({ status: 400, body: 'pushed metrics are invalid or inconsistent with existing metrics\n' });
    const { message, context } = scenario('success');
    const notifier = new PrometheusNotifier({ pushgateway: `http://user:s3cretpass@127.0.0.1:${server.port}`, job: 'backup-nas', instance: 'h' });
    await expect(notifier.notify(message, context())).rejects.toMatchObject({
      name: 'NotificationDeliveryError',
      kind: 'http',
      status: 400,
      message: 'HTTP 400 Bad Request: pushed metrics are invalid or inconsistent with existing metrics',
    });
    expect(server.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('user:s3cretpass').toString('base64')}`);
    expect(notifier.secrets).toContain('s3cretpass');
  });
});

describe('PrometheusNotifier: a skipped run', () => {
  it('is written too (status skipped), so the failed run before it stops being the last', async () => {
    const file = textfile();
    const notifier = new PrometheusNotifier({ textfile: file });
    const options = { repository: { name: 'nas' }, tasks: [{ type: 'backup', name: 'Backup', async run() { return { status: 'completed' as const }; } }], notifiers: [notifier] };
    const failed = await new JobPipeline({ ...options, preHooks: [{ name: 'On AC power?', command: 'exit 1', critical: true }] }).run();
    expect(failed.status).toBe('failed');
    const skipped = await new JobPipeline({ ...options, preHooks: [{ name: 'On AC power?', command: 'exit 75' }] }).run();
    expect(skipped.status).toBe('skipped');
    expect(series(readFileSync(file, 'utf8'), 'jobhooks_job_status').filter((line) => line.endsWith(' 1'))).toEqual([`jobhooks_job_status{${JOB},status="skipped"} 1`]);
  });
});

describe('PrometheusNotifier options', () => {
  it('takes exactly one of textfile and pushgateway, and a textfile ending in .prom', () => {
    expect(() => new PrometheusNotifier({})).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: Invalid PrometheusNotifier options (1 problem):
        - (root): give textfile (a .prom file for node_exporter) or pushgateway (a Pushgateway URL)]
    `);
    expect(() => new PrometheusNotifier({ textfile: '/tmp/a.prom', pushgateway: 'http://gw:9091' })).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: Invalid PrometheusNotifier options (1 problem):
        - pushgateway: give textfile or pushgateway, not both: use two notifiers for both]
    `);
    expect(() => new PrometheusNotifier({ textfile: '/tmp/metrics.txt' })).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: Invalid PrometheusNotifier options (1 problem):
        - textfile: expected the path of a file ending in .prom (node_exporter reads only those)]
    `);
    expect(() => new PrometheusNotifier({ pushgateway: 'gw:9091', job: '' })).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: Invalid PrometheusNotifier options (2 problems):
        - pushgateway: expected an absolute http:// or https:// URL
        - job: must not be empty]
    `);
  });

  it('refuses an "on" without every level: a run left out would leave the metrics of the run before', async () => {
    expect(() => new PrometheusNotifier({ textfile: '/tmp/a.prom', on: ['error'] })).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: Invalid PrometheusNotifier options (1 problem):
        - on: the prometheus notifier records every run: leave "on" out (without "info", "success", "warning", those runs would leave the metrics of the run before)]
    `);
    expect(new PrometheusNotifier({ textfile: '/tmp/a.prom', on: ['error', 'warning', 'success', 'info'] }).on).toHaveLength(4);
    const dir = tempDir();
    try {
      const run = await runCli(['validate', dir.write('job.yaml', 'tasks:\n  - { name: Backup, command: "true" }\nnotifiers:\n  - { type: prometheus, textfile: /tmp/a.prom, on: [error] }\n')], { cwd: dir.path });
      expect([run.code, run.stderr]).toEqual([64, expect.stringContaining('notifiers[0].on: the prometheus notifier records every run: leave "on" out')]);
    } finally {
      dir.remove();
    }
  });

  it('defaults: named prometheus, every level, 30 s, no secrets without a Pushgateway URL', () => {
    const notifier = new PrometheusNotifier({ textfile: '/var/lib/node_exporter/backup-nas.prom' });
    expect({ name: notifier.name, on: notifier.on, timeout: notifier.timeout, secrets: notifier.secrets }).toEqual({
      name: 'prometheus',
      on: ['info', 'success', 'warning', 'error'],
      timeout: 30,
      secrets: [],
    });
  });
});
