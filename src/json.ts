import type { JsonValue } from './types.js';

/** A JSON object (not an array, not `null`): what a task's `data` is when it has fields. */
export type JsonObject = { readonly [key: string]: JsonValue };

/** Whether a JSON value is an object with fields (not an array, not `null`). */
export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The first key given twice in one object of a JSON text that `JSON.parse` accepted, with the offset
 * of its second occurrence; `undefined` when no object repeats a key. `JSON.parse` keeps the last
 * value of a repeated key without a word, so a config's second `"preHooks": []` would silently drop
 * the first list (docs/cli.md, "Mistakes are caught before anything runs"). Keys are compared as
 * read: `"b"` and `"\u0062"` are one.
 */
export function repeatedJsonKey(text: string): { readonly key: string; readonly offset: number } | undefined {
  // The keys of each open object, `null` for an open array.
  const open: (Set<string> | null)[] = [];
  let keyNext = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (char === '"') {
      const start = i;
      for (i += 1; text[i] !== '"'; i += text[i] === '\\' ? 2 : 1);
      const keys = open.at(-1);
      if (keyNext && keys !== undefined && keys !== null) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (keys.has(key)) return { key, offset: start };
        keys.add(key);
      }
      keyNext = false;
    } else if (char === '{') {
      open.push(new Set());
      keyNext = true;
    } else if (char === '[') {
      open.push(null);
    } else if (char === '}' || char === ']') {
      open.pop();
    } else if (char === ',') {
      keyNext = open.at(-1) !== null;
    }
  }
  return undefined;
}
