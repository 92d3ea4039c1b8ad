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
    expect(run.stdout).toContain('SUCCESS: 5 rules found');
  });

  it('its config entries pass jobhooks validate', async () => {
    for (const [index, block] of CONFIGS.entries()) {
      const run = await runCli(['validate', dir.write(`config-${index}.yaml`, block)], { cwd: dir.path });
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    }
  });
});
