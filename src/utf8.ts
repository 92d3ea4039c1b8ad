/** Whether a byte continues a UTF-8 character (10xxxxxx) rather than starting one. */
function isContinuation(byte: number | undefined): boolean {
  return byte !== undefined && (byte & 0xc0) === 0x80;
}

/** The longest end of `text` whose UTF-8 fits in `maxBytes`, starting on a whole character. */
export function lastUtf8Bytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  let start = Math.max(0, bytes.length - Math.max(0, maxBytes));
  while (start < bytes.length && isContinuation(bytes[start])) start += 1;
  return bytes.subarray(start).toString('utf8');
}

/** The longest start of `text` whose UTF-8 fits in `maxBytes`, ending on a whole character. */
export function firstUtf8Bytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  let end = Math.min(bytes.length, Math.max(0, maxBytes));
  while (end > 0 && end < bytes.length && isContinuation(bytes[end])) end -= 1;
  return bytes.subarray(0, end).toString('utf8');
}
