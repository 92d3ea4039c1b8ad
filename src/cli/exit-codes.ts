import type { JobStatus } from '../types.js';

/** The exit codes of the `jobhooks` binary. */
export const EXIT = {
  /** The job completed. */
  completed: 0,
  /** The job completed with warnings (a non-critical task failed, borg warned). */
  warnings: 1,
  /** The job failed: a critical task failed. */
  failed: 2,
  /** Invalid config or command line (sysexits' EX_USAGE); nothing ran. */
  usage: 64,
  /** A queue command without the optional `bullmq` package (sysexits' EX_UNAVAILABLE); nothing ran. */
  unavailable: 69,
  /** An unexpected error inside jobhooks: a bug (sysexits' EX_SOFTWARE). */
  internal: 70,
  /** `history`: the journal cannot be read (sysexits' EX_NOINPUT): a state directory of another user, or not a directory. */
  cantRead: 66,
  /** The journal cannot be written (sysexits' EX_CANTCREAT): the state directory is missing its permissions or its disk; nothing ran. */
  cantCreate: 73,
  /** The job is already running from this config file (sysexits' EX_TEMPFAIL: try again later); nothing ran. */
  alreadyRunning: 75,
  /** `enqueue`, `schedule`, `unschedule`: the queue server did not answer within `--server-timeout` (EX_TEMPFAIL: try again later). */
  unanswered: 75,
  /** Cancelled by SIGHUP: the terminal or ssh session went away (128 + 1). */
  sighup: 129,
  /** Cancelled by SIGINT (128 + 2, as shells report it). */
  sigint: 130,
  /** Cancelled by SIGQUIT (128 + 3), handled as SIGTERM: gracefully, no core dump. */
  sigquit: 131,
  /** Cancelled by SIGTERM (128 + 15). */
  sigterm: 143,
} as const;

/** The signals the CLI cancels on (docs/cli.md). */
export const CANCEL_SIGNALS = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM'] as const;

/** One of {@link CANCEL_SIGNALS}. */
export type CancelSignal = (typeof CANCEL_SIGNALS)[number];

/** The exit code for a job's final status; a cancelled job exits with the code of the signal that cancelled it, or 2 when `maxRunTime` did. */
export function exitCodeFor(status: JobStatus, cancelledBy: CancelSignal | undefined): number {
  switch (status) {
    case 'completed':
    case 'skipped':
      // A pre-hook asked to skip the job: not an outage (docs/hooks.md#skip-the-job).
      return EXIT.completed;
    case 'completed_with_warnings':
      return EXIT.warnings;
    case 'cancelled':
      // Without a signal, the job's own deadline (maxRunTime) cancelled it: it failed (docs/cli.md).
      return cancelledBy === undefined ? EXIT.failed : signalExitCode(cancelledBy);
    case 'failed':
    case 'interrupted':
      return EXIT.failed;
  }
}

/** 129 for SIGHUP, 130 for SIGINT, 131 for SIGQUIT, 143 for SIGTERM. */
export function signalExitCode(signal: CancelSignal): number {
  switch (signal) {
    case 'SIGHUP':
      return EXIT.sighup;
    case 'SIGINT':
      return EXIT.sigint;
    case 'SIGQUIT':
      return EXIT.sigquit;
    case 'SIGTERM':
      return EXIT.sigterm;
  }
}
