/**
 * Every default of jobhooks, in one table: the engine's, the notifiers', the executor's and the
 * borg tasks'. Every module reads its defaults here and nowhere else. Durations are in
 * milliseconds where the name says `Ms`; the borg task durations are as a user writes them.
 *
 * @example
 * ```ts
 * new WebhookNotifier({ url, timeout: (DEFAULTS.notifierTimeoutMs / 1000) * 2 })
 * DEFAULTS.pushover.sound.error // 'siren'
 * ```
 */
export const DEFAULTS = {
  /** A hook's or task's timeout: 300 s, as in the documented system. */
  timeoutMs: 300_000,
  /** The interpreter for string commands. */
  shell: process.platform === 'win32' ? 'cmd.exe' : '/bin/bash',
  /** Time between SIGTERM and SIGKILL. */
  killGraceMs: 10_000,
  /** The output tail kept per task. */
  maxOutputBytes: 64 * 1024,
  /** A notifier's timeout, retries included (a custom notifier without `timeout` gets it too). */
  notifierTimeoutMs: 30_000,
  /** Extra attempts of a built-in HTTP notifier after a network error, a 5xx or a 429. */
  notifierRetries: 2,
  /** Whether a built-in notifier shows the failed tasks, their errors and last output lines (docs/notifications.md). */
  notifierDetails: true,
  /** Extra attempts of a hook or task after a failed one (docs/hooks.md#retries). */
  retries: 0,
  /** The wait before the second attempt; it doubles for each one after, ±20 %. */
  retryDelayMs: 10_000,
  /** The longest wait between two attempts. */
  retryDelayMaxMs: 300_000,
  /** A pre-hook exiting with this asks to skip the job (EX_TEMPFAIL, as borgmatic; docs/hooks.md#skip-the-job). */
  skipExitCode: 75,
  jobType: 'manual',
  envPrefix: 'JOBHOOKS_',
  jobLabel: 'Backup',
  inheritEnv: true,
  /** Finished runs kept per journal key (docs/journal.md). */
  journalKeep: 100,
  /** ShellExecutor: how long to read what is left in the pipes after the main process exited. */
  drainMs: 100,
  /** The borg tasks (docs/borg.md). */
  borg: {
    /** How long a borg task may run when its options do not say. */
    timeout: '24h',
    /** The time borg gets between SIGTERM and SIGKILL when its options do not say. */
    killGrace: '10s',
    binary: 'borg',
    /** The archive name: borg expands the placeholders when it creates the archive. */
    archive: '{hostname}-{now:%Y-%m-%dT%H:%M:%S}',
  },
  /** NtfyNotifier: priorities as numbers, tags as emoji short codes. */
  ntfy: {
    url: 'https://ntfy.sh',
    priority: { info: 2, success: 3, warning: 4, error: 5 },
    tags: { info: ['information_source'], success: ['white_check_mark'], warning: ['warning'], error: ['rotating_light'] },
  },
  /** PushoverNotifier. */
  pushover: {
    baseUrl: 'https://api.pushover.net',
    // A nightly success at 3 a.m. should not buzz a phone: low priority shows it without a sound.
    priority: { info: -1, success: -1, warning: 0, error: 1 },
    sound: { info: undefined, success: undefined, warning: 'intermission', error: 'siren' },
  },
  /** TelegramNotifier. */
  telegram: { baseUrl: 'https://api.telegram.org', disableNotification: false },
} as const;
