import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { borgCheck } from '../../src/borg/index.js';
import { makeSandbox, makeSourceTree, runTask, type BorgSandbox } from './helpers.js';
import { BORG_TAG, borgInstalled } from '../support/borg.js';
import { printable } from '../helpers.js';

const PASSPHRASE = 'check-me';

let sandbox: BorgSandbox;
let source: string;

beforeAll(async () => {
  sandbox = await makeSandbox('borg-check');
  source = await makeSourceTree(sandbox.dir);
});

afterAll(async () => {
  await sandbox.cleanup();
});

describe.skipIf(!borgInstalled)('borgCheck against the real borg', { tags: [BORG_TAG] }, () => {
  it('passes on a healthy encrypted repository, with segment progress', async () => {
    const repository = await sandbox.init('healthy', 'repokey', PASSPHRASE);
    await sandbox.borg(['create', `${repository}::one`, source], { BORG_PASSPHRASE: PASSPHRASE });
    const task = borgCheck({ repository, passphrase: PASSPHRASE });
    expect(task).toMatchObject({ type: 'check', name: 'borg check', critical: false, secrets: [PASSPHRASE] });

    const { result, recorded } = await runTask(task, sandbox.env);

    expect(result).toEqual({
      status: 'completed',
      exitCode: 0,
      signal: null,
      timedOut: false,
      cancelled: false,
      data: { warnings: [], errorId: null },
    });
    expect(recorded.execs[0]?.argv).toEqual(['borg', 'check', '--log-json', '--progress', '--', repository]);
    const checking = recorded.progress.filter((entry) => entry['operation'] === 'repository.check');
    expect(checking.length).toBeGreaterThan(1);
    expect(checking[0]).toMatchObject({ kind: 'progress_percent', current: 1, finished: false, message: expect.stringMatching(/^Checking segments/) });
    expect(checking.at(-1)).toEqual({ kind: 'progress_percent', operation: 'repository.check', finished: true });
  });

  it('passes verifyData, lastArchives and glob to borg', async () => {
    const repository = await sandbox.init('options', 'none');
    await sandbox.borg(['create', `${repository}::web-1`, source]);
    const { result, recorded } = await runTask(borgCheck({ repository, verifyData: true, lastArchives: 2, glob: 'web-*', archivesOnly: true }), sandbox.env);
    expect(result.status).toBe('completed');
    expect(recorded.execs[0]?.argv).toEqual([
      'borg', 'check', '--log-json', '--progress', '--archives-only', '--verify-data', '--last=2', '--glob-archives=web-*', '--', repository,
    ]);
    const repositoryOnly = await runTask(borgCheck({ repository, repositoryOnly: true }), sandbox.env);
    expect(repositoryOnly.result.status).toBe('completed');
    expect(repositoryOnly.recorded.execs[0]?.argv).toContain('--repository-only');
  });

  it('fails when borg finds damage, naming the first problem it found', async () => {
    const repository = await sandbox.init('damaged', 'none');
    await sandbox.borg(['create', `${repository}::one`, source]);
    // Flip one byte in the middle of the largest segment: its checksum no longer matches.
    const segments = join(repository, 'data', '0');
    let largest = '';
    let largestSize = -1;
    for (const name of await readdir(segments)) {
      const { size } = await stat(join(segments, name));
      if (size > largestSize) [largest, largestSize] = [name, size];
    }
    const bytes = await readFile(join(segments, largest));
    const offset = Math.floor(bytes.length / 2);
    bytes[offset] = (bytes[offset] ?? 0) ^ 0xff;
    await writeFile(join(segments, largest), bytes);

    const { result } = await runTask(borgCheck({ repository, repositoryOnly: true }), sandbox.env);

    expect(result).toMatchObject({ status: 'failed', exitCode: 1, timedOut: false, cancelled: false });
    expect(result.error).toMatch(
      new RegExp(`^Finished full repository check, errors found\\. First problem: Data integrity error: Segment entry checksum mismatch \\[segment ${largest}, offset \\d+\\]$`),
    );
    expect((result.data as { errorId: string | null }).errorId).toBeNull();
  });
});

describe('borgCheck options', () => {
  it('rejects contradictory options with the reason, and unknown options by name', () => {
    try {
      borgCheck({ repository: '/r', repositoryOnly: true, verifyData: true, lastArchives: 3, archivesOnly: true });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect(printable((error as ConfigError).issues)).toEqual([
        { path: 'verifyData', message: 'cannot be combined with "repositoryOnly": verifying data is part of the archives check' },
        { path: 'lastArchives', message: 'cannot be combined with "repositoryOnly": it selects archives, which a repository-only check does not read' },
        { path: 'archivesOnly', message: 'cannot be combined with "repositoryOnly": together they would check nothing' },
      ]);
    }
    try {
      borgCheck({ repository: '/r', repair: true } as never);
      expect.unreachable();
    } catch (error) {
      expect(printable((error as ConfigError).issues)).toEqual([{ path: 'repair', message: 'unknown option "repair"' }]);
    }
  });
});
