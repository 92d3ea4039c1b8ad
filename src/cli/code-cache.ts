/**
 * Loads the CLI's commands bundle (one CommonJS file) with V8's code cache kept on disk between runs, so
 * a start-up deserializes compiled code instead of parsing and compiling 630 KB of JavaScript
 * (docs/performance.md, "CLI start-up"). Node ≥ 22.1 does this itself (`module.enableCompileCache()`);
 * Node 20 has no such function, so on it the bundle is compiled through `vm.Script` with `cachedData`.
 *
 * The cache is written once the command has run, so it also holds the functions the command compiled
 * lazily (what makes a run's first hook slow), and only after a run that did the command's work (not
 * one stopped by an invalid config). One cache per name the caller gives: `validate` and `run` use
 * different code, and so do a JSON and a YAML file's `run`. It lives in `$XDG_CACHE_HOME/jobhooks`
 * (else `~/.cache/jobhooks`), a directory of this user's own, mode 0700: a cache in a directory
 * someone else could write to is never read (it would be code this process runs).
 * `JOBHOOKS_CODE_CACHE=0` turns it off (docs/cli.md).
 *
 * @internal
 */
import { closeSync, existsSync, fstatSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import module, { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { Script } from 'node:vm';
import { makeDirectoriesSync } from '../make-directories.js';

/**
 * What happened: Node's own cache is on (`node`); ours was `used`, or is written at exit because there
 * was none (`created`) or V8 refused it (`rejected`); or there is none to use (`off`). For tests.
 */
export type CodeCacheUse = 'node' | 'used' | 'created' | 'rejected' | 'off';

/** Options of {@link requireWithCodeCache}. */
export interface CodeCacheOptions {
  /** The cache directory; `null`: no cache (the bundle is compiled as usual). */
  readonly cacheDir: string | null;
  /** Which cache: the command's name (its code differs from another command's). */
  readonly name: string;
  /**
   * The build of the file (the package's version): part of the cache's key, since V8 checks a cache
   * against the length of its source only, and npm gives every installed file the same time.
   */
  readonly build?: string;
  /** Called with what was done; the cache, if one is due, is written when the process exits. */
  readonly onUse?: (use: CodeCacheUse) => void;
  /**
   * Whether a process that exits with this code ran the code later runs need, so that its cache is
   * worth keeping (default: always). A cache is written once and then only read: one made by a run
   * that stopped at an invalid config would leave every later run compiling the engine's code itself.
   */
  readonly worthKeeping?: (exitCode: number) => boolean;
}

/**
 * The cache directory from the environment: `JOBHOOKS_CODE_CACHE=0` → none; else
 * `$XDG_CACHE_HOME/jobhooks` (an absolute XDG_CACHE_HOME only), else `$HOME/.cache/jobhooks`, else none.
 */
export function codeCacheDir(env: NodeJS.ProcessEnv): string | null {
  if (env['JOBHOOKS_CODE_CACHE'] === '0') return null;
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'jobhooks');
  const home = env['HOME'];
  return home !== undefined && isAbsolute(home) ? join(home, '.cache', 'jobhooks') : null;
}

/**
 * This user's own directory that nobody else can write to (made 0700 if missing), or `false`. Nothing is
 * made inside a directory of someone else's: root with another user's `HOME` leaves that home alone.
 */
function privateDirectory(dir: string): boolean {
  try {
    // The home directory (or the one holding $XDG_CACHE_HOME) must be there already: a HOME that does
    // not exist (nobody's /nonexistent) means no cache, not a home made for one.
    if (!existsSync(dirname(dirname(dir)))) return false;
    let existing = dir;
    while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
    if (lstatSync(existing).uid !== process.getuid?.()) return false;
    makeDirectoriesSync(dir, 0o700);
    const stat = lstatSync(dir);
    return stat.isDirectory() && stat.uid === process.getuid?.() && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** The file's content if it is a regular file of this user's that nobody else can write to; else `undefined`. */
function readPrivateFile(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.uid !== process.getuid?.() || (stat.mode & 0o022) !== 0) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * How long another installation's cache is kept unwritten: `npx jobhooks@<version>` and removed
 * installations leave theirs behind, 2 MB each.
 */
export const STALE_CACHE_MS = 30 * 24 * 60 * 60 * 1000;

/** Writes the file whole or not at all (a private temporary file renamed over it); drops older caches. */
function writeCache(dir: string, name: string, place: string, key: string, data: Buffer): void {
  const path = join(dir, name);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, data, { mode: 0o600, flag: 'wx' });
    renameSync(temporary, path);
    // The caches of an earlier build of the CLI at the same place are never read again. Another
    // installation's are kept while recent (two used in turn must not delete each other's); once 30
    // days old they go, and an installation still in use makes its own again at its next start.
    const staleBefore = Date.now() - STALE_CACHE_MS;
    for (const entry of readdirSync(dir)) {
      if (!entry.endsWith('.v8')) continue;
      const other = join(dir, entry);
      if (entry.startsWith(place) ? !entry.startsWith(key) : lstatSync(other).mtimeMs < staleBefore) unlinkSync(other);
    }
  } catch {
    try {
      unlinkSync(temporary);
    } catch {
      // Nothing was written.
    }
  }
}

/** A short name for where the file is (FNV-1a of its path): each installation of the CLI has its own caches. */
function placeOf(file: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < file.length; index += 1) hash = Math.imul(hash ^ file.charCodeAt(index), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** The function a CommonJS file's source is the body of, as Node wraps it. */
function wrap(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
}

/**
 * `require(file)`, with the compiled code cached between runs (see the module comment). Never fails
 * because of the cache: whatever goes wrong with it, the file is compiled as usual.
 */
export function requireWithCodeCache(file: string, options: CodeCacheOptions): unknown {
  const require = createRequire(file);
  const { cacheDir, name } = options;
  if (typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function') {
    // Node ≥ 22.1: its own compile cache, turned on by the binary at its start, covers this file.
    options.onUse?.('node');
    return require(file);
  }
  if (cacheDir === null || !privateDirectory(cacheDir)) {
    options.onUse?.('off');
    return require(file);
  }
  let source: string;
  let key: string;
  const place = `${placeOf(file)}-`;
  try {
    const stat = statSync(file);
    source = readFileSync(file, 'utf8');
    // V8 rejects a cache made by another V8, but checks the source by its length only: the key keeps
    // the caches of each installation, build (version, size, time) and Node version apart.
    const build = options.build === undefined ? '' : `${options.build.replace(/[^\w.]/g, '_')}-`;
    key = `${place}${process.version}-${process.arch}-${build}${stat.size}-${Math.trunc(stat.mtimeMs)}-`;
  } catch {
    return require(file);
  }
  const cacheName = `${key}${name.replace(/[^\w-]/g, '_')}.v8`;
  // V8 takes damaged bytes in a cache for code and crashes (SIGSEGV) instead of refusing it, run after
  // run, since a run that crashed writes no new cache. With this flag V8 writes a checksum into each
  // cache it makes and refuses one that does not match it (docs/cli.md, "Start-up and its cache").
  // Only for this cache: the caches of Node's own modules, compiled later, have no checksum.
  const { setFlagsFromString } = require('node:v8') as typeof import('node:v8');
  const checksums = (on: boolean): void => setFlagsFromString(on ? '--verify-snapshot-checksum' : '--no-verify-snapshot-checksum');
  const cachedData = readPrivateFile(join(cacheDir, cacheName));
  checksums(true);
  const script = new Script(wrap(source), { filename: file, ...(cachedData === undefined ? {} : { cachedData }) });
  checksums(false);
  const use: CodeCacheUse = cachedData === undefined ? 'created' : script.cachedDataRejected === true ? 'rejected' : 'used';
  if (use !== 'used') {
    // After the command ran: the cache then holds every function it compiled, not just the top level.
    process.once('exit', (code) => {
      if (!(options.worthKeeping?.(code) ?? true)) return;
      checksums(true);
      writeCache(cacheDir, cacheName, place, key, script.createCachedData());
    });
  }
  options.onUse?.(use);
  const exports = {};
  const cjsModule = { exports, filename: file, id: file, loaded: false };
  (script.runInThisContext() as (...args: unknown[]) => void).call(exports, exports, require, cjsModule, file, dirname(file));
  cjsModule.loaded = true;
  return cjsModule.exports;
}
