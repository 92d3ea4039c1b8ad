import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/** The interpreter named by a command's `#!` line, split the way the Linux kernel splits it. */
export interface Shebang {
  /** The interpreter's path as written (`/usr/bin/env`). */
  readonly interpreter: string;
  /** Zero or one argument: everything after the interpreter, trimmed, as one string (`['python3']`). */
  readonly args: readonly string[];
}

/**
 * Finds the `#!` line of a command that is a script (docs/hooks.md, "Write the hook in Python, or any language"): the first `#!` line, when it comes
 * before any line that is neither blank nor a `#` comment.
 *
 * Like the kernel, the rest of the line after the interpreter is **one** argument
 * (`#!/usr/bin/env -S python3 -u` gives `['-S python3 -u']`, which `env -S` splits itself).
 * Leading spaces before `#!` are allowed (text from indented config); a `#!` with nothing after it is not a
 * shebang. Returns `null` for plain shell text.
 *
 * @example
 * ```ts
 * parseShebang('# Python hook\n#!/usr/bin/env python3\nprint(1)')
 * // { interpreter: '/usr/bin/env', args: ['python3'] }
 * parseShebang('echo hi') // null
 * ```
 */
export function parseShebang(command: string): Shebang | null {
  const found = findShebangLine(command);
  return found === null ? null : found.shebang;
}

interface ShebangLine {
  readonly shebang: Shebang;
  /** 0-based index of the `#!` line. */
  readonly lineIndex: number;
}

function findShebangLine(command: string): ShebangLine | null {
  // Scan line by line without splitting the whole (possibly long) script.
  let position = 0;
  for (let lineIndex = 0; position <= command.length; lineIndex += 1) {
    const newline = command.indexOf('\n', position);
    const end = newline === -1 ? command.length : newline;
    const line = command.slice(position, end).trim();
    if (line.startsWith('#!')) {
      const shebang = splitShebang(line.slice(2));
      return shebang === null ? null : { shebang, lineIndex };
    }
    if (line !== '' && !line.startsWith('#')) return null;
    if (newline === -1) return null;
    position = newline + 1;
  }
  return null;
}

function splitShebang(text: string): Shebang | null {
  const body = text.trim();
  if (body === '') return null;
  const space = body.search(/[ \t]/);
  if (space === -1) return { interpreter: body, args: [] };
  const argument = body.slice(space + 1).trim();
  return { interpreter: body.slice(0, space), args: argument === '' ? [] : [argument] };
}

/**
 * The text written to the script file: the `#!` line first (interpreters such as `node` accept it only
 * there), then the lines that preceded it as blank lines, so every later line keeps its line number
 * in the interpreter's error messages.
 *
 * @param lineIndex - 0-based index of the `#!` line in `command`.
 * @example
 * ```ts
 * scriptText('# Python hook\n#!/usr/bin/env python3\nprint(1)', 1) // '#!/usr/bin/env python3\n\nprint(1)'
 * ```
 */
export function scriptText(command: string, lineIndex: number): string {
  if (lineIndex === 0) return command;
  const lines = command.split('\n');
  const shebangLine = lines[lineIndex] ?? '';
  return [shebangLine.trimStart(), ...Array<string>(lineIndex).fill(''), ...lines.slice(lineIndex + 1)].join('\n');
}

/** A script written for its interpreter; remove it with {@link removeScript} on every path. */
export interface ScriptFile {
  readonly shebang: Shebang;
  /** The private directory (mode 0700) holding the script. */
  readonly dir: string;
  /** The script's path (mode 0700). */
  readonly path: string;
}

/** The program a shebang names, looking through `env` (`#!/usr/bin/env -S pwsh -NoProfile` → `pwsh`). */
function programName(shebang: Shebang): string {
  const interpreter = basename(shebang.interpreter);
  if (interpreter !== 'env') return interpreter;
  const words = (shebang.args[0] ?? '').split(/[ \t]+/);
  return words.find((word) => word !== '' && !word.startsWith('-') && !word.includes('=')) ?? interpreter;
}

/** PowerShell refuses `-File` scripts without a `.ps1` extension; other interpreters do not care. */
function scriptName(shebang: Shebang): string {
  return /^(pwsh|powershell)(\.exe)?$/i.test(programName(shebang)) ? 'hook.ps1' : 'hook';
}

/**
 * Writes `command` to a new private temporary directory when it is a shebang script; returns `null`
 * for plain shell text (nothing is written).
 *
 * @param tempRoot - Where the private directory is created.
 * @default tempRoot os.tmpdir()
 * @example
 * ```ts
 * const script = await writeScript('#!/usr/bin/env python3\nprint(1)')
 * try { ... } finally { if (script) await removeScript(script) }
 * ```
 */
export async function writeScript(command: string, tempRoot: string = tmpdir()): Promise<ScriptFile | null> {
  const found = findShebangLine(command);
  if (found === null) return null;
  // mkdtemp creates the directory with mode 0700: no other user can read or swap the script.
  const dir = await mkdtemp(join(tempRoot, 'jobhooks-'));
  liveScriptDirs.add(dir);
  const path = join(dir, scriptName(found.shebang));
  try {
    await writeFile(path, scriptText(command, found.lineIndex), { mode: 0o700, flag: 'wx' });
  } catch (error) {
    liveScriptDirs.delete(dir);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return { shebang: found.shebang, dir, path };
}

/**
 * Removes a script's private directory; never throws (a leftover temp dir must not fail a job), and
 * removing twice is harmless.
 *
 * @example
 * ```ts
 * await removeScript(script)
 * ```
 */
export async function removeScript(script: ScriptFile): Promise<void> {
  try {
    await rm(script.dir, { recursive: true, force: true, maxRetries: 2 });
  } catch {
    // Nothing useful to do: the directory is private and in the temp dir.
  }
  liveScriptDirs.delete(script.dir);
}

/** The private directories this process made for scripts and has not removed yet. */
const liveScriptDirs = new Set<string>();

/**
 * Removes, synchronously, every script directory this process still has (commands still running or
 * not yet cleaned up), for an exit path that cannot wait: a CLI leaving on a second signal. Never throws;
 * calling it again, or {@link removeScript} afterwards, is harmless. A script still running keeps its
 * open file; the interpreter has usually read it already.
 *
 * @example
 * ```ts
 * process.once('SIGINT', () => { executor.killAll(); removeScriptDirsSync(); process.exit(130) })
 * ```
 */
export function removeScriptDirsSync(): void {
  for (const dir of [...liveScriptDirs]) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // As in removeScript: nothing useful to do on the way out.
    }
    liveScriptDirs.delete(dir);
  }
}
