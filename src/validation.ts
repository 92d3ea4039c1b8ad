import * as z from 'zod';
import { CONTROL_CHARACTERS } from './printable.js';
import { DURATION_PATTERN, durationProblem, durationToMs, type Duration } from './duration.js';
import { ConfigError, describeValue, type ConfigIssue, type ConfigIssueCode } from './errors.js';
import { suggest } from './suggest.js';

/*
 * The one validation layer: the schema primitives every option schema is built from (the pipeline's,
 * commandTask's, the borg factories', the notifiers', ShellExecutor's and the config file's), and the
 * one conversion of zod's issues into ConfigIssues, so that every ConfigError reads alike
 * (docs/embedding.md, "Errors are data").
 */

// ---------------------------------------------------------------------------------------------
// Primitives

const NUL_MESSAGE = 'must not contain a NUL byte ("\\0"): no command, argument or environment can carry one';

/**
 * A string that may reach `spawn` (a command, an argument, a working directory, an environment
 * name or value): a NUL byte in it is rejected here, with its path, instead of failing the spawn
 * after the earlier hooks ran. Every such string in every schema is built on this one.
 */
export const spawnString = z.string().refine((value) => !value.includes('\0'), { message: NUL_MESSAGE });

/** A {@link spawnString} with something in it besides spaces. */
export const nonEmptySpawnString = spawnString.refine((value) => value.trim().length > 0, { message: 'must not be empty' });

/** What a text with a control character is told: which ones, and why it matters for `what`. */
const controlMessage = (what: string): string => `must not contain control characters (newline, tab, escape, text-direction overrides, …): ${what}`;
const CONTROL_MESSAGE = controlMessage('a name is printed in log lines');

/** What a name check says about `value`, or `undefined` when it is a valid task name. */
export function nameProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `expected a non-empty string, received ${describeValue(value)}`;
  if (value.trim() === '') return 'must not be empty';
  if (value.includes('\0')) return NUL_MESSAGE;
  if (CONTROL_CHARACTERS.test(value)) return CONTROL_MESSAGE;
  return undefined;
}

const PRINTED_MESSAGE = controlMessage('it is printed in log lines and notifications');

// A NUL is said by spawnString's own check, once.
const printedText = (value: string): boolean => value.includes('\0') || !CONTROL_CHARACTERS.test(value);

/** A text that is printed where people read it (a job id, a repository's name): no control characters. */
export const printedString = spawnString.refine(printedText, { message: PRINTED_MESSAGE });

/** {@link printedString}, not empty. */
export const nonEmptyPrintedString = nonEmptySpawnString.refine(printedText, { message: PRINTED_MESSAGE });

/** The name of a hook or task: not empty, one line, no control characters. */
export const nameString = z.string().superRefine((value, context) => {
  const problem = nameProblem(value);
  if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
});

/**
 * `__proto__` as a map key would set the map's prototype instead of adding an entry: it is
 * refused in every map, with its path, rather than silently dropped.
 */
export const PROTO_KEY_MESSAGE = '"__proto__" cannot be used as a name';

/**
 * A map that refuses an own `__proto__` key (as `JSON.parse` and YAML make them) instead of
 * letting zod drop it without a word.
 */
export function withoutProtoKey<T extends z.ZodType>(record: T) {
  // A preprocess, not a custom type: the JSON Schema of the config file describes the record itself.
  const checked = z.preprocess((value, context) => {
    if (typeof value === 'object' && value !== null && Object.hasOwn(value, '__proto__')) {
      context.addIssue({ code: 'custom', path: ['__proto__'], message: PROTO_KEY_MESSAGE, input: value });
    }
    return value;
  }, record);
  // preprocess types its input as unknown; what it accepts is what the record accepts.
  return checked as unknown as z.ZodPipe<z.ZodTransform<z.input<T>, z.input<T>>, T>;
}

// ---------------------------------------------------------------------------------------------
// Secrets and JSON forms: what the config file's schema is derived with (docs/architecture.md)

const SECRET_FIELDS = z.registry();

/**
 * Marks `schema` as a secret field (a token, a passphrase, a URL that carries a token, an
 * environment value): the config file also accepts `{ "env": "NAME" }` there, read from the
 * environment and redacted (docs/cli.md, "Secrets"). Mark the field's whole schema; `.meta()`,
 * `.refine()` and `.optional()` applied afterwards keep the mark.
 */
export function secret<T extends z.ZodType>(schema: T): T {
  SECRET_FIELDS.add(schema);
  return schema;
}

/** Whether `schema` (or the schema it was derived from by `.meta()` or a check) is a {@link secret} field. */
export function isSecret(schema: z.ZodType): boolean {
  for (let current: z.core.$ZodType | undefined = schema; current !== undefined; current = current._zod.parent) {
    if (SECRET_FIELDS.has(current)) return true;
  }
  return false;
}

/** The one secret-string primitive: a token or passphrase, not empty. */
export const secretString = secret(z.string().min(1, { message: 'must not be empty' }));

/**
 * A token sent as `Authorization: Bearer <token>`: a header value must be one line of Latin-1 text,
 * and one that is not would fail every delivery attempt at run time instead of here.
 */
export const bearerTokenString = secret(
  z
    .string()
    .min(1, { message: 'must not be empty' })
    .refine(
      (token) => {
        try {
          new Headers([['authorization', `Bearer ${token}`]]);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'cannot be sent in an HTTP header: one line of Latin-1 text (no line break, no character past ÿ)' },
    ),
);

const JSON_FORMS = z.registry<Record<string, unknown>>();

/**
 * The JSON Schema of a custom type (which zod cannot describe), for `z.toJSONSchema`'s
 * `unrepresentable` option: the form registered for the schema or the one it was derived from.
 */
export function jsonFormOf(schema: z.core.$ZodType): Record<string, unknown> | undefined {
  for (let current: z.core.$ZodType | undefined = schema; current !== undefined; current = current._zod.parent) {
    const form = JSON_FORMS.get(current);
    if (form !== undefined) return form;
  }
  return undefined;
}

/** The value of an environment variable as written: a number or boolean becomes its string form. */
export type EnvValue = string | number | boolean;

const envValueInput = z.custom<EnvValue>((value) => typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean', {
  error: (issue) => `expected a string, number or boolean, received ${describeValue(issue.input)}`,
});
JSON_FORMS.add(envValueInput, { type: ['string', 'number', 'boolean'] });

// A secret field: the config file may read an environment value from its own environment.
const envValue = secret(
  envValueInput
    .refine((value) => typeof value !== 'number' || Number.isFinite(value), { message: 'expected a finite number' })
    .transform((value) => String(value))
    .pipe(spawnString),
);

/** An environment map: names without "=" or NUL; string, number or boolean values, given to processes as strings. */
export const envRecord = withoutProtoKey(
  z.record(z.string().regex(/^[^=\0]+$/, { message: 'environment variable names must not be empty or contain "=" or NUL' }), envValue),
);

/** A {@link Duration} as written, before any check: what every duration schema starts from. */
const durationInput = z.custom<Duration>();
const DURATION_STRING_FORM = { type: 'string', pattern: DURATION_PATTERN.source, description: 'A number and a unit: "500ms", "90s", "5m", "1h".' };
JSON_FORMS.add(durationInput, { anyOf: [{ type: 'number', exclusiveMinimum: 0, description: 'Seconds.' }, DURATION_STRING_FORM] });

/** A {@link Duration} as written (seconds or `"90s"`), checked and kept as it is. */
export const duration = durationInput.superRefine((value, context) => {
  const problem = durationProblem(value);
  if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
});

/**
 * A duration that may also be 0 (borg's `--lock-wait 0`: do not wait), with its own message.
 */
export function durationOrZero(message: string) {
  const schema = durationInput.refine((value) => value === 0 || durationToMs(value) !== undefined, { error: (issue) => `${message}, received ${describeValue(issue.input)}` });
  // Its JSON form takes the 0 it takes: the config file's schema must not refuse what loading accepts.
  JSON_FORMS.add(schema, { anyOf: [{ type: 'number', minimum: 0, description: 'Seconds; 0 for none.' }, DURATION_STRING_FORM] });
  return schema;
}

/** A {@link Duration} checked and turned into milliseconds. */
export const durationMs = durationInput.transform((value, context) => {
  const problem = durationProblem(value);
  if (problem !== undefined) {
    context.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }
  return durationToMs(value) ?? z.NEVER;
});

/** A {@link Duration} checked and kept both ways: as written (to hand back) and in milliseconds (to use). */
export const durationWritten = durationInput.transform((value, context) => {
  const problem = durationProblem(value);
  if (problem !== undefined) {
    context.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }
  return { written: value, ms: durationToMs(value) ?? z.NEVER };
});

/** An array of at most `max` elements, checked before the elements are: a huge list fails fast. */
export function capped<T extends z.ZodType>(element: T, max: number, what: string) {
  const message = `at most ${max} ${what} are allowed (the limit keeps a runaway file from exhausting memory)`;
  // A preprocess rather than a pipe from z.array(z.unknown()): the JSON Schema describes the elements.
  const checked = z.preprocess((value, context) => {
    if (Array.isArray(value) && value.length > max) context.addIssue({ code: 'too_big', origin: 'array', maximum: max, inclusive: true, message, input: value });
    return value;
  }, z.array(element).max(max, { message }));
  return checked as unknown as z.ZodPipe<z.ZodTransform<z.input<T>[], z.input<T>[]>, z.ZodArray<T>>;
}

// ---------------------------------------------------------------------------------------------
// Parsing

/**
 * A value built on its first use instead of when its module loads: the notifiers' and borg's option
 * schemas, which a job without them never needs (docs/performance.md, "CLI start-up").
 */
export function lazy<T>(build: () => T): () => T {
  let built: { readonly value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}

/**
 * A parse whose issues keep the value received (`reportInput`), for messages that say what was wrong,
 * without zod's compiled parser (`jitless`). zod compiles a parser per object schema (`new Function`)
 * the first time it parses with one: that pays back over many parses of a schema, but costs a schema
 * parsed a few times (a CLI run, the first pipelines of a process) 3–6 ms (docs/performance.md,
 * "Validation without zod's compiled parsers"). Set per parse, so a program's own zod keeps its settings.
 */
export const PARSE_ONCE = { reportInput: true, jitless: true } as const;
const PARSE_OFTEN = { reportInput: true } as const;

/** From this parse of a schema on, {@link parseOptions} lets zod compile its parser. */
const COMPILE_FROM_PARSE = 10;
const parseCounts = new WeakMap<z.ZodType, number>();

/**
 * Validates `input` against `schema` and returns what it parses to, or throws a {@link ConfigError}
 * (`Invalid <subject> (N problems): …`) listing every problem in the order it appears in the input.
 *
 * @example
 * ```ts
 * const options = parseOptions(createSchema, input, 'borgCreate options')
 * ```
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, subject: string): z.output<S> {
  const count = (parseCounts.get(schema) ?? 0) + 1;
  parseCounts.set(schema, count);
  const parsed = schema.safeParse(input, count >= COMPILE_FROM_PARSE ? PARSE_OFTEN : PARSE_ONCE);
  if (!parsed.success) throw new ConfigError(toConfigIssues(parsed.error.issues, schema, input), { subject });
  return parsed.data;
}

/**
 * Turns zod issues into {@link ConfigIssue}s that say what was expected and what was received.
 * One unknown key is one issue, with the key in its path and a "did you mean" taken from the keys
 * valid *at that place* in `schema`; a union reports the one branch the value was meant for; an
 * unknown discriminator names the accepted values. Issues come in the order their places appear in
 * `input` (zod reports unknown keys last); `basePath` is prepended to every path.
 */
export function toConfigIssues(
  issues: readonly z.core.$ZodIssue[],
  schema: z.ZodType,
  input: unknown,
  basePath: readonly PropertyKey[] = [],
): ConfigIssue[] {
  const located: ConfigIssue[] = [];
  const add = (code: ConfigIssueCode, path: readonly PropertyKey[], message: string): void => {
    located.push({ code, path, message });
  };
  const received = (at: readonly PropertyKey[]): string => `received ${describeValue(valueAt(input, at))}`;
  for (const issue of resolveUnions(issues)) {
    const path = [...issue.path];
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = keysAt(schema, input, issue.path);
        for (const key of issue.keys) {
          const hint = suggest(key, known);
          add('unknown_option', [...path, key], `unknown option "${key}"${hint === undefined ? '' : ` (did you mean "${hint}"?)`}`);
        }
        break;
      }
      case 'invalid_type':
        if (issue.input === undefined) add('required', path, `is required (expected ${issue.expected})`);
        else add('invalid_type', path, `expected ${issue.expected === 'int' ? 'a whole number' : issue.expected}, received ${describeValue(issue.input)}`);
        break;
      case 'invalid_union': {
        if ('note' in issue && issue.note === 'No matching discriminator') {
          located.push(discriminatorIssue(issue, path));
          break;
        }
        const value = valueAt(input, issue.path);
        const own = issue.message !== 'Invalid input';
        if (value === undefined) add('required', path, own ? `is required (${issue.message})` : 'is required');
        else add('invalid_type', path, own ? `${issue.message}, received ${describeValue(value)}` : `received ${describeValue(value)}, which matches none of the accepted forms`);
        break;
      }
      case 'invalid_key':
        // A map's key failed its check: say why, at the key.
        for (const inner of issue.issues) add('invalid_value', path, inner.message);
        break;
      case 'invalid_value': {
        // zod's own wording for an enum or literal ("Invalid option: expected one of "a"|"b"") in ours.
        if (!/^Invalid (option|input)\b/.test(issue.message)) {
          add('invalid_value', path, issue.message);
          break;
        }
        const choices = issue.values.map((value) => (typeof value === 'string' ? JSON.stringify(value) : String(value)));
        const expected = choices.length === 1 ? `expected ${choices[0] ?? ''}` : `expected one of ${choices.join(', ')}`;
        add('invalid_value', path, `${expected}, ${received(issue.path)}`);
        break;
      }
      case 'too_small':
      case 'too_big': {
        if (issue.origin !== 'number') {
          add('invalid_value', path, issue.message);
          break;
        }
        // What was expected, in our words where zod's are its own ("Too small: expected number to be >=1"), and what was received.
        const zods = /^Too (small|big)\b/.test(issue.message);
        const bound = issue.code === 'too_small' ? `${issue.inclusive === false ? '>' : '≥'} ${String(issue.minimum)}` : `${issue.inclusive === false ? '<' : '≤'} ${String(issue.maximum)}`;
        add('invalid_value', path, `${zods ? `expected a number ${bound}` : issue.message}, ${received(issue.path)}`);
        break;
      }
      default:
        add('invalid_value', path, issue.message);
    }
  }
  return prefixIssues(inInputOrder(located, input), basePath);
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
  if (received === undefined) return { code: 'required', path, message: `is required: one of ${accepted}` };
  const hint = typeof received === 'string' ? suggest(received, options) : undefined;
  return {
    code: 'invalid_value',
    path,
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

/** The input at `path`, reading hook lists given as JSON strings as the arrays they hold. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const segment of path) {
    value = parsedList(value);
    if (typeof value !== 'object' || value === null) return undefined;
    value = ownValue(value as Record<PropertyKey, unknown>, segment);
  }
  return value;
}

/** The last hook list {@link parsedList} parsed, until {@link inInputOrder} is done: every issue of a config asks for the same one. */
let lastList: { readonly text: string; readonly value: unknown } | undefined;

/** A hook list given as a JSON string: its issues' paths go into the parsed array. */
function parsedList(value: unknown): unknown {
  if (typeof value !== 'string' || !value.trimStart().startsWith('[')) return value;
  if (lastList?.text === value) return lastList.value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value) as unknown;
  } catch {
    parsed = undefined;
  }
  lastList = { text: value, value: parsed };
  return parsed;
}

/** Each object's keys by position, made once per ordering: every problem of a config asks for some. */
type KeyPositions = Map<object, ReadonlyMap<string, number>>;

function keyPosition(node: object, key: string, known: KeyPositions): number {
  let positions = known.get(node);
  if (positions === undefined) {
    positions = new Map(Object.keys(node).map((name, index) => [name, index]));
    known.set(node, positions);
  }
  return positions.get(key) ?? -1;
}

/** The keys an object schema accepts at `path`, following the input through arrays and unions. */
function keysAt(schema: z.ZodType, input: unknown, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType | undefined = schema;
  let value = parsedList(input);
  for (const segment of [...path, undefined]) {
    current = unwrap(current, value);
    if (current === undefined) return [];
    if (segment === undefined) break;
    if (current instanceof z.ZodObject) current = ownValue(current.shape as Record<string, z.ZodType>, String(segment));
    else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
    else if (current instanceof z.ZodRecord) current = current.valueType as z.ZodType;
    else return [];
    value = typeof value === 'object' && value !== null ? parsedList(ownValue(value as Record<PropertyKey, unknown>, segment)) : undefined;
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

/**
 * Returns `input` with every value at a {@link secret} field of `schema` replaced by what `resolve`
 * makes of it, when it is an object (`{ "env": "NAME" }`); `resolve` gets the value's path. The
 * input is never changed: objects and arrays on the way are copied.
 */
export function mapSecrets(schema: z.ZodType, input: unknown, resolve: (ref: object, path: readonly PropertyKey[]) => unknown, path: readonly PropertyKey[] = []): unknown {
  let current: z.ZodType | undefined = schema;
  for (let depth = 0; depth < 20 && current !== undefined; depth += 1) {
    if (isSecret(current)) return typeof input === 'object' && input !== null && !Array.isArray(input) ? resolve(input, path) : input;
    const inner = unwrapOnce(current, input);
    if (inner === current) break;
    current = inner;
  }
  if (typeof input !== 'object' || input === null || current === undefined) return input;
  if (Array.isArray(input)) {
    if (!(current instanceof z.ZodArray)) return input;
    const element = current.element as z.ZodType;
    return input.map((value, index) => mapSecrets(element, value, resolve, [...path, index]));
  }
  const entries = Object.entries(input);
  if (current instanceof z.ZodObject) {
    const shape = current.shape as Record<string, z.ZodType>;
    return Object.fromEntries(entries.map(([key, value]) => [key, Object.hasOwn(shape, key) ? mapSecrets(shape[key] as z.ZodType, value, resolve, [...path, key]) : value]));
  }
  if (current instanceof z.ZodRecord) {
    const valueType = current.valueType as z.ZodType;
    return Object.fromEntries(entries.map(([key, value]) => [key, mapSecrets(valueType, value, resolve, [...path, key])]));
  }
  return input;
}

function isStructural(schema: z.ZodType): boolean {
  return schema instanceof z.ZodObject || schema instanceof z.ZodArray || schema instanceof z.ZodRecord;
}

/**
 * Sees through optional/nullable/default wrappers and pipes (a pipe's structural side: the input of
 * `object.transform()`, the output of `preprocess` or `custom.pipe(record)`), and picks the union
 * member meant for `value`.
 */
function unwrap(schema: z.ZodType | undefined, value: unknown): z.ZodType | undefined {
  let current = schema;
  for (let depth = 0; depth < 20 && current !== undefined; depth += 1) {
    const inner = unwrapOnce(current, value);
    if (inner === current) return current;
    current = inner;
  }
  return current;
}

/** One step of {@link unwrap}: the schema inside `schema` meant for `value`, or `schema` itself at a leaf. */
function unwrapOnce(current: z.ZodType, value: unknown): z.ZodType | undefined {
  if (current instanceof z.ZodOptional || current instanceof z.ZodNullable || current instanceof z.ZodDefault) {
    return current.unwrap() as z.ZodType;
  }
  if (current instanceof z.ZodPipe) {
    const input = unwrap(current.in as z.ZodType, value);
    // `z.array(z.unknown()).pipe(z.array(element))`: the output side knows the elements.
    const vague = input instanceof z.ZodArray && !(input.element instanceof z.ZodObject) && !(input.element instanceof z.ZodPipe);
    if (input !== undefined && isStructural(input) && !vague) return input;
    return current.out as z.ZodType;
  }
  if (current instanceof z.ZodDiscriminatedUnion) {
    const key = current.def.discriminator;
    const tag = typeof value === 'object' && value !== null ? ownValue(value as Record<string, unknown>, key) : undefined;
    return (current.options as z.ZodType[]).find(
      (option) => option instanceof z.ZodObject && ownValue(option.shape as Record<string, z.ZodType>, key)?.safeParse(tag).success === true,
    );
  }
  if (current instanceof z.ZodUnion) {
    const options = current.options as z.ZodType[];
    return options.find((option) => {
      const inner = unwrap(option, value);
      return inner !== undefined && (Array.isArray(value) ? inner instanceof z.ZodArray : inner instanceof z.ZodObject || inner instanceof z.ZodRecord);
    });
  }
  return current;
}

/**
 * Where a path points in the input: the index of each key or element along the way. A key the input
 * lacks (a required option) ranks `missing`: last among its siblings by default.
 */
function positionIn(input: unknown, path: readonly PropertyKey[], missing: number, known: KeyPositions): number[] {
  const position: number[] = [];
  let node: unknown = input;
  for (const segment of path) {
    node = parsedList(node);
    if (Array.isArray(node) && typeof segment === 'number') {
      position.push(segment);
      node = node[segment];
    } else if (typeof node === 'object' && node !== null && typeof segment === 'string') {
      const index = keyPosition(node, segment, known);
      position.push(index === -1 ? missing : index);
      node = Object.hasOwn(node, segment) ? (node as Record<string, unknown>)[segment] : undefined;
    } else {
      position.push(typeof segment === 'number' ? segment : missing);
      node = undefined;
    }
  }
  return position;
}

/** Compares two {@link positionIn} results: earlier in the input first, a parent before its children. */
export function comparePositions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

/** Puts issues under `prefix`: a constructor's issues under the place its options came from in a file. */
export function prefixIssues(issues: readonly ConfigIssue[], prefix: readonly PropertyKey[]): ConfigIssue[] {
  return issues.map((issue) => ({ ...issue, path: [...prefix, ...issue.path] }));
}

/**
 * Sorts issues into the order their places appear in `input`; issues at one place keep their order.
 * `missingFirst`: a key the input lacks comes before its siblings (what a file's entry is missing
 * is said first).
 */
export function inInputOrder(issues: readonly ConfigIssue[], input: unknown, { missingFirst = false } = {}): ConfigIssue[] {
  const missing = missingFirst ? -1 : Number.MAX_SAFE_INTEGER;
  const known: KeyPositions = new Map();
  const ordered = issues
    .map((issue, order) => ({ issue, order, position: positionIn(input, issue.path, missing, known) }))
    .sort((a, b) => comparePositions(a.position, b.position) || a.order - b.order)
    .map(({ issue }) => issue);
  // The config's problems are said: its parsed hook list need not outlive them.
  lastList = undefined;
  return ordered;
}

// ---------------------------------------------------------------------------------------------
// Outcome options shared by hooks and tasks (docs/hooks.md#retries, #warning-exit-codes)

/** At most this many retries: a typo of `1000` should not keep a failing job going for days. */
export const MAX_RETRIES = 100;

/** `retries`: extra attempts after a failed one. */
export const retryCount = z.number().int().min(0).max(MAX_RETRIES, { message: `must be at most ${MAX_RETRIES}` });

/** `retryDelay`, `retryDelayMax`: 0 (no wait) or a duration, kept as written. */
export const retryDelay = durationOrZero('expected 0, seconds (a number > 0) or a duration string ("500ms", "90s", "5m", "1h")');

/** A delay written as {@link retryDelay} in milliseconds (0 stays 0). */
export function retryDelayToMs(value: Duration | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  return value === 0 ? 0 : (durationToMs(value) ?? fallbackMs);
}

/** The exit codes a hook may end with to say something (a warning, a skip). */
const EXIT_CODES = { min: 1, max: 255 } as const;

/** Whether `value` is one of those exit codes: what {@link exitCode} accepts. */
export function isExitCode(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= EXIT_CODES.min && (value as number) <= EXIT_CODES.max;
}

/** An exit code a hook may end with to say something (a warning, a skip): 1–255. */
export function exitCode(): z.ZodNumber {
  const message = `expected an exit code ${EXIT_CODES.min}–${EXIT_CODES.max}`;
  return z.number().int().min(EXIT_CODES.min, { message }).max(EXIT_CODES.max, { message });
}

/** `warningExitCodes`: exit codes (1–255) that end a task completed with a warning. */
export const exitCodeList = z.array(exitCode()).readonly();

/** The outcome options every hook and task takes, each described for the JSON Schema. */
export const outcomeShape = {
  retries: retryCount.optional().meta({ description: 'Extra attempts after a failed one (not after a cancellation). Default 0.' }),
  retryDelay: retryDelay.optional().meta({ description: 'The wait before the second attempt: 0, seconds or a duration string; it doubles for each attempt after, ±20 %. Default "10s".' }),
  retryDelayMax: retryDelay.optional().meta({ description: 'The longest wait between two attempts. Default "5m".' }),
  warningExitCodes: exitCodeList.optional().meta({ description: 'Exit codes that end the task completed with a warning instead of failed (as borg\'s exit 1).' }),
};
