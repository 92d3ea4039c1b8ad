import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../cli/helpers.js';
import { findPromtool, promtoolTestsRun, PROMTOOL_INSTALL_HINT } from '../support/promtool.js';

// docs/observability.md cannot rot: its alert rules load in Prometheus, its config entries validate.

const DOC = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'observability.md'), 'utf8');
const YAML_BLOCKS = [...DOC.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
const RULES = YAML_BLOCKS.filter((block) => block.startsWith('groups:'));
const CONFIGS = YAML_BLOCKS.filter((block) => block.includes('type: prometheus'));

describe('docs/observability.md', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('has one rule file and two config examples', () => {
    expect({ rules: RULES.length, configs: CONFIGS.length }).toEqual({ rules: 1, configs: 2 });
  });

  it.skipIf(!promtoolTestsRun)('its alert rules pass promtool check rules, every alert named', () => {
    const promtool = findPromtool();
    if (promtool === undefined) throw new Error(`promtool is required but not installed: ${PROMTOOL_INSTALL_HINT}`);
    const file = dir.write('rules.yaml', RULES[0] ?? '');
    const run = spawnSync(promtool, ['check', 'rules', file], { encoding: 'utf8' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout).toContain('SUCCESS: 6 rules found');
  });

  it.skipIf(!promtoolTestsRun)('promtool test rules: a run with warnings and no failed task raises BackupWarned; one with a failed task raises BackupTaskFailed alone', () => {
    const promtool = findPromtool();
    if (promtool === undefined) throw new Error(`promtool is required but not installed: ${PROMTOOL_INSTALL_HINT}`);
    dir.write('rules.yaml', RULES[0] ?? '');
    const labels = (repository: string): string => `job_name="backup", repository="${repository}", instance="nas"`;
    const expected = (repository: string): string => `job_name: backup, repository: ${repository}, instance: nas`;
    const tests = [
      'rule_files: [rules.yaml]',
      'evaluation_interval: 1m',
      'tests:',
      '  - interval: 1m',
      '    input_series:',
      // "borg" warned (it skipped a file): every task completed.
      `      - { series: 'jobhooks_job_status{${labels('borg')}, status="completed_with_warnings"}', values: '1x5' }`,
      `      - { series: 'jobhooks_task_status{${labels('borg')}, task="Create archive", phase="main", status="failed"}', values: '0x5' }`,
      // "hooks": a non-critical hook failed.
      `      - { series: 'jobhooks_job_status{${labels('hooks')}, status="completed_with_warnings"}', values: '1x5' }`,
      `      - { series: 'jobhooks_task_status{${labels('hooks')}, task="Notify", phase="post", status="failed"}', values: '1x5' }`,
      '    alert_rule_test:',
      '      - eval_time: 2m',
      '        alertname: BackupWarned',
      '        exp_alerts:',
      `          - exp_labels: { ${expected('borg')}, status: completed_with_warnings, severity: warning }`,
      '            exp_annotations: { summary: "backup (borg) on nas: last run completed with warnings" }',
      '      - eval_time: 2m',
      '        alertname: BackupTaskFailed',
      '        exp_alerts:',
      `          - exp_labels: { ${expected('hooks')}, task: Notify, phase: post, status: failed, severity: warning }`,
      '            exp_annotations: { summary: "backup on nas: task Notify failed" }',
      '',
    ].join('\n');
    const run = spawnSync(promtool, ['test', 'rules', dir.write('rules.test.yaml', tests)], { encoding: 'utf8', cwd: dir.path });
    expect({ status: run.status, output: run.stdout + run.stderr }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('its config entries pass jobhooks validate', async () => {
    for (const [index, block] of CONFIGS.entries()) {
      const run = await runCli(['validate', dir.write(`config-${index}.yaml`, block)], { cwd: dir.path });
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    }
  });
});
