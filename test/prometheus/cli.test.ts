import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../cli/helpers.js';
import { checkMetrics, promtoolTestsRun } from '../support/promtool.js';

describe('jobhooks run with { type: prometheus }', () => {
  const dirs: { remove(): void }[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) dir.remove();
  });

  it('writes the textfile after the run; a failed run keeps the last success', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const prom = join(dir.path, 'nightly.prom');
    const config = (command: string) =>
      JSON.stringify({
        repository: { name: 'nas' },
        preHooks: [{ name: 'Dump', command, critical: true }],
        notifiers: [{ type: 'prometheus', textfile: prom }],
      });
    const ok = await runCli(['run', dir.write('ok.json', config('echo dumped'))], { cwd: dir.path });
    expect(ok.code).toBe(0);
    const first = readFileSync(prom, 'utf8');
    expect(first).toContain('jobhooks_job_status{job_name="nightly",repository="nas",status="completed"} 1\n');
    expect(first).toContain('jobhooks_task_status{job_name="nightly",repository="nas",task="Dump",phase="pre",status="completed"} 1\n');
    if (promtoolTestsRun) expect(checkMetrics(first)).toEqual({ status: 0, output: '' });
    const success = first.split('\n').find((line) => line.startsWith('jobhooks_last_success_timestamp_seconds{'));
    expect(success).toMatch(/^jobhooks_last_success_timestamp_seconds\{job_name="nightly",repository="nas"\} \d+(\.\d+)?$/);

    const failed = await runCli(['run', dir.write('fail.json', config('exit 3'))], { cwd: dir.path });
    expect(failed.code).not.toBe(0);
    const second = readFileSync(prom, 'utf8');
    expect(second).toContain('jobhooks_job_status{job_name="nightly",repository="nas",status="failed"} 1\n');
    expect(second.split('\n').filter((line) => line.startsWith('jobhooks_last_success_timestamp_seconds{'))).toEqual([success]);
  });

  it('a prometheus entry is checked by the notifier\'s own schema', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const file = dir.write('bad.json', JSON.stringify({ notifiers: [{ type: 'prometheus', textfile: 'metrics.txt' }] }));
    const run = await runCli(['run', file], { cwd: dir.path });
    expect(run.code).toBe(64);
    expect(run.stderr).toBe(
      `jobhooks: invalid config ${file} (1 problem); nothing was run:\n  - notifiers[0].textfile: expected the path of a file ending in .prom (node_exporter reads only those)\n`,
    );
  });
});
