// Run hooks written for Borgitory's Job Hooks System unchanged: the hook lists as the JSON strings
// its API stores (snake_case keys), and `envPrefix: 'BORGITORY_'` so the documented scripts find
// their variables. Run: `npx tsx examples/borgitory-hooks.ts`. Works in a temp directory.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, formatFlow, formatPath, JobPipeline, parseHooks } from 'jobhooks';

const work = mkdtempSync(join(tmpdir(), 'jobhooks-example-'));

// The documented "context-aware database dump", with pg_dump pretended by echo.
const contextAwareDump = `#!/bin/bash
# Pre-hook: Context-aware database dump

DB_NAME="app_repo_\${BORGITORY_REPOSITORY_ID}"
BACKUP_FILE="$STAGING/dump_\${BORGITORY_REPOSITORY_ID}_$(date +%Y%m%d_%H%M%S).sql"

echo "Creating dump for repository \${BORGITORY_REPOSITORY_ID}"
echo "pretend: pg_dump $DB_NAME" > "$BACKUP_FILE"

if [ $? -eq 0 ]; then
    echo "Database dump created: $(basename "$BACKUP_FILE")"
else
    echo "Failed to create database dump for repository \${BORGITORY_REPOSITORY_ID}"
    exit 1
fi`;

// The documented Python hook, opening with a "# Python hook" comment before its #! line.
const pythonHook = `# Python hook
#!/usr/bin/env python3
import os
import subprocess

repo_id = os.environ.get('BORGITORY_REPOSITORY_ID')
print(f"Processing repository {repo_id}")`;

const hasPython = (() => {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

// What Borgitory stores in schedules.pre_job_hooks / post_job_hooks: JSON strings.
const preJobHooks = JSON.stringify([
  { name: 'DB Dump', command: contextAwareDump, critical: true, timeout: 300, log_output: true },
  ...(hasPython ? [{ name: 'Python Hook', command: pythonHook }] : []),
  { name: 'Show Variables', command: 'env | grep BORGITORY | sort' },
]);
const postJobHooks = '[{"name":"Cleanup","command":"rm -f \\"$STAGING\\"/dump_*.sql && echo staging cleaned","run_on_job_failure":true}]';

try {
  // parseHooks validates a stored string and gives canonical camelCase hooks.
  const preHooks = parseHooks(preJobHooks);
  console.log(`parsed ${preHooks.length} pre-hooks; first: critical=${String(preHooks[0]?.critical)} timeout=${String(preHooks[0]?.timeout)}`);

  const result = await new JobPipeline({
    envPrefix: 'BORGITORY_',
    jobId: 'job-abc-123',
    jobType: 'scheduled',
    repository: { id: 123, name: 'MyRepository' },
    env: { STAGING: work },
    preHooks,
    postHooks: postJobHooks, // the JSON string works directly too
  }).run();

  console.log(formatFlow(result));
  for (const task of result.tasks) console.log(`--- ${task.name}\n${task.output}`);
  if (!hasPython) console.log('(python3 is not installed: the Python hook was left out)');

  // Borgitory ignores unknown keys; jobhooks reports them, with every other problem, before anything runs.
  try {
    parseHooks('[{"name":"DB Dump","command":"pg_dump mydb","critcal":true,"timeout":0}]');
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const issue of error.issues) console.log(`config error at ${formatPath(issue.path)}: ${issue.message}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
