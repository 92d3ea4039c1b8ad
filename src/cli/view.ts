import type { JobEvents } from '../events.js';
import { formatFlow } from '../format.js';
import { buildNotification } from '../notify/message.js';
import type { JobResult } from '../types.js';

/** Anything text can be written to: `process.stdout`, a test's collector. */
export interface TextSink {
  write(text: string): unknown;
}

/** Anything with the pipeline's `on()` and `off()`. */
export interface EventSource {
  on<E extends keyof JobEvents>(event: E, listener: (...args: JobEvents[E]) => void): unknown;
  off<E extends keyof JobEvents>(event: E, listener: (...args: JobEvents[E]) => void): unknown;
}

/** How `jobhooks run` shows a job: live on a terminal, as plain lines, quietly, or as JSON. */
export interface RunView {
  /** Starts following the pipeline's events. */
  attach(pipeline: EventSource): void;
  /** A message from the CLI itself (a signal was received). */
  notice(text: string): void;
  /** What a `console` notifier prints. */
  consoleText(text: string): void;
  /** Shows the outcome; `notificationPrinted`: a console notifier already printed the message. */
  finish(result: JobResult, notificationPrinted: boolean): void;
  /** Stops following events and gives the terminal back as it was; safe to call more than once. */
  close(): void;
}

/** The end of a run as people read it: the flow, then the notification's title and body. */
export function summaryText(result: JobResult, notificationPrinted: boolean): string {
  const flow = formatFlow(result);
  if (notificationPrinted) return `${flow}\n`;
  const message = result.notification ?? buildNotification(result);
  return `${flow}\n\n${message.title}\n\n${message.body}\n`;
}

/** Listeners by event name. */
export type Listeners = { readonly [E in keyof JobEvents]?: (...args: JobEvents[E]) => void };

/** Adds the listeners; returns the function that removes them again. */
export function subscribe(source: EventSource, listeners: Listeners): () => void {
  const entries = Object.entries(listeners) as [keyof JobEvents, (...args: never[]) => void][];
  for (const [event, listener] of entries) source.on(event, listener as never);
  return () => {
    for (const [event, listener] of entries) source.off(event, listener as never);
  };
}
