import type { JsonValue } from './types.js';

/** A JSON object (not an array, not `null`): what a task's `data` is when it has fields. */
export type JsonObject = { readonly [key: string]: JsonValue };

/** Whether a JSON value is an object with fields (not an array, not `null`). */
export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
