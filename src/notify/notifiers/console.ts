import * as z from 'zod';
import type { Duration } from '../../duration.js';
import type { NotificationLevel, NotificationMessage, Notifier, NotifierContext } from '../../types.js';
import { formatDetails } from '../message.js';
import { notifierOptionsShape, resolveCommon, type NotifierOptions } from '../http.js';
import { lazy, parseOptions } from '../../validation.js';

/**
 * What a {@link ConsoleNotifier} writes to: any Node writable stream (`process.stderr`, a file stream),
 * or any object with the same `write(text, callback)`, such as a test's collector.
 */
export interface TextWritable {
  /** Takes the text; calls `callback` once it is written, with the error if it could not be. */
  write(text: string, callback: (error?: Error | null) => void): unknown;
}

/**
 * Options of {@link ConsoleNotifier}.
 *
 * @example
 * ```ts
 * const options: ConsoleNotifierOptions = { stream: process.stderr, on: ['warning', 'error'] }
 * ```
 */
export interface ConsoleNotifierOptions extends NotifierOptions {
  /**
   * Where to write the message.
   * @default process.stdout
   */
  readonly stream?: TextWritable | undefined;
}

/** The options {@link ConsoleNotifier} validates (the config file's `console` entries are derived from it). */
export const consoleNotifierOptionsSchema = lazy(() =>
  z.strictObject({
    ...notifierOptionsShape('console'),
    stream: z
      .custom<TextWritable>(
        (value) => typeof value === 'object' && value !== null && typeof (value as { write?: unknown }).write === 'function',
        { message: 'expected a writable stream (an object with a write() method)' },
      )
      .optional().meta({ description: 'Where the title and body are written. Default: standard output.' }),
  }),
);

/**
 * Writes the message to a stream: the title, a blank line, the body, then (unless `details: false`)
 * a blank line and the details: each task that failed or warned, its error and its last output lines.
 *
 * The one notifier that prints, and only to the stream you give it (standard output by default).
 * Resolves once the stream has taken the text; a stream error rejects.
 *
 * @example
 * ```ts
 * new JobPipeline({ tasks, notifiers: [new ConsoleNotifier({ stream: process.stderr })] })
 * // ✅ Backup Job Completed Successfully
 * //
 * // Backup job for 'nas' completed successfully. …
 * ```
 */
export class ConsoleNotifier implements Notifier {
  /** @default 'console' */
  readonly name: string;
  /** @default 30 */
  readonly timeout: Duration;
  /** @default ['success', 'warning', 'error'] */
  readonly on: readonly NotificationLevel[];
  /** @default true */
  readonly details: boolean;
  readonly #stream: TextWritable | undefined;

  constructor(options: ConsoleNotifierOptions = {}) {
    const parsed = parseOptions(consoleNotifierOptionsSchema(), options, 'ConsoleNotifier options');
    const common = resolveCommon(parsed);
    this.name = common.name;
    this.timeout = common.timeout;
    this.on = common.on;
    this.details = common.details;
    this.#stream = parsed.stream;
  }

  /** Writes `title`, a blank line and `body`, then a blank line and the details, each ending with a newline. */
  async notify(message: NotificationMessage, context: NotifierContext): Promise<void> {
    // Read at call time, not construction time, so a stdout replaced by a test runner is honoured.
    const stream = this.#stream ?? process.stdout;
    const text = consoleText(message, this.details);
    await new Promise<void>((resolve, reject) => {
      const { signal } = context;
      if (signal.aborted) {
        reject(new Error('timed out before writing'));
        return;
      }
      // A stream that is not drained (a paused pipe) must not hold the job past the timeout.
      const onAbort = (): void => reject(new Error('timed out waiting for the stream to take the message'));
      signal.addEventListener('abort', onAbort, { once: true });
      stream.write(text, (error) => {
        signal.removeEventListener('abort', onAbort);
        if (error === null || error === undefined) resolve();
        else reject(new Error(`could not write to the stream: ${error.message}`));
      });
    });
  }
}

/**
 * What a {@link ConsoleNotifier} writes: the title, a blank line, the body, and (with `details`) a
 * blank line and the details as text (docs/notifications.md).
 *
 * @example
 * ```ts
 * consoleText(message, true) // '❌ Backup Job Failed - Backup Error\n\n…\n\n❌ Create archive (backup): …\n'
 * ```
 */
export function consoleText(message: NotificationMessage, details: boolean): string {
  const lines = details ? formatDetails(message.details) : [];
  const tail = lines.length === 0 ? '' : `\n${lines.join('\n')}\n`;
  return `${message.title}\n\n${message.body}\n${tail}`;
}
