import type { NotificationDetail } from '../types.js';
import { lastUtf8Bytes } from '../utf8.js';

/*
 * Fitting a message's details into a provider's size limit (docs/notifications.md, "What a failure
 * alert shows"): the title and body are never cut for them; every task shown keeps its name, kind
 * and error; outputs are cut keeping their END (where the error is), sharing the room fairly; tasks
 * that do not fit even without output are left out from the end and counted.
 */

/** How a provider counts the size of text, and how to keep the end of a text within a size. */
export interface SizeMeasure {
  size(text: string): number;
  /** The longest end of `text` whose size is at most `max`, never splitting a character. */
  keepEnd(text: string, max: number): string;
}

/** Unicode code points: Discord, Pushover. */
export const CODE_POINTS: SizeMeasure = {
  size: (text) => {
    let count = 0;
    for (const _ of text) count += 1;
    return count;
  },
  keepEnd: (text, max) => (max <= 0 ? '' : Array.from(text).slice(-max).join('')),
};

/** UTF-16 code units: Telegram counts a message's length this way. */
export const UTF16_UNITS: SizeMeasure = {
  size: (text) => text.length,
  keepEnd: (text, max) => {
    if (max <= 0) return '';
    if (text.length <= max) return text;
    let start = text.length - max;
    // Never start on the second half of a surrogate pair.
    const code = text.charCodeAt(start);
    if (code >= 0xdc00 && code <= 0xdfff) start += 1;
    return text.slice(start);
  },
};

/** UTF-8 bytes: ntfy's message limit. */
export const UTF8_BYTES: SizeMeasure = {
  size: (text) => Buffer.byteLength(text),
  keepEnd: (text, max) => (max <= 0 ? '' : lastUtf8Bytes(text, max)),
};

/** One task as shown: its output possibly cut to its end. */
export interface FittedDetail {
  readonly detail: NotificationDetail;
  /** The end of `detail.output` that is shown (all of it when `outputCut` is false). */
  readonly output: string;
  /** Some of the output is left out. */
  readonly outputCut: boolean;
}

/** The tasks shown, and how many more were left out for lack of room. */
export interface FittedDetails {
  readonly shown: readonly FittedDetail[];
  readonly omitted: number;
}

/** Cuts `text` to at most `max` characters (code points), ending with `…` when cut. @internal */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * How much of a task's error an alert with a size limit shows, in characters: every error jobhooks
 * writes fits, and so does the start of a long thrown one, while the task's heading still fits the
 * smallest limit (Pushover's 1,024) beside the body. @internal
 */
export const DETAIL_REASON_MAX = 500;

/** The line that says an output was cut, shown where the left-out lines were. */
export const OUTPUT_CUT_MARKER = '[… earlier output cut …]';

/** The output as shown: after {@link OUTPUT_CUT_MARKER} on a line of its own when it was cut. */
export function shownOutput({ output, outputCut }: FittedDetail): string {
  if (!outputCut) return output;
  return output === '' ? OUTPUT_CUT_MARKER : `${OUTPUT_CUT_MARKER}\n${output}`;
}

/** `… and 3 more tasks`: the line for tasks left out. */
export function omittedLine(count: number): string {
  return `… and ${count} more task${count === 1 ? '' : 's'}`;
}

/** `pre-hook`, `post-hook`, or the task's type (`backup`). */
export function detailKind(detail: Pick<NotificationDetail, 'phase' | 'type'>): string {
  return detail.type === 'hook' ? `${detail.phase}-hook` : detail.type;
}

/** The error, else what the exit code says. */
export function detailReason(detail: Pick<NotificationDetail, 'status' | 'error' | 'exitCode'>): string {
  if (detail.error !== null && detail.error !== '') return detail.error;
  if (detail.status === 'completed') return detail.exitCode === null ? 'completed with warnings' : `completed with warnings (exit code ${detail.exitCode})`;
  return detail.exitCode === null ? 'failed' : `exited with code ${detail.exitCode}`;
}

/** `❌` for a failed task, `⚠️` for one completed with warnings. */
export function detailIcon(detail: Pick<NotificationDetail, 'status'>): string {
  return detail.status === 'failed' ? '❌' : '⚠️';
}

/** Every detail, uncut. */
export function allDetails(details: readonly NotificationDetail[]): FittedDetails {
  return { shown: details.map((detail) => ({ detail, output: detail.output, outputCut: false })), omitted: 0 };
}

/**
 * Fits details into `budget` units of `measure`, as `render` shows them. `render` must be
 * monotonic: less output or fewer tasks never makes it longer. `maxShown` caps the tasks shown
 * (Discord's 25 fields, one of which then says how many more there are).
 */
export function fitDetails(
  items: readonly FittedDetail[] | FittedDetails,
  budget: number,
  render: (fitted: FittedDetails) => string,
  measure: SizeMeasure,
  maxShown = Number.POSITIVE_INFINITY,
): FittedDetails {
  const given = 'shown' in items ? items : { shown: items, omitted: 0 };
  const fits = (fitted: FittedDetails): boolean => measure.size(render(fitted)) <= budget;
  const total = given.shown.length + given.omitted;
  const firstCount = given.shown.length <= maxShown ? given.shown.length : maxShown - 1;
  const full: FittedDetails = { shown: given.shown.slice(0, firstCount), omitted: total - firstCount };
  if (fits(full)) return full;

  // Headings only: drop tasks from the end until they fit.
  const bare = (item: FittedDetail): FittedDetail => ({ ...item, output: '', outputCut: item.outputCut || item.output !== '' });
  let count = firstCount;
  let headings: FittedDetails = { shown: full.shown.map(bare), omitted: full.omitted };
  while (!fits(headings)) {
    if (count === 0) return { shown: [], omitted: 0 };
    count -= 1;
    headings = { shown: headings.shown.slice(0, count), omitted: total - count };
  }
  const shown = given.shown.slice(0, count);
  const sizes = shown.map((item) => measure.size(item.output));
  let spare = budget - measure.size(render(headings));
  for (;;) {
    const shares = waterFill(sizes, spare);
    const fitted: FittedDetails = {
      shown: shown.map((item, index) => {
        const share = shares[index] ?? 0;
        const size = sizes[index] ?? 0;
        return share >= size ? item : { ...item, output: measure.keepEnd(item.output, share), outputCut: true };
      }),
      omitted: headings.omitted,
    };
    const over = measure.size(render(fitted)) - budget;
    if (over <= 0) return fitted;
    spare -= over;
    if (spare <= 0) return headings;
  }
}

/** Splits `room` among items of the given sizes: small ones get all they need, the rest share equally. */
function waterFill(sizes: readonly number[], room: number): number[] {
  const shares = sizes.map(() => 0);
  let left = Math.max(0, room);
  const order = sizes.map((size, index) => ({ size, index })).sort((a, b) => a.size - b.size);
  for (let position = 0; position < order.length; position += 1) {
    const entry = order[position];
    if (entry === undefined) break;
    const fair = Math.floor(left / (order.length - position));
    const share = Math.min(entry.size, fair);
    shares[entry.index] = share;
    left -= share;
  }
  return shares;
}

/**
 * `❌ Create archive (backup): Task 'Create archive' exited with code 2`; the error cut to
 * `reasonMax` characters.
 */
export function detailHeading(detail: NotificationDetail, reasonMax = Number.POSITIVE_INFINITY): string {
  return `${detailIcon(detail)} ${detail.name} (${detailKind(detail)}): ${truncate(detailReason(detail), reasonMax)}`;
}

/**
 * The details as plain-text lines: a heading per task (its error cut to `reasonMax` characters), its
 * output lines indented four spaces, a marker where output was cut, and a last line for tasks left out.
 */
export function detailsLines(fitted: FittedDetails, reasonMax = Number.POSITIVE_INFINITY): string[] {
  const lines: string[] = [];
  for (const item of fitted.shown) {
    lines.push(detailHeading(item.detail, reasonMax));
    const output = shownOutput(item);
    if (output !== '') for (const line of output.split('\n')) lines.push(`    ${line}`);
  }
  if (fitted.omitted > 0) lines.push(omittedLine(fitted.omitted));
  return lines;
}

/**
 * The body followed, after a blank line, by the details as text, within `max` units of `measure`:
 * the body is kept whole (cut only if it alone is longer than `max`, by `cutBody`), the details are
 * fitted into what is left, each error cut to {@link DETAIL_REASON_MAX} so that a long one cannot
 * crowd its task out. Used by ntfy and Pushover.
 */
export function bodyWithDetails(
  body: string,
  details: readonly NotificationDetail[],
  max: number,
  measure: SizeMeasure,
  cutBody: (body: string, max: number) => string,
): string {
  const head = measure.size(body) <= max ? body : cutBody(body, max);
  if (details.length === 0) return head;
  const separator = '\n\n';
  const render = (fitted: FittedDetails): string => detailsLines(fitted, DETAIL_REASON_MAX).join('\n');
  const fitted = fitDetails(allDetails(details), max - measure.size(head) - measure.size(separator), render, measure);
  const text = render(fitted);
  return text === '' ? head : `${head}${separator}${text}`;
}
