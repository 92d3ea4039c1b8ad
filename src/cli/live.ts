import type { JobEvents } from '../events.js';
import { flowOutcome, formatDuration, type FlowJob } from '../format.js';
import { labelTasks } from '../pipeline/plan.js';
import type { JobResult, TaskResult } from '../types.js';
import { nextProgress, progressText, type ProgressView } from './progress.js';
import { recoveredText, retryLine, subscribe, summaryText, type EventSource, type RunEnd, type RunView, type TextSink } from './view.js';

/** What the live view knows about the job, built from its events. */
export interface LiveState {
  readonly jobId: string;
  readonly tasks: readonly TaskResult[];
  /** The plan's flow label of each task, by position (`Pre-Hook 1 (Database Dump)`). */
  readonly labels: readonly string[];
  readonly progress: ReadonlyMap<number, ProgressView>;
  /** The last output line of each task. */
  readonly lastLine: ReadonlyMap<number, string>;
}

/** The state before `jobStart`. */
export const EMPTY_LIVE_STATE: LiveState = { jobId: '', tasks: [], labels: [], progress: new Map(), lastLine: new Map() };

type LiveEvent = { [E in keyof JobEvents]: { readonly name: E; readonly payload: JobEvents[E][0] } }[keyof JobEvents];

/** Folds one event into the state (a new state; the old one is not changed). */
export function applyEvent(state: LiveState, event: LiveEvent, nowMs: number): LiveState {
  switch (event.name) {
    case 'jobStart':
      return { jobId: event.payload.jobId, tasks: [...event.payload.tasks], labels: labelTasks(event.payload.tasks), progress: new Map(), lastLine: new Map() };
    case 'taskStart':
    case 'taskEnd': {
      const { task } = event.payload;
      return { ...state, tasks: state.tasks.map((other) => (other.index === task.index ? task : other)) };
    }
    case 'taskOutput': {
      const lastLine = new Map(state.lastLine);
      lastLine.set(event.payload.taskIndex, event.payload.line);
      return { ...state, lastLine };
    }
    case 'taskProgress': {
      const progress = new Map(state.progress);
      progress.set(event.payload.taskIndex, nextProgress(state.progress.get(event.payload.taskIndex), event.payload, nowMs));
      return { ...state, progress };
    }
    default:
      return state;
  }
}

/** Braille spinner frames, one per 100 ms. */
export const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'] as const;

const LABEL_WIDTH = 34; // as in formatFlow, so the live view and the final flow line up alike
const DIM = '\u001B[2m';
const RESET = '\u001B[0m';

/**
 * The lines of one frame of the live view: the flow of docs/execution-flow.md#the-four-documented-flows
 * as it stands, with a spinner, the elapsed time and the progress (percent, bytes and throughput) on
 * the running task, and its last output line under it. Each line fits in `columns`.
 *
 * @example
 * ```ts
 * renderFrame(state, Date.now(), process.stdout.columns)
 * // ['1. Pre-Hook 1 (Database Dump)         → ✅ Success',
 * //  '2. Backup Task                        → ⠹ Running 1m 05s · 12.4 GiB read · 187 MiB/s', …]
 * ```
 */
export function renderFrame(state: LiveState, nowMs: number, columns: number): string[] {
  const spinner = SPINNER[Math.floor(nowMs / 100) % SPINNER.length] ?? SPINNER[0];
  // While the job runs there is no failure to show "Run on Failure" against: only the tasks matter.
  const snapshot: FlowJob = { tasks: state.tasks, failure: null };
  const lines: string[] = [];
  for (const [position, task] of state.tasks.entries()) {
    const label = `${task.index + 1}. ${(state.labels[position] ?? '').padEnd(LABEL_WIDTH)} → `;
    if (task.status !== 'running') {
      lines.push(fit(label + flowOutcome(task, snapshot), columns));
      continue;
    }
    const startedMs = task.startedAt === null ? nowMs : Date.parse(task.startedAt);
    const progress = progressText(state.progress.get(task.index));
    lines.push(fit(`${label}${spinner} Running ${formatElapsed(nowMs - startedMs)}${progress === '' ? '' : ` · ${progress}`}`, columns));
    const last = state.lastLine.get(task.index);
    if (last !== undefined && last.trim() !== '') lines.push(`${DIM}${fit(`     ${stripControls(last)}`, columns)}${RESET}`);
  }
  return lines;
}

/** `4s`, `1m 05s`, `1h 02m`: whole seconds while running, so the spinner line does not flicker. */
export function formatElapsed(ms: number): string {
  return ms < 60_000 ? `${Math.max(0, Math.floor(ms / 1000))}s` : formatDuration(ms);
}

/** Output may hold escape sequences and tabs that would break the frame's line count. */
function stripControls(text: string): string {
  return text.replace(/\u001B\[[0-?]*[ -/]*[@-~]/g, '').replace(/[\u0000-\u001F\u007F]/g, ' ');
}

/**
 * Cuts a line to the terminal's width, so that no line wraps (a wrapped line would throw off the
 * cursor movement). Widths are estimated on the wide side: emoji and East Asian text count 2.
 */
export function fit(line: string, columns: number): string {
  const limit = Math.max(10, columns - 1);
  let width = 0;
  let end = 0;
  for (const char of line) {
    const w = charWidth(char.codePointAt(0) ?? 0);
    if (width + w > limit) return `${line.slice(0, end)}…`;
    width += w;
    end += char.length;
  }
  return line;
}

function charWidth(code: number): number {
  if (code === 0xfe0f || code === 0x200d || (code >= 0x300 && code <= 0x36f)) return 0;
  if (code >= 0x2300 && code <= 0x2bff) return 2; // ⏭ ⏸ ✅ ❌ ⚠ and friends
  if (code >= 0x2e80 && code <= 0xa4cf) return 2;
  if (code >= 0xac00 && code <= 0xd7a3) return 2;
  if (code >= 0xf900 && code <= 0xfaff) return 2;
  if (code >= 0xff00 && code <= 0xff60) return 2;
  if (code >= 0x1f000) return 2;
  return 1;
}

/** A terminal: text, and how wide it is. */
export interface Terminal extends TextSink {
  readonly columns?: number | undefined;
}

/** How often the frame is redrawn (at most), and how fast the spinner turns. */
export const FRAME_INTERVAL_MS = 100;

/**
 * On a terminal: the flow drawn live and updated in place (ANSI cursor movement), redrawn at most
 * every 100 ms; then the final flow and the notification text.
 */
export class LiveView implements RunView {
  readonly #out: Terminal;
  readonly #err: TextSink;
  readonly #now: () => number;
  #state: LiveState = EMPTY_LIVE_STATE;
  #drawnLines = 0;
  #dirty = false;
  #timer: NodeJS.Timeout | undefined;
  #detach: (() => void) | undefined;
  #cursorHidden = false;
  /** A console notifier printed since the last recovered run was said (its message, then, is not said again). */
  #consolePrinted = false;

  constructor(out: Terminal, err: TextSink, now: () => number = Date.now) {
    this.#out = out;
    this.#err = err;
    this.#now = now;
  }

  attach(pipeline: EventSource): void {
    const on =
      <E extends keyof JobEvents>(name: E) =>
      (payload: JobEvents[E][0]): void => {
        this.#state = applyEvent(this.#state, { name, payload } as LiveEvent, this.#now());
        this.#dirty = true;
        // The first frame and each task's start are drawn at once; the rest waits for the tick.
        if (name === 'jobStart' || name === 'taskStart') this.draw();
      };
    this.#detach = subscribe(pipeline, {
      jobRecovered: ({ result }) => {
        const text = recoveredText(result, this.#consolePrinted);
        this.#consolePrinted = false;
        if (text !== '') this.#print(text);
      },
      jobStart: on('jobStart'),
      taskStart: on('taskStart'),
      taskOutput: on('taskOutput'),
      taskProgress: on('taskProgress'),
      taskEnd: on('taskEnd'),
      taskRetry: (retry) => this.#print(`${retryLine(this.#state.tasks.find((task) => task.index === retry.taskIndex)?.name ?? `task ${retry.taskIndex + 1}`, retry)}\n`),
      journalWarning: ({ message }) => this.notice(message),
    });
    this.#out.write('\u001B[?25l');
    this.#cursorHidden = true;
    this.#timer = setInterval(() => {
      if (this.#dirty || this.#state.tasks.some((task) => task.status === 'running')) this.draw();
    }, FRAME_INTERVAL_MS);
    this.#timer.unref();
  }

  /** Draws the current frame over the previous one. */
  draw(): void {
    const lines = renderFrame(this.#state, this.#now(), this.#out.columns !== undefined && this.#out.columns > 0 ? this.#out.columns : 80);
    this.#out.write(this.#erase() + lines.map((line) => `${line}\n`).join(''));
    this.#drawnLines = lines.length;
    this.#dirty = false;
  }

  notice(text: string): void {
    this.#out.write(this.#erase());
    this.#drawnLines = 0;
    this.#err.write(`${text}\n`);
    this.draw();
  }

  configWarnings(text: string): void {
    this.#err.write(text);
  }

  consoleText(text: string): void {
    // Before the job's first frame, what a console notifier prints is a recovery's message.
    this.#consolePrinted = true;
    this.#print(text);
  }

  /** Text above the frame: the frame is erased, the text written, the frame drawn again below it. */
  #print(text: string): void {
    this.#out.write(this.#erase());
    this.#drawnLines = 0;
    this.#out.write(text);
    this.draw();
  }

  finish(result: JobResult, end: RunEnd): void {
    this.#stop();
    this.#out.write(this.#erase());
    this.#drawnLines = 0;
    this.#out.write(summaryText(result, end));
    this.#showCursor();
  }

  close(): void {
    this.#stop();
    this.#showCursor();
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#detach?.();
    this.#detach = undefined;
  }

  #showCursor(): void {
    if (!this.#cursorHidden) return;
    this.#out.write('\u001B[?25h');
    this.#cursorHidden = false;
  }

  /** Back to the first line of the last frame, and clear from there down. */
  #erase(): string {
    return this.#drawnLines === 0 ? '' : `\r\u001B[${this.#drawnLines}A\u001B[J`;
  }
}
