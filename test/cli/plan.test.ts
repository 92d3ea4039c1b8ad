import { describe, expect, it } from 'vitest';
import { buildJob } from '../../src/cli/job.js';
import { formatPlan } from '../../src/cli/plan.js';
import { resolvePipelineOptions } from '../../src/config.js';

describe('jobhooks plan', () => {
  it('lists every task in order, with phase, type, criticality, timeout, failure options and the variables it gets', () => {
    const built = buildJob(
      {
        jobType: 'scheduled',
        envPrefix: 'BORGITORY_',
        repository: { id: 1, name: 'NAS' },
        context: { site: 'paris' },
        env: { PGHOST: 'db' },
        secrets: ['hunter2'],
        defaults: { timeout: '10m', cwd: '/srv', killGrace: 5 },
        preHooks: [{ name: 'Dump', command: 'PGPASSWORD=hunter2 pg_dump app\ngzip dump\n', critical: true, timeout: 90, continueOnFailure: false }],
        tasks: [
          { name: 'Sync', type: 'backup', command: 'rsync -a /srv /backup', timeout: '2h' },
          { borg: 'prune', repository: '/backup/borg', keep: { daily: 7 } },
        ],
        postHooks: [{ name: 'Cleanup', command: 'rm -f dump.gz', runOnJobFailure: true, cwd: '/tmp', env: { MODE: 'full' } }],
        notifiers: [{ type: 'console', on: ['warning', 'error'], timeout: '5s' }],
      },
      { env: {} },
    );
    if (!built.ok) throw new Error(JSON.stringify(built.issues));
    expect(formatPlan(resolvePipelineOptions(built.job.options), 'job.yaml')).toBe(
      [
        'Plan for job.yaml (nothing was run)',
        'job type: scheduled · job id: a new UUID per run · repository: NAS (id 1) · env prefix: BORGITORY_ · inherit env: yes',
        'defaults: timeout 600s · shell /bin/bash · cwd /srv · kill grace 5s',
        'skip: a pre-hook exiting 75 skips the job (status skipped, exit 0)',
        'job env: PGHOST',
        '5 tasks, run one at a time in this order:',
        '',
        '1. Pre-Hook 1 (Dump)',
        '   phase: pre · type: hook · critical: yes · timeout: 90s · continueOnFailure: no',
        '   command: PGPASSWORD=*** pg_dump app (+1 more line)',
        '   variables: BORGITORY_SITE, BORGITORY_REPOSITORY_ID, BORGITORY_REPOSITORY_NAME, BORGITORY_TASK_INDEX, BORGITORY_JOB_TYPE, BORGITORY_JOB_ID, BORGITORY_HOOK_NAME, BORGITORY_HOOK_PHASE, BORGITORY_JOB_STATUS, BORGITORY_ATTEMPT',
        '   after a failure also: BORGITORY_FAILED_TASK, BORGITORY_ERROR',
        '2. Backup Task (Sync)',
        '   phase: main · type: backup · critical: yes · timeout: 7200s',
        '   command: rsync -a /srv /backup',
        '   variables: BORGITORY_SITE, BORGITORY_REPOSITORY_ID, BORGITORY_REPOSITORY_NAME, BORGITORY_TASK_INDEX, BORGITORY_JOB_TYPE, BORGITORY_JOB_ID, BORGITORY_JOB_STATUS, BORGITORY_ATTEMPT',
        '   after a failure also: BORGITORY_FAILED_TASK, BORGITORY_ERROR',
        '3. Prune Task (borg prune)',
        // borg tasks have their own default timeout (24 h), not the hooks' default.
        '   phase: main · type: prune · critical: no · timeout: 86400s',
        '   variables: BORGITORY_SITE, BORGITORY_REPOSITORY_ID, BORGITORY_REPOSITORY_NAME, BORGITORY_TASK_INDEX, BORGITORY_JOB_TYPE, BORGITORY_JOB_ID, BORGITORY_JOB_STATUS, BORGITORY_ATTEMPT',
        '   after a failure also: BORGITORY_FAILED_TASK, BORGITORY_ERROR',
        '4. Post-Hook 1 (Cleanup)',
        '   phase: post · type: hook · critical: no · timeout: 600s · runOnJobFailure: yes · continueOnFailure: yes',
        '   cwd: /tmp',
        '   command: rm -f dump.gz',
        '   env: MODE',
        '   variables: BORGITORY_SITE, BORGITORY_REPOSITORY_ID, BORGITORY_REPOSITORY_NAME, BORGITORY_TASK_INDEX, BORGITORY_JOB_TYPE, BORGITORY_JOB_ID, BORGITORY_HOOK_NAME, BORGITORY_HOOK_PHASE, BORGITORY_JOB_STATUS, BORGITORY_ATTEMPT',
        '   after a failure also: BORGITORY_FAILED_TASK, BORGITORY_ERROR',
        '5. Notification',
        '   phase: notification · type: notification · critical: no · always runs',
        '   → console (timeout 5s; on warning, error)',
      ].join('\n'),
    );
  });
});
