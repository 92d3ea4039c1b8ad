/**
 * Shared by the executor benchmarks: bundles a benchmark file to plain JavaScript in `.bench-tmp/`,
 * so its measuring children run on bare `node`. Under tsx every process carries the loader's ~40 MiB
 * of extra RSS and ~100 ms of start-up, which would blur exactly what these benchmarks measure.
 */
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bundles the file at `entryUrl` (an `import.meta.url`) and returns the path of the `.mjs` bundle. */
export async function bundleForNode(entryUrl: string): Promise<string> {
  const { build } = await import('esbuild');
  const entry = fileURLToPath(entryUrl);
  const outDir = join(process.cwd(), '.bench-tmp');
  await mkdir(outDir, { recursive: true });
  const outfile = join(outDir, basename(entry).replace(/\.ts$/, '.mjs'));
  await build({ entryPoints: [entry], outfile, bundle: true, packages: 'external', platform: 'node', format: 'esm', target: 'node20', logLevel: 'error' });
  return outfile;
}
