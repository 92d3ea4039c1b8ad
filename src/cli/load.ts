import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';

/** A config file read and parsed, or why it could not be. */
export type LoadedFile =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly message: string };

const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
};

/**
 * Reads a config file: `.json` as JSON, anything else as YAML (which also reads JSON). A message
 * says what went wrong in words, with the line and column of a syntax error.
 *
 * @example
 * ```ts
 * await loadConfigFile('nightly.json')
 * // { ok: false, message: "cannot parse nightly.json as JSON: line 4, column 3: Unexpected token ']'" }
 * ```
 */
export async function loadConfigFile(path: string): Promise<LoadedFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    return { ok: false, message: `cannot read ${path}: ${READ_ERRORS[code] ?? (error as Error).message}` };
  }
  return parseConfigText(text, path);
}

/** Parses config text; `path` picks the format and names the file in messages. */
export function parseConfigText(text: string, path: string): LoadedFile {
  // A byte-order mark is not part of the document.
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const format = extname(path).toLowerCase() === '.json' ? 'JSON' : 'YAML';
  if (source.trim() === '') return { ok: false, message: `${path} is empty: it must hold an object of options (preHooks, tasks, postHooks, notifiers, …)` };
  let value: unknown;
  if (format === 'JSON') {
    try {
      value = JSON.parse(source);
    } catch (error) {
      return { ok: false, message: `cannot parse ${path} as JSON: ${jsonErrorText(error, source)}` };
    }
  } else {
    const document = parseDocument(source, { prettyErrors: true, uniqueKeys: true });
    const first = document.errors[0];
    if (first !== undefined) {
      const at = first.linePos?.[0];
      const where = at === undefined ? '' : `line ${at.line}, column ${at.col}: `;
      const text = firstLine(first.message).replace(/ at line \d+, column \d+:?$/, '');
      return { ok: false, message: `cannot parse ${path} as YAML: ${where}${text}` };
    }
    try {
      value = document.toJS({ maxAliasCount: 100 }) as unknown;
    } catch (error) {
      // An alias to an anchor that is not defined, or an alias bomb.
      return { ok: false, message: `cannot parse ${path} as YAML: ${(error as Error).message}` };
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const what = value === null || value === undefined ? 'nothing' : Array.isArray(value) ? 'a list' : `a ${typeof value}`;
    return { ok: false, message: `${path} must hold an object of options (preHooks, tasks, postHooks, notifiers, …), not ${what}` };
  }
  return { ok: true, value };
}

/**
 * Node's JSON errors give a character position, or (for an unexpected token) none at all and a copy
 * of the input: say where as a line and column, without the copy.
 */
function jsonErrorText(error: unknown, source: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const base = message
    .replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, '')
    .replace(/\s*\(line \d+ column \d+\)/, '')
    .replace(/(?: in JSON)? at position \d+.*$/s, '');
  const offset = jsonErrorPosition(message) ?? locateUnexpectedToken(source);
  if (offset === undefined) return base;
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}: ${base}`;
}

function jsonErrorPosition(message: string): number | undefined {
  const position = /at position (\d+)/.exec(message)?.[1];
  return position === undefined ? undefined : Number(position);
}

/**
 * The offset of the character JSON.parse stumbled on when it did not say: the shortest prefix
 * whose error lies inside it (not at its end, where the text is merely cut short) ends there.
 */
function locateUnexpectedToken(source: string): number | undefined {
  const errorInside = (length: number): boolean => {
    try {
      JSON.parse(source.slice(0, length));
      return false;
    } catch (error) {
      const message = error instanceof Error ? error.message : '';
      const position = jsonErrorPosition(message);
      return position === undefined ? !message.startsWith('Unexpected end') : position < length;
    }
  };
  if (!errorInside(source.length)) return undefined;
  let low = 1;
  let high = source.length;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (errorInside(middle)) high = middle;
    else low = middle + 1;
  }
  return low - 1;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
