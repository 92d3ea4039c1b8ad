import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

/** A fresh state directory for one test. */
export function stateDir(): string {
  return mkdtempSync(join(tmpdir(), 'jobhooks-journal-'));
}

/** Bundles the contender fixture once into one plain .mjs file: 20 `node` starts instead of 20 `tsx` starts. */
export async function buildContender(): Promise<string> {
  const outfile = join(mkdtempSync(join(tmpdir(), 'jobhooks-contender-')), 'contender.mjs');
  await build({
    entryPoints: [new URL('./fixtures/contender.ts', import.meta.url).pathname],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

/** A contender process and the lines it printed. */
export interface Contender {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: string[];
  /** Resolves when it has printed a line satisfying `test`. */
  waitFor(test: (line: string) => boolean): Promise<string>;
}

export function startContender(script: string, args: readonly string[]): Contender {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  // A contender that already exited makes a late write or end() fail with EPIPE: nothing to report.
  child.stdin.on('error', () => {});
  const lines: string[] = [];
  const waiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  let buffer = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let at = buffer.indexOf('\n'); at !== -1; at = buffer.indexOf('\n')) {
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.test(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  return {
    child,
    lines,
    waitFor: (test) =>
      new Promise((resolve, reject) => {
        const found = lines.find(test);
        if (found !== undefined) {
          resolve(found);
          return;
        }
        waiters.push({ test, resolve });
        child.once('close', (code) => {
          const late = lines.find(test);
          if (late !== undefined) resolve(late);
          else reject(new Error(`contender exited (${String(code)}) without the line; stderr: ${stderr}`));
        });
      }),
  };
}

/** Starts `count` contenders, waits until all are ready, then says `go` to all at once. */
export async function race(script: string, count: number, args: readonly string[]): Promise<Contender[]> {
  const contenders = Array.from({ length: count }, () => startContender(script, args));
  await Promise.all(contenders.map((contender) => contender.waitFor((line) => line === 'ready')));
  for (const contender of contenders) contender.child.stdin.write('go\n');
  await Promise.all(contenders.map((contender) => contender.waitFor((line) => line.startsWith('won') || line.startsWith('lost'))));
  return contenders;
}

/** Ends the contenders' stdin (the winner lets go) and waits for all to exit. */
export async function finish(contenders: readonly Contender[]): Promise<void> {
  await Promise.all(
    contenders.map(
      (contender) =>
        new Promise<void>((resolve) => {
          if (contender.child.exitCode !== null) resolve();
          else {
            contender.child.once('close', () => resolve());
            contender.child.stdin.end();
          }
        }),
    ),
  );
}
