import { execFile } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SPINNER } from '../../src/cli/live.js';
import { CLI, tempDir, untimed } from './helpers.js';

// The live view on a real terminal: the built CLI under util-linux `script`, which gives it a pty.

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => {
  dir.remove();
});

function underPty(command: string, cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      'script',
      ['-qfec', command, '/dev/null'],
      { cwd, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: cwd, LANG: 'C.UTF-8', TERM: 'xterm' }, timeout: 20_000 },
      (error, stdout) => {
        if (error !== null && typeof error.code !== 'number') {
          reject(new Error(`could not run util-linux script (needed for this test): ${error.message}`));
          return;
        }
        // The pty turns each \n into \r\n.
        resolve({ code: error === null ? 0 : (error.code as number), output: stdout.replaceAll('\r\n', '\n') });
      },
    );
  });
}

describe('jobhooks run on a terminal', () => {
  it('draws the flow live with a spinner and the last output line, in place, and ends with the final flow and message', async () => {
    const file = dir.write(
      'job.json',
      JSON.stringify({
        jobId: 'tty-job',
        repository: { name: 'NAS' },
        preHooks: [{ name: 'Database Dump', command: 'echo dumping; sleep 0.8; echo dump written' }],
        tasks: [{ type: 'backup', name: 'Backup', command: 'sleep 0.3' }],
      }),
    );
    const { code, output } = await underPty(`stty cols 120 rows 40; exec '${process.execPath}' '${CLI}' run '${file}'`, dir.path);

    expect(code).toBe(0);
    expect(output.startsWith('\u001B[?25l1. Pre-Hook 1 (Database Dump)')).toBe(true);
    const spinners = SPINNER.join('');
    expect(output).toMatch(new RegExp(`1\\. Pre-Hook 1 \\(Database Dump\\) +→ [${spinners}] Running 0s\\n\\u001B\\[2m     dumping\\u001B\\[0m\\n2\\. Backup Task +→ ⏸️  Pending\\n`));
    expect(output).toMatch(new RegExp(`2\\. Backup Task +→ [${spinners}] Running 0s\\n`));
    // Frames are redrawn in place: back up over the last frame's lines and clear below.
    expect(output).toContain('\r\u001B[3A\u001B[J1. Pre-Hook 1 (Database Dump)');
    // Several spinner frames were shown while the hook ran.
    const shown = new Set([...output.matchAll(new RegExp(`([${spinners}]) Running`, 'g'))].map((match) => match[1]));
    expect(shown.size).toBeGreaterThanOrEqual(3);
    expect(output).toMatch(/1\. Pre-Hook 1 \(Database Dump\)         → ✅ Success \(\d\.\ds\)\n2\. Backup Task                        → ✅ Success \(\d\.\ds\)\n/);
    expect(untimed(output).endsWith(
      [
        '1. Pre-Hook 1 (Database Dump) → ✅ Success',
        '2. Backup Task → ✅ Success',
        '',
        'Result: ✅ Job Completed Successfully',
        '',
        '✅ Backup Job Completed Successfully',
        '',
        "Backup job for 'NAS' completed successfully.",
        '',
        'Tasks Completed: 2, Total: 2',
        'Job ID: tty-job',
        '\u001B[?25h',
      ].join('\n'),
    )).toBe(true);
  });

  it('prints plain lines on a terminal that cannot move the cursor (TERM=dumb)', async () => {
    const file = dir.write('job.json', JSON.stringify({ tasks: [{ type: 'backup', name: 'Backup', command: 'echo backing up' }] }));
    const { code, output } = await underPty(`TERM=dumb exec '${process.execPath}' '${CLI}' run '${file}'`, dir.path);
    expect(code).toBe(0);
    expect(output).toMatch(/^\d\d:\d\d:\d\d \[Backup\] started\n/);
    expect(untimed(output).startsWith('[Backup] started\n[Backup] backing up\n[Backup] completed\n')).toBe(true);
    expect(output).not.toContain('\u001B[');
  });
});
