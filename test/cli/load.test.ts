import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfigText } from '../../src/cli/load.js';
import { CLI_FIXTURES } from './helpers.js';

describe('reading config files', () => {
  it('reads JSON by its extension and YAML otherwise, YAML being a superset of JSON', async () => {
    expect(await parseConfigText('{"jobId": "a"}', 'job.json')).toEqual({ ok: true, value: { jobId: 'a' } });
    expect(await parseConfigText('jobId: a\ntasks: []\n', 'job.yaml')).toEqual({ ok: true, value: { jobId: 'a', tasks: [] } });
    expect(await parseConfigText('{"jobId": "a"}', 'job.conf')).toEqual({ ok: true, value: { jobId: 'a' } });
    expect(await parseConfigText('\uFEFF{"jobId": "a"}', 'job.json')).toEqual({ ok: true, value: { jobId: 'a' } });
    const fixture = await loadConfigFile(join(CLI_FIXTURES, 'job.yaml'));
    expect(fixture.ok && (fixture.value as { jobId: string }).jobId).toBe('yaml-job');
  });

  it('says where JSON is broken, as a line and column, without echoing the file', async () => {
    expect(await parseConfigText('{\n  "a": 1,\n  "b": }\n', 'x.json')).toEqual({ ok: false, message: "cannot parse x.json as JSON: line 3, column 8: Unexpected token '}'" });
    expect(await parseConfigText('{"a": 1', 'x.json')).toEqual({ ok: false, message: "cannot parse x.json as JSON: line 1, column 8: Expected ',' or '}' after property value" });
    expect(await parseConfigText('{"a": 1} x', 'x.json')).toEqual({ ok: false, message: 'cannot parse x.json as JSON: line 1, column 10: Unexpected non-whitespace character after JSON' });
  });

  it('says where YAML is broken, and refuses duplicate keys and undefined aliases', async () => {
    expect(await parseConfigText('a: [1\n', 'x.yml')).toEqual({
      ok: false,
      message: 'cannot parse x.yml as YAML: line 2, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]',
    });
    expect(await parseConfigText('jobId: a\njobId: b\n', 'x.yaml')).toEqual({ ok: false, message: 'cannot parse x.yaml as YAML: line 2, column 1: the key "jobId" is given twice in one map' });
    expect(await parseConfigText('jobId: *nope\n', 'x.yaml')).toEqual({
      ok: false,
      message: 'cannot parse x.yaml as YAML: Unresolved alias (the anchor must be set before the alias): nope',
    });
  });

  it('refuses a JSON key given twice, at any depth and however it is escaped: the last would silently win', async () => {
    // The critical pre-hook list would vanish behind the empty one.
    const dropped = '{"preHooks": [{"name": "Dump", "command": "x", "critical": true}],\n "tasks": [],\n "preHooks": []}';
    expect(await parseConfigText(dropped, 'x.json')).toEqual({ ok: false, message: 'cannot parse x.json as JSON: line 3, column 2: the key "preHooks" is given twice in one object' });
    expect(await parseConfigText('{"a": {"b": 1, "\\u0062": 2}}', 'x.json')).toEqual({ ok: false, message: 'cannot parse x.json as JSON: line 1, column 16: the key "b" is given twice in one object' });
    // The same key in two objects, or as a value, is no duplicate.
    expect(await parseConfigText('{"a": {"k": "a"}, "b": [{"k": 1}, {"k": 2}], "k": "k"}', 'x.json')).toEqual({ ok: true, value: { a: { k: 'a' }, b: [{ k: 1 }, { k: 2 }], k: 'k' } });
  });

  it('refuses YAML keys that are the same key once read, and keeps every other duplicate check linear', async () => {
    expect(await parseConfigText('env:\n  1: a\n  "1": b\n', 'x.yaml')).toEqual({ ok: false, message: 'cannot parse x.yaml as YAML: line 3, column 3: the key "1" is given twice in one map' });
    const many = `env:\n${Array.from({ length: 3000 }, (_, i) => `  K${i}: v\n`).join('')}`;
    const read = await parseConfigText(many, 'x.yaml');
    expect(read.ok && Object.keys((read.value as { env: object }).env)).toHaveLength(3000);
  });

  it('refuses the YAML 1.1 collection tags, which would read as an empty map', async () => {
    for (const tag of ['!!omap', '!!set', '!!pairs']) {
      const read = await parseConfigText(`env: ${tag} [{PGHOST: db}]\n`, 'x.yaml');
      expect({ tag, read }).toEqual({ tag, read: { ok: false, message: `cannot parse x.yaml as YAML: line 1, column 6: unknown tag ${tag}: jobhooks reads plain YAML values, remove the tag` } });
    }
  });

  it('says a YAML file holds two documents in its own words, not the parser\'s API', async () => {
    expect(await parseConfigText('jobId: a\n---\njobId: b\n', 'x.yaml')).toEqual({ ok: false, message: 'cannot parse x.yaml as YAML: line 2, column 1: a second YAML document starts here ("---"): a config file holds one' });
  });

  it('says a YAML file nests too deeply, not what the engine ran out of', async () => {
    const read = await parseConfigText(`a: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`, 'x.yaml');
    expect(read).toMatchObject({ ok: false });
    expect(read.ok ? '' : read.message).toMatch(/^cannot parse x\.yaml as YAML: (line \d+, column \d+: )?it nests too deeply to read$/);
  });

  it('reads a file as UTF-8 and refuses bytes that are not, rather than changing the command they are in', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobhooks-load-'));
    try {
      const latin1 = join(dir, 'latin1.yaml');
      writeFileSync(latin1, Buffer.concat([Buffer.from('preHooks:\n  - name: x\n    command: touch caf'), Buffer.from([0xe9]), Buffer.from('.txt\n')]));
      expect(await loadConfigFile(latin1)).toEqual({ ok: false, message: `cannot read ${latin1}: it is not UTF-8 (line 3, byte 0xe9); save it as UTF-8` });
      const utf16 = join(dir, 'utf16.json');
      writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"jobId": "a"}', 'utf16le')]));
      expect(await loadConfigFile(utf16)).toEqual({ ok: false, message: `cannot read ${utf16}: it is UTF-16; save it as UTF-8` });
      const utf8 = join(dir, 'utf8.json');
      writeFileSync(utf8, '{"jobId": "café ✓"}');
      expect(await loadConfigFile(utf8)).toEqual({ ok: true, value: { jobId: 'café ✓' } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('wants an object of options', async () => {
    expect(await parseConfigText('[]', 'x.json')).toEqual({ ok: false, message: 'x.json must hold an object of options (preHooks, tasks, postHooks, notifiers, …), not a list' });
    expect(await parseConfigText('just text', 'x.yaml')).toEqual({ ok: false, message: 'x.yaml must hold an object of options (preHooks, tasks, postHooks, notifiers, …), not a string' });
    expect(await parseConfigText('  \n', 'x.yaml')).toEqual({ ok: false, message: 'x.yaml is empty: it must hold an object of options (preHooks, tasks, postHooks, notifiers, …)' });
  });

  it('names the file and why it cannot be read', async () => {
    expect(await loadConfigFile('/nonexistent/job.json')).toEqual({ ok: false, message: 'cannot read /nonexistent/job.json: no such file' });
    expect(await loadConfigFile(CLI_FIXTURES)).toEqual({ ok: false, message: `cannot read ${CLI_FIXTURES}: it is a directory` });
  });
});
