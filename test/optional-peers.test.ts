import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * The integrations' libraries are optional peer dependencies (docs/observability.md): only the
 * subpath that needs one may load it. Checked on the built package (npm run build), as users get it.
 */

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const PEERS = /(^|\/)node_modules\/(@opentelemetry\/[^/]+|prom-client)\//;

/** The packages under node_modules that `require(file)` loads, in a fresh process. */
function packagesRequiredBy(file: string): string[] {
  const script = `require(${JSON.stringify(file)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)))`;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  const loaded = (JSON.parse(run.stdout) as string[]).flatMap((path) => PEERS.exec(path)?.[2] ?? []);
  return [...new Set(loaded)];
}

/** The bare specifiers an ESM file of dist/ imports, following its relative imports (chunks). */
function packagesImportedBy(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*["']([^"']+)["']|(?:^|\n)\s*import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g)].map(
    (match) => match[1] ?? match[2] ?? match[3] ?? '',
  );
  return specifiers.flatMap((specifier) => (specifier.startsWith('.') ? packagesImportedBy(join(dirname(file), specifier), seen) : [specifier]));
}

describe('optional peer dependencies stay behind their subpath', () => {
  it('require("jobhooks") and require("jobhooks/prometheus") load neither OpenTelemetry nor prom-client; jobhooks/otel loads @opentelemetry/api', () => {
    expect(packagesRequiredBy(join(DIST, 'index.cjs'))).toEqual([]);
    expect(packagesRequiredBy(join(DIST, 'prometheus.cjs'))).toEqual([]);
    expect(packagesRequiredBy(join(DIST, 'otel.cjs'))).toEqual(['@opentelemetry/api']);
  });

  it('import "jobhooks" imports no OpenTelemetry package, however deep in its chunks; jobhooks/otel does', () => {
    const peers = (file: string) => [...new Set(packagesImportedBy(join(DIST, file)).filter((name) => name.startsWith('@opentelemetry/') || name === 'prom-client'))];
    expect(peers('index.js')).toEqual([]);
    expect(peers('prometheus.js')).toEqual([]);
    expect(peers('otel.js')).toEqual(['@opentelemetry/api']);
  });
});
