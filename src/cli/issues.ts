import { z } from 'zod';
import { describeValue, formatPath, toConfigIssues } from '../config.js';
import { suggest } from '../suggest.js';
import type { ConfigIssue } from '../errors.js';

/**
 * Turns the zod issues of a config file into {@link ConfigIssue}s. Unknown keys get a "did you
 * mean" taken from the keys that are valid *at that place* (a notifier's `tokn` suggests `token`,
 * not a pipeline option); a union reports the one branch the value was meant for; an unknown
 * `type` or `borg` names the accepted values. Everything else is the engine's own wording
 * (`toConfigIssues`), so file and API errors read alike.
 *
 * @example
 * ```ts
 * const parsed = schemas.notifierEntry.safeParse({ type: 'webhook', url: 'https://x', tokn: 'a' })
 * fileIssues(parsed.error.issues, schemas.notifierEntry, input, ['notifiers', 0])
 * // [{ path: 'notifiers[0].tokn', message: 'unknown option "tokn" (did you mean "token"?)' }]
 * ```
 */
export function fileIssues(
  issues: readonly z.core.$ZodIssue[],
  schema: z.ZodType,
  input: unknown,
  basePath: readonly PropertyKey[] = [],
): ConfigIssue[] {
  const result: ConfigIssue[] = [];
  for (const issue of resolveUnions(issues)) {
    const path = [...basePath, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      const known = keysAt(schema, input, issue.path);
      for (const key of issue.keys) {
        const hint = suggest(key, known);
        result.push({ path: formatPath([...path, key]), message: `unknown option "${key}"${hint === undefined ? '' : ` (did you mean "${hint}"?)`}` });
      }
    } else if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
      result.push(discriminatorIssue(issue, path));
    } else if (issue.code === 'invalid_union') {
      const value = valueAt(input, issue.path);
      result.push({
        path: formatPath(path),
        message: value === undefined ? `is required (${issue.message})` : `${issue.message}, received ${describeValue(value)}`,
      });
    } else {
      result.push(...toConfigIssues([issue], basePath));
    }
  }
  return result;
}

/**
 * Replaces each union's issue by the issues of the one branch the value was meant for — the only
 * branch whose type matched, the others having failed at the value itself — with paths from the
 * root. A union where no single branch stands out keeps its own issue.
 */
export function resolveUnions(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const result: z.core.$ZodIssue[] = [];
  for (const issue of issues) {
    if (issue.code !== 'invalid_union' || ('note' in issue && issue.note !== undefined)) {
      result.push(issue);
      continue;
    }
    const meant = issue.errors.filter((branch) => !branch.some((inner) => inner.code === 'invalid_type' && inner.path.length === 0));
    const branch = meant.length === 1 ? meant[0] : undefined;
    if (branch === undefined) result.push(issue);
    else result.push(...resolveUnions(branch.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }))));
  }
  return result;
}

function discriminatorIssue(issue: z.core.$ZodIssueInvalidUnion & { options?: unknown; discriminator?: unknown }, path: readonly PropertyKey[]): ConfigIssue {
  const options = (Array.isArray(issue.options) ? issue.options : []).filter((option): option is string => typeof option === 'string');
  const accepted = options.map((option) => JSON.stringify(option)).join(', ');
  const discriminator = typeof issue.discriminator === 'string' ? issue.discriminator : String(path.at(-1));
  const received = typeof issue.input === 'object' && issue.input !== null ? ownValue(issue.input as Record<string, unknown>, discriminator) : undefined;
  if (received === undefined) return { path: formatPath(path), message: `is required: one of ${accepted}` };
  const hint = typeof received === 'string' ? suggest(received, options) : undefined;
  return {
    path: formatPath(path),
    message: `expected one of ${accepted}, received ${describeValue(received)}${hint === undefined ? '' : ` (did you mean "${hint}"?)`}`,
  };
}

/**
 * A key's value when the object itself holds it: a config key is never looked up on the prototype
 * chain, so `constructor` or `__proto__` in a file is just an unknown key.
 */
export function ownValue<T>(object: Readonly<Record<PropertyKey, T>>, key: PropertyKey): T | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = ownValue(value as Record<PropertyKey, unknown>, segment);
  }
  return value;
}

/** The keys an object schema accepts at `path`, following the input through arrays and unions. */
function keysAt(schema: z.ZodType, input: unknown, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType | undefined = schema;
  let value = input;
  for (const segment of [...path, undefined]) {
    current = unwrap(current, value);
    if (current === undefined) return [];
    if (segment === undefined) break;
    if (current instanceof z.ZodObject) current = ownValue(current.shape as Record<string, z.ZodType>, String(segment));
    else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
    else if (current instanceof z.ZodRecord) current = current.valueType as z.ZodType;
    else return [];
    value = typeof value === 'object' && value !== null ? ownValue(value as Record<PropertyKey, unknown>, segment) : undefined;
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

/** Sees through optional/nullable/default/pipe wrappers, and picks the union member meant for `value`. */
function unwrap(schema: z.ZodType | undefined, value: unknown): z.ZodType | undefined {
  let current = schema;
  for (let depth = 0; depth < 20 && current !== undefined; depth += 1) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable || current instanceof z.ZodDefault) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      current = current.in as z.ZodType;
    } else if (current instanceof z.ZodDiscriminatedUnion) {
      const key = current.def.discriminator;
      const tag = typeof value === 'object' && value !== null ? ownValue(value as Record<string, unknown>, key) : undefined;
      current = (current.options as z.ZodType[]).find(
        (option) => option instanceof z.ZodObject && ownValue(option.shape as Record<string, z.ZodType>, key)?.safeParse(tag).success === true,
      );
    } else if (current instanceof z.ZodUnion) {
      const options = current.options as z.ZodType[];
      current =
        options.find((option) => (Array.isArray(value) ? option instanceof z.ZodArray : option instanceof z.ZodObject || option instanceof z.ZodRecord)) ??
        undefined;
    } else {
      return current;
    }
  }
  return current;
}

/**
 * Puts issues a constructor reported (`keep.daily`, `[0].name`, `` for the whole object) under the
 * place the options came from in the file (`tasks[2]`).
 */
export function prefixIssues(issues: readonly ConfigIssue[], prefix: string): ConfigIssue[] {
  return issues.map((issue) => ({
    path: issue.path === '' ? prefix : issue.path.startsWith('[') ? `${prefix}${issue.path}` : `${prefix}.${issue.path}`,
    message: issue.message,
  }));
}
