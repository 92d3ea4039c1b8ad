import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { JobPipeline } from '../src/index.js';
const ROUNDS = Number(process.env.R ?? 9);
const dir = mkdtempSync(join(process.env.JDIR ?? '/var/tmp', 'jb-e2e-'));
const hooks = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `hook ${i}`, command: 'true' }));
async function job(n: number, journal: boolean): Promise<number> {
  const s = performance.now();
  const r = await new JobPipeline({ preHooks: hooks(n), ...(journal ? { journal: { dir, key: 'bench', keep: 3 } } : {}) }).run();
  if (r.status !== 'completed') throw new Error(r.status);
  return performance.now() - s;
}
await job(10, true); await job(10, false);
const m: Record<string, number[]> = { w0: [], wo0: [], w: [], wo: [] };
for (let i = 0; i < ROUNDS; i++) { m.w0!.push(await job(0, true)); m.wo0!.push(await job(0, false)); m.w!.push(await job(200, true)); m.wo!.push(await job(200, false)); }
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const perHook = (k: string) => med(m[k]!) / 200;
console.log(`run with no task: with ${med(m.w0!).toFixed(2)} ms, without ${med(m.wo0!).toFixed(2)} ms`);
console.log(`200 hooks per hook: without ${perHook('wo').toFixed(3)} with ${perHook('w').toFixed(3)} → ${(((med(m.w!) - med(m.w0!)) / (med(m.wo!) - med(m.wo0!)) - 1) * 100).toFixed(1)} % (fixed cost removed)`);
