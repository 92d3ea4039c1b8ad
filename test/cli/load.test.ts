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
    expect(await parseConfigText('jobId: a\njobId: b\n', 'x.yaml')).toEqual({ ok: false, message: 'cannot parse x.yaml as YAML: line 2, column 1: Map keys must be unique' });
    expect(await parseConfigText('jobId: *nope\n', 'x.yaml')).toEqual({
      ok: false,
      message: 'cannot parse x.yaml as YAML: Unresolved alias (the anchor must be set before the alias): nope',
    });
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
