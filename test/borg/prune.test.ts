import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { borgPrune } from '../../src/borg/index.js';
import { parsePruneLine } from '../../src/borg/prune.js';
import { makeSandbox, makeSourceTree, runTask, type BorgSandbox } from './helpers.js';
import { BORG_TAG, borgInstalled } from '../support/borg.js';
import { printable } from '../helpers.js';

let sandbox: BorgSandbox;
let source: string;

beforeAll(async () => {
  sandbox = await makeSandbox('borg-prune');
  source = await makeSourceTree(sandbox.dir);
});

afterAll(async () => {
  await sandbox.cleanup();
});

/** A repository with one archive per name, on consecutive days of January 2024 (UTC, noon). */
async function repositoryWith(name: string, archives: readonly string[]): Promise<{ repository: string; ids: Map<string, string> }> {
  const repository = await sandbox.init(name, 'none');
  for (const [index, archive] of archives.entries()) {
    const day = String(index + 1).padStart(2, '0');
    await sandbox.borg(['create', `--timestamp=2024-01-${day}T12:00:00`, `${repository}::${archive}`, source]);
  }
  const { stdout } = await sandbox.borg(['list', '--json', '--consider-checkpoints', repository]);
  const listed = JSON.parse(stdout) as { archives: { name: string; id: string }[] };
  return { repository, ids: new Map(listed.archives.map((archive) => [archive.name, archive.id])) };
}

describe.skipIf(!borgInstalled)('borgPrune against the real borg', { tags: [BORG_TAG] }, () => {
  it('keeps what the policy says, prunes the rest, and lists both in data', async () => {
    const { repository, ids } = await repositoryWith('daily', ['d1', 'd2', 'd3', 'd4', 'd5']);
    const task = borgPrune({ repository, keep: { daily: 2 } });
    expect(task).toMatchObject({ type: 'prune', name: 'borg prune', critical: false });

    const { result, recorded } = await runTask(task, sandbox.env);

    expect(result).toMatchObject({ status: 'completed', exitCode: 0 });
    expect(recorded.execs[0]?.argv).toEqual(['borg', 'prune', '--log-json', '--progress', '--list', '--keep-daily=2', '--', repository]);
    expect(result.data).toEqual({
      kept: [
        { name: 'd5', time: '2024-01-05T12:00:00', id: ids.get('d5'), rule: 'daily', ruleNumber: 1, oldest: false },
        { name: 'd4', time: '2024-01-04T12:00:00', id: ids.get('d4'), rule: 'daily', ruleNumber: 2, oldest: false },
      ],
      pruned: [
        { name: 'd3', time: '2024-01-03T12:00:00', id: ids.get('d3') },
        { name: 'd2', time: '2024-01-02T12:00:00', id: ids.get('d2') },
        { name: 'd1', time: '2024-01-01T12:00:00', id: ids.get('d1') },
      ],
      dryRun: false,
      warnings: [],
      errorId: null,
    });
    expect((await sandbox.archives(repository)).sort()).toEqual(['d4', 'd5']);
    const percent = recorded.progress.filter((entry) => entry['kind'] === 'progress_percent');
    expect(percent[0]).toEqual({ kind: 'progress_percent', operation: 'prune', current: 1, total: 3, percent: 0, message: 'Pruning archives   0%', finished: false });
    expect(percent.at(-1)).toEqual({ kind: 'progress_percent', operation: 'prune', finished: true });
    // The --list lines stay in the output, as borg wrote them.
    expect(recorded.output.some((entry) => entry.line.startsWith('Keeping archive (rule: daily #1):') && entry.line.includes('d5'))).toBe(true);
  });

  it('lists archives whose names begin with a blank, hold a newline, or fill their column, as borg names them', async () => {
    const names = [' space', 'two\nlines', `long-${'x'.repeat(40)}`, 'trailing  '];
    const { repository } = await repositoryWith('awkward', names);
    const { result } = await runTask(borgPrune({ repository, keep: { last: 1 } }), sandbox.env);
    expect(result.status).toBe('completed');
    const data = result.data as { kept: { name: string }[]; pruned: { name: string }[] };
    // The newest is kept; borg pads a short name to its column, so a name's own trailing blanks cannot be told from it.
    expect(data.kept.map((archive) => archive.name)).toEqual(['trailing']);
    expect(data.pruned.map((archive) => archive.name)).toEqual([`long-${'x'.repeat(40)}`, 'two\nlines', ' space']);
    expect(await sandbox.archives(repository)).toEqual(['trailing  ']);
  });

  it("keeps in data the archive borg keeps by a rule's [oldest] fallback (monthly[oldest] #1)", async () => {
    // All three archives fall in January 2024: daily keeps the newest; monthly, short of its count,
    // keeps the oldest archive (borg ≥ 1.2), which borg lists as `rule: monthly[oldest] #1`.
    const { repository, ids } = await repositoryWith('oldest', ['o1', 'o2', 'o3']);
    const { result, recorded } = await runTask(borgPrune({ repository, keep: { daily: 1, monthly: 3 } }), sandbox.env);
    expect(result.status).toBe('completed');
    expect(recorded.output.some((entry) => entry.line.startsWith('Keeping archive (rule: monthly[oldest] #1):') && entry.line.includes('o1'))).toBe(true);
    expect(result.data).toMatchObject({
      kept: [
        { name: 'o3', time: '2024-01-03T12:00:00', id: ids.get('o3'), rule: 'daily', ruleNumber: 1, oldest: false },
        { name: 'o1', time: '2024-01-01T12:00:00', id: ids.get('o1'), rule: 'monthly', ruleNumber: 1, oldest: true },
      ],
      pruned: [{ name: 'o2', time: '2024-01-02T12:00:00', id: ids.get('o2') }],
    });
    // Every archive borg kept is in kept: what is left in the repository.
    expect((await sandbox.archives(repository)).sort()).toEqual(['o1', 'o3']);
  });

  it('keeps in data the newest checkpoint archive borg keeps, and prunes older checkpoints', async () => {
    const { repository, ids } = await repositoryWith('checkpoint', ['k1', 'k2.checkpoint', 'k3', 'k4.checkpoint']);
    const { result } = await runTask(borgPrune({ repository, keep: { daily: 1 } }), sandbox.env);
    expect(result.status).toBe('completed');
    expect(result.data).toMatchObject({
      kept: [
        { name: 'k4.checkpoint', time: '2024-01-04T12:00:00', id: ids.get('k4.checkpoint'), rule: 'checkpoint', ruleNumber: null, oldest: false },
        { name: 'k3', time: '2024-01-03T12:00:00', id: ids.get('k3'), rule: 'daily', ruleNumber: 1, oldest: false },
      ],
      pruned: [
        { name: 'k2.checkpoint', time: '2024-01-02T12:00:00', id: ids.get('k2.checkpoint') },
        { name: 'k1', time: '2024-01-01T12:00:00', id: ids.get('k1') },
      ],
    });
    const { stdout } = await sandbox.borg(['list', '--short', '--consider-checkpoints', repository]);
    expect(stdout.split('\n').filter(Boolean).sort()).toEqual(['k3', 'k4.checkpoint']);
  });

  it('maps every keep rule to its borg option, and last to --keep-last', async () => {
    const { repository } = await repositoryWith('rules', ['r1', 'r2', 'r3']);
    const task = borgPrune({
      repository,
      keep: { within: '1d', last: 1, minutely: 1, hourly: 1, daily: 1, weekly: 1, monthly: 1, yearly: 1 },
      glob: 'r*',
      lockWait: '5s',
    });
    const { result, recorded } = await runTask(task, sandbox.env);
    expect(result.status).toBe('completed');
    expect(recorded.execs[0]?.argv).toEqual([
      'borg', 'prune', '--log-json', '--progress', '--lock-wait=5', '--list',
      '--keep-within=1d', '--keep-last=1', '--keep-minutely=1', '--keep-hourly=1', '--keep-daily=1',
      '--keep-weekly=1', '--keep-monthly=1', '--keep-yearly=1', '--glob-archives=r*', '--', repository,
    ]);
    // borg applies the rules in order, each to the archives no earlier rule kept.
    const data = result.data as { kept: { name: string; rule: string; ruleNumber: number }[]; pruned: { name: string }[] };
    expect(data.kept.map(({ name, rule, ruleNumber }) => ({ name, rule, ruleNumber }))).toEqual([
      { name: 'r3', rule: 'secondly', ruleNumber: 1 },
      { name: 'r2', rule: 'minutely', ruleNumber: 1 },
      { name: 'r1', rule: 'hourly', ruleNumber: 1 },
    ]);
    expect(data.pruned).toEqual([]);
  });

  it('only considers archives matching glob', async () => {
    const { repository } = await repositoryWith('glob', ['web-1', 'db-1', 'web-2', 'db-2', 'web-3']);
    const { result } = await runTask(borgPrune({ repository, keep: { last: 1 }, glob: 'web-*' }), sandbox.env);
    expect(result.status).toBe('completed');
    const data = result.data as { kept: { name: string }[]; pruned: { name: string }[] };
    expect(data.kept.map((archive) => archive.name)).toEqual(['web-3']);
    expect(data.pruned.map((archive) => archive.name)).toEqual(['web-2', 'web-1']);
    expect((await sandbox.archives(repository)).sort()).toEqual(['db-1', 'db-2', 'web-3']);
  });

  it('with dryRun reports what would be pruned and deletes nothing', async () => {
    const { repository } = await repositoryWith('dry', ['a', 'b', 'c']);
    const { result, recorded } = await runTask(borgPrune({ repository, keep: { last: 1 }, dryRun: true }), sandbox.env);
    expect(result.status).toBe('completed');
    expect(recorded.execs[0]?.argv).toContain('--dry-run');
    const data = result.data as { kept: { name: string }[]; pruned: { name: string }[]; dryRun: boolean };
    expect(data.dryRun).toBe(true);
    expect(data.kept.map((archive) => archive.name)).toEqual(['c']);
    expect(data.pruned.map((archive) => archive.name)).toEqual(['b', 'a']);
    expect((await sandbox.archives(repository)).sort()).toEqual(['a', 'b', 'c']);
  });

  it('keeps separate lists for each run of the same task object', async () => {
    const { repository } = await repositoryWith('twice', ['x1', 'x2']);
    const task = borgPrune({ repository, keep: { last: 1 } });
    const first = await runTask(task, sandbox.env);
    const second = await runTask(task, sandbox.env);
    expect((first.result.data as { pruned: { name: string }[] }).pruned.map((archive) => archive.name)).toEqual(['x1']);
    expect(second.result.data).toMatchObject({ kept: [{ name: 'x2' }], pruned: [] });
  });
});

describe('parsePruneLine', () => {
  const id = 'f6b922a684d7e5583e059d6245cc01d51d7c93fea6588e6067467f3d54ec7222';

  it('reads borg’s kept, pruned, would-prune and checkpoint lines, names with spaces included', () => {
    expect(parsePruneLine(`Keeping archive (rule: secondly #1):     a4                                   Thu, 2026-11-26 05:50:57 [${id}]`)).toEqual({
      verdict: 'kept',
      archive: { name: 'a4', time: '2026-11-26T05:50:57', id, rule: 'secondly', ruleNumber: 1, oldest: false },
    });
    // A rule name longer than the 40-column message field leaves one space before the archive.
    expect(parsePruneLine(`Keeping archive (rule: monthly[oldest] #1): a1                                   Mon, 2024-01-01 12:00:00 [${id}]`)).toEqual({
      verdict: 'kept',
      archive: { name: 'a1', time: '2024-01-01T12:00:00', id, rule: 'monthly', ruleNumber: 1, oldest: true },
    });
    expect(parsePruneLine(`Pruning archive (1/2):                   my archive 2024                      Mon, 2024-01-01 12:00:00 [${id}]`)).toEqual({
      verdict: 'pruned',
      archive: { name: 'my archive 2024', time: '2024-01-01T12:00:00', id },
    });
    expect(parsePruneLine(`Would prune:                             a2                                   Thu, 2026-11-26 05:50:56 [${id}]`)).toEqual({
      verdict: 'pruned',
      archive: { name: 'a2', time: '2026-11-26T05:50:56', id },
    });
    expect(parsePruneLine(`Keeping checkpoint archive:              a5.checkpoint                        Thu, 2026-11-26 05:50:58 [${id}]`)).toEqual({
      verdict: 'kept',
      archive: { name: 'a5.checkpoint', time: '2026-11-26T05:50:58', id, rule: 'checkpoint', ruleNumber: null, oldest: false },
    });
    expect(parsePruneLine('Pruning archives  50%')).toBeUndefined();
  });
});

describe('borgPrune options', () => {
  it('rejects a policy without rules, last together with secondly, bad numbers and intervals — all at once', () => {
    expect(() => borgPrune({ repository: '/r', keep: {} })).toThrow(ConfigError);
    try {
      borgPrune({ repository: '/r', keep: { last: 3, secondly: 2, daily: 0, weekly: 1.5, within: '3 days' } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect(printable((error as ConfigError).issues)).toEqual([
        { path: 'keep.daily', message: 'expected a number greater than 0, received number 0' },
        { path: 'keep.weekly', message: 'expected a whole number, received number 1.5' },
        { path: 'keep.within', message: 'expected a number and a unit: "48H", "7d", "4w", "6m", "1y" ("S" and "M" need borg 1.4)' },
      ]);
    }
    try {
      borgPrune({ repository: '/r', keep: { last: 3, secondly: 2 } });
      expect.unreachable();
    } catch (error) {
      expect(printable((error as ConfigError).issues)).toEqual([
        { path: 'keep.last', message: 'cannot be combined with "secondly": borg treats --keep-last as another name for --keep-secondly' },
      ]);
    }
    try {
      borgPrune({ repository: '/r', keep: {} });
      expect.unreachable();
    } catch (error) {
      expect(printable((error as ConfigError).issues)).toEqual([
        { path: 'keep', message: 'give at least one rule: within, last, secondly, minutely, hourly, daily, weekly, monthly or yearly' },
      ]);
    }
  });
});
