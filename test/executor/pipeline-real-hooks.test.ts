import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandTask, JobPipeline } from '../../src/index.js';
import { FIXTURES, MARKER_VAR, processesWithMarker } from './helpers.js';
import { failOnProcessWarnings } from '../support/processes.js';

failOnProcessWarnings();

describe('JobPipeline + ShellExecutor with real hooks', () => {
  it('runs 50 pipelines at once: every result right, no stray process, no warning', async () => {
    const markers = Array.from({ length: 50 }, () => randomUUID());
    const results = await Promise.all(
      markers.map((marker, index) =>
        new JobPipeline({
          jobId: `job-${index}`,
          env: { [MARKER_VAR]: marker },
          preHooks: [{ name: 'Pre', command: 'sleep 300 & echo "pre $JOBHOOKS_JOB_ID $JOBHOOKS_TASK_INDEX"' }],
          tasks: [commandTask({ type: 'backup', name: 'Backup', command: `echo backup-${index}; exit ${index % 5 === 0 ? 1 : 0}` })],
          postHooks: [{ name: 'Post', command: 'echo "post $JOBHOOKS_JOB_STATUS" >&2', runOnJobFailure: true }],
        }).run(),
      ),
    );
    results.forEach((result, index) => {
      const failed = index % 5 === 0;
      expect(result.status).toBe(failed ? 'failed' : 'completed');
      expect(result.tasks.map((task) => [task.name, task.status, task.exitCode, task.output])).toEqual([
        ['Pre', 'completed', 0, `pre job-${index} 0`],
        ['Backup', failed ? 'failed' : 'completed', failed ? 1 : 0, `backup-${index}`],
        ['Post', 'completed', 0, `post ${failed ? 'failure' : 'success'}`],
      ]);
    });
    for (const marker of markers) expect(processesWithMarker(marker)).toEqual([]);
  });

  it('runs 500 pipelines at once in one process: no EMFILE, every hook (cleanup included) right, no stray process', async () => {
    const count = 500;
    const markers = Array.from({ length: count }, () => randomUUID());
    const results = await Promise.all(
      markers.map((marker, index) =>
        new JobPipeline({
          jobId: `job-${index}`,
          env: { [MARKER_VAR]: marker },
          // The background sleep makes every pipeline wait for its group/session to go away: 500 waiters at once.
          preHooks: [{ name: 'Pre', command: 'sleep 300 & echo "pre $JOBHOOKS_JOB_ID"' }],
          tasks: [commandTask({ type: 'backup', name: 'Backup', command: `echo backup-${index}; exit ${index % 2}` })],
          postHooks: [
            { name: 'Post', command: 'echo post-ok' },
            { name: 'Cleanup', command: 'sleep 300 & echo "cleanup $JOBHOOKS_JOB_STATUS" >&2', runOnJobFailure: true },
          ],
        }).run(),
      ),
    );
    const summary = results.map((result) => [result.status, ...result.tasks.map((task) => `${task.name}:${task.status}:${task.exitCode}:${task.error}:${task.output}`)]);
    expect(summary).toEqual(
      results.map((_result, index) =>
        index % 2 === 1
          ? ['failed', `Pre:completed:0:null:pre job-${index}`, `Backup:failed:1:Task 'Backup' exited with code 1:backup-${index}`, 'Post:skipped:null:null:', 'Cleanup:completed:0:null:cleanup failure']
          : ['completed', `Pre:completed:0:null:pre job-${index}`, `Backup:completed:0:null:backup-${index}`, 'Post:completed:0:null:post-ok', 'Cleanup:completed:0:null:cleanup success'],
      ),
    );
    for (const marker of markers) expect(processesWithMarker(marker)).toEqual([]);
  }, 300_000);

  it('runs the documented Python shebang hook, which reads its JOBHOOKS_* variables', async () => {
    const marker = randomUUID();
    const stdout: string[] = [];
    const stderr: string[] = [];
    const pipeline = new JobPipeline({
      jobId: 'job-py',
      env: { [MARKER_VAR]: marker },
      preHooks: [{ name: 'Python Check', command: readFileSync(join(FIXTURES, 'python-env.py'), 'utf8') }],
    });
    pipeline.on('taskOutput', ({ stream, line }) => (stream === 'stdout' ? stdout : stderr).push(line));
    const result = await pipeline.run();
    expect(result.status).toBe('completed');
    expect(result.tasks[0]?.status).toBe('completed');
    expect(stdout).toEqual(['JOBHOOKS_JOB_ID=job-py', 'JOBHOOKS_HOOK_NAME=Python Check', 'JOBHOOKS_TASK_INDEX=0', 'argv0-is-script hook']);
    expect(stderr).toEqual(['to-stderr']);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('survives a hook printing a 5 MiB line: the line arrives cut, the task keeps a bounded tail', async () => {
    const lines: string[] = [];
    const pipeline = new JobPipeline({ preHooks: [{ name: 'Flood', command: './five-mb-line.sh', cwd: FIXTURES }] });
    pipeline.on('taskOutput', ({ line }) => lines.push(line));
    const result = await pipeline.run();
    const task = result.tasks[0];
    expect(task?.status).toBe('completed');
    expect(lines.map((line) => line.length)).toEqual([`[… ${5 * 1024 * 1024 + 3 - 65_536} bytes cut] `.length + 65_536, 'last-without-newline'.length]);
    expect(lines[0]?.endsWith('xxxEND')).toBe(true);
    expect(task?.outputTruncated).toBe(true);
    expect(task?.output).toBe('last-without-newline');
  });

  it('inheritEnv: false gives the hook PATH, HOME, LANG, TZ and its own variables, nothing else', async () => {
    const pipeline = new JobPipeline({
      jobId: 'job-env',
      inheritEnv: false,
      env: { JOB_VAR: 'job' },
      // `env` prints what bash passes on: the hook's environment plus bash's own PWD, SHLVL and _.
      preHooks: [{ name: 'Env', command: 'env', env: { HOOK_VAR: 'hook' } }],
    });
    const result = await pipeline.run();
    expect(result.tasks[0]?.status).toBe('completed');
    const keys = (result.tasks[0]?.output ?? '').split('\n').map((line) => line.slice(0, line.indexOf('=')));
    const inherited = ['PATH', 'HOME', 'LANG', 'TZ'].filter((key) => process.env[key] !== undefined);
    expect(inherited).toContain('PATH');
    const expectedKeys = [
      ...inherited,
      'JOB_VAR',
      'HOOK_VAR',
      'JOBHOOKS_TASK_INDEX',
      'JOBHOOKS_JOB_TYPE',
      'JOBHOOKS_JOB_ID',
      'JOBHOOKS_HOOK_NAME',
      'JOBHOOKS_HOOK_PHASE',
      'JOBHOOKS_JOB_STATUS',
      'JOBHOOKS_ATTEMPT',
      // Set by bash itself.
      'PWD',
      'SHLVL',
      '_',
    ];
    expect(keys.sort()).toEqual(expectedKeys.sort());
    expect(Object.keys(process.env).length).toBeGreaterThan(expectedKeys.length);
  });
});
