import { open } from 'node:fs/promises';
import type { QueueingSink } from './plain.js';

/** The mode a log file is created with (less the umask): the owner writes, its group (a log shipper's) reads. */
export const LOG_FILE_MODE = 0o640;

/**
 * `--log-file PATH` (docs/observability.md, "A log file"): lines appended to PATH, which is opened
 * again for every batch of lines (`O_APPEND | O_CREAT`) and closed after it. So logrotate's default
 * rotation (move the file away, `create` a new one) needs no signal and no `copytruncate`: the lines
 * after the move go to a new file at PATH. Writes never wait on the job: lines queue while a write
 * is under way, and the plain view's bound ({@link QueueingSink}) drops lines past 1 MiB queued.
 * A failed write (a full disk) loses its lines, is said once through `onError`, and the next
 * batch is tried again.
 */
export class ReopeningLogFile implements QueueingSink {
  readonly #path: string;
  readonly #onError: (error: unknown) => void;
  #queued: string[] = [];
  #queuedBytes = 0;
  #writingBytes = 0;
  #writing: Promise<void> | undefined;
  #failed = false;
  /** The last write failed, perhaps after part of its text: the next one starts on a line of its own. */
  #torn = false;
  readonly #drainListeners = new Set<() => void>();

  constructor(path: string, onError: (error: unknown) => void) {
    this.#path = path;
    this.#onError = onError;
  }

  /** Bytes not yet written: what the bounded views read to decide when to drop lines. */
  get writableLength(): number {
    return this.#queuedBytes + this.#writingBytes;
  }

  write(text: string): boolean {
    this.#queued.push(text);
    this.#queuedBytes += Buffer.byteLength(text);
    this.#writing ??= this.#writeAll();
    return true;
  }

  once(_event: 'drain', listener: () => void): void {
    this.#drainListeners.add(listener);
  }

  off(_event: 'drain', listener: () => void): void {
    this.#drainListeners.delete(listener);
  }

  /** Resolves once every line written so far is in the file (or was lost to a failed write). */
  async settled(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
  }

  async #writeAll(): Promise<void> {
    while (this.#queued.length > 0) {
      const text = this.#queued.join('');
      this.#queued = [];
      this.#writingBytes = this.#queuedBytes;
      this.#queuedBytes = 0;
      try {
        await appendToFile(this.#path, this.#torn ? `\n${text}` : text);
        this.#torn = false;
      } catch (error) {
        if (!this.#failed) this.#onError(error);
        this.#failed = true;
        this.#torn = true;
      }
      this.#writingBytes = 0;
    }
    this.#writing = undefined;
    const listeners = [...this.#drainListeners];
    this.#drainListeners.clear();
    for (const listener of listeners) listener();
  }
}

/** Opens PATH for appending (creating it), writes, closes: the whole of the reopening. */
export async function appendToFile(path: string, text: string): Promise<void> {
  const handle = await open(path, 'a', LOG_FILE_MODE);
  try {
    // writeFile, not write: a full disk may take part of the text and refuse the rest, and one write
    // would take that for done, losing lines without a word (docs/observability.md).
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
}
