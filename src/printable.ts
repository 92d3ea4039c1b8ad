/**
 * Control characters (newline, tab, ESC, …) could forge or garble a line where text is printed; the
 * text-direction overrides and isolates (U+202A–U+202E, U+2066–U+2069) could make it read as other
 * words ("Dump status: failed") in a log, a notification or the history page. Names and other printed
 * options refuse them (docs/security.md); messages quote them escaped.
 */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `text` with its control characters written as escapes (`\n`, `\u001b`, …): a key or a value from a
 * config file quoted in a message must not move the cursor, retitle the terminal or start a line.
 *
 * @example
 * ```ts
 * printable('a\u001b[31mb\nc') // 'a\\u001b[31mb\\nc'
 * ```
 */
export function printable(text: string): string {
  return text.replace(new RegExp(CONTROL_CHARACTERS.source, 'g'), (char) => ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
