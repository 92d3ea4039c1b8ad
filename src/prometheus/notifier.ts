import { randomBytes } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import * as z from 'zod';
import { ALL_NOTIFICATION_LEVELS, HttpNotifier, httpNotifierOptionsShape, httpUrlSchema, resolveCommon, urlSecrets, type HttpNotifierOptions } from '../notify/http.js';
import type { JobResult, NotificationMessage, NotifierContext } from '../types.js';
import { lazy, parseOptions, secret } from '../validation.js';
import { formatExposition, readSample } from './exposition.js';
import { isSuccess, jobMetrics, LAST_SUCCESS, repositoryLabel } from './metrics.js';

/**
 * Options of {@link PrometheusNotifier}: `textfile` or `pushgateway`, exactly one.
 *
 * @example
 * ```ts
 * const options: PrometheusNotifierOptions = { textfile: '/var/lib/prometheus/node-exporter/backup-nas.prom' }
 * ```
 */
export interface PrometheusNotifierOptions extends Omit<HttpNotifierOptions, 'details'> {
  /**
   * The `.prom` file node_exporter's textfile collector reads (in its `--collector.textfile.directory`),
   * replaced atomically after every run.
   */
  readonly textfile?: string | undefined;
  /** The Pushgateway's URL (`http://pushgateway:9091`, a path prefix is kept); `user:password@` is sent as Basic authentication. */
  readonly pushgateway?: string | undefined;
  /**
   * The `job_name` label, and with a Pushgateway the `job` of the grouping key (with `instance` and,
   * when the job has one, `repository`): give each job its own.
   * @default the textfile's name without `.prom`; with a Pushgateway, `'jobhooks'`
   */
  readonly job?: string | undefined;
  /**
   * With a Pushgateway: the `instance` of the grouping key.
   * @default the host's name (`os.hostname()`)
   */
  readonly instance?: string | undefined;
}

/** The options {@link PrometheusNotifier} validates (the config file's `prometheus` entries are derived from it). */
export const prometheusNotifierOptionsSchema = lazy(() => {
  // Every run, a skipped one included: the metrics say how the last run ended (docs/observability.md).
  const { details: _details, ...commonShape } = httpNotifierOptionsShape('prometheus', ALL_NOTIFICATION_LEVELS);
  const label = z.string().trim().min(1, 'must not be empty');
  return z
    .strictObject({
      ...commonShape,
      textfile: z
        .string()
        .refine((path) => path.endsWith('.prom') && basename(path) !== '.prom', {
          message: 'expected the path of a file ending in .prom (node_exporter reads only those)',
        })
        .optional()
        .meta({ description: "The .prom file node_exporter's textfile collector reads; written atomically (temp file + rename)." }),
      pushgateway: secret(httpUrlSchema())
        .optional()
        .meta({ description: 'The Pushgateway URL (http://pushgateway:9091); user:password@ is sent as Basic authentication.' }),
      job: label.optional().meta({ description: "The job_name label (and the Pushgateway's job). Default: the textfile's name without .prom, or jobhooks." }),
      instance: label.optional().meta({ description: "With a Pushgateway: the grouping key's instance. Default: this host's name." }),
    })
    .superRefine((options, context) => {
      // The metrics say how the last run ended: a run left out leaves the one before it, and the alerts on it.
      const missing = ALL_NOTIFICATION_LEVELS.filter((level) => !options.on.includes(level));
      if (missing.length > 0) {
        context.addIssue({
          code: 'custom',
          path: ['on'],
          message: `the prometheus notifier records every run: leave "on" out (without ${missing.map((level) => `"${level}"`).join(', ')}, those runs would leave the metrics of the run before)`,
        });
      }
      if (options.textfile === undefined && options.pushgateway === undefined) {
        context.addIssue({ code: 'custom', path: [], message: 'give textfile (a .prom file for node_exporter) or pushgateway (a Pushgateway URL)' });
      } else if (options.textfile !== undefined && options.pushgateway !== undefined) {
        context.addIssue({ code: 'custom', path: ['pushgateway'], message: 'give textfile or pushgateway, not both: use two notifiers for both' });
      }
    });
});

type Target =
  | { readonly kind: 'textfile'; readonly path: string }
  | { readonly kind: 'pushgateway'; readonly url: URL; readonly instance: string | undefined };

/**
 * Reports each run to Prometheus as gauges (docs/observability.md): when it last ran and last
 * succeeded, how long it took, how it and each task ended, each task's attempts, and borg's archive
 * sizes. Either writes node_exporter's textfile collector file (a temporary file in the same
 * directory renamed over it, so node_exporter never reads half a file) or pushes to a Pushgateway
 * with the shared HTTP delivery (retries, timeouts, token-free errors, docs/notifications.md).
 *
 * A run that did not succeed keeps `jobhooks_last_success_timestamp_seconds` from the run before:
 * read from the previous file; with a Pushgateway it is a `POST` without that metric, which replaces
 * the group's other metrics and leaves it as it was (a success is a `PUT` of the whole group).
 * Runs recovered after jobhooks died (docs/journal.md) are reported the same way, as `interrupted`.
 *
 * @example
 * ```ts
 * new PrometheusNotifier({ textfile: '/var/lib/prometheus/node-exporter/backup-nas.prom' })
 * new PrometheusNotifier({ pushgateway: 'http://pushgateway:9091', job: 'backup-nas' })
 * ```
 */
export class PrometheusNotifier extends HttpNotifier {
  /** The Pushgateway URL and its credentials, if any. */
  override readonly secrets: readonly string[];
  readonly #target: Target;
  readonly #job: string;

  constructor(options: PrometheusNotifierOptions) {
    const parsed = parseOptions(prometheusNotifierOptionsSchema(), options, 'PrometheusNotifier options');
    super(resolveCommon({ ...parsed, details: false }), parsed.retries);
    if (parsed.pushgateway !== undefined) {
      this.#target = { kind: 'pushgateway', url: parsed.pushgateway, instance: parsed.instance };
      this.#job = parsed.job ?? 'jobhooks';
      this.secrets = Object.freeze(urlSecrets(parsed.pushgateway));
    } else {
      const path = parsed.textfile ?? '';
      this.#target = { kind: 'textfile', path };
      this.#job = parsed.job ?? basename(path).slice(0, -'.prom'.length);
      this.secrets = Object.freeze([]);
    }
  }

  /** Writes the textfile or pushes to the Pushgateway; rejects when that fails. */
  override async notify(_message: NotificationMessage, { result, signal }: NotifierContext): Promise<void> {
    const now = new Date();
    if (this.#target.kind === 'textfile') {
      await this.#writeTextfile(this.#target.path, result, now, signal);
    } else {
      await this.#push(this.#target.url, this.#target.instance ?? hostname(), result, now, signal);
    }
  }

  async #writeTextfile(path: string, result: JobResult, now: Date, signal: AbortSignal): Promise<void> {
    let previousSuccessSeconds: number | undefined;
    if (!isSuccess(result.status)) {
      const previous = await readFile(path, { encoding: 'utf8', signal }).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
        throw error;
      });
      previousSuccessSeconds = readSample(previous, LAST_SUCCESS, { job_name: this.#job, repository: repositoryLabel(result) });
    }
    const text = formatExposition(jobMetrics(result, { jobName: this.#job, now, previousSuccessSeconds }));
    // Same directory, so the rename is atomic; not ending in .prom, so node_exporter never reads it.
    const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await writeFile(temporary, text, { encoding: 'utf8', mode: 0o644, signal });
      await rename(temporary, path);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      // The OS's message names no path for a failed write (ENOSPC): say which file, keep its code.
      const { code, message } = error as NodeJS.ErrnoException;
      throw Object.assign(new Error(`cannot write ${path}: ${message}`, { cause: error }), { code });
    }
  }

  async #push(base: URL, instance: string, result: JobResult, now: Date, signal: AbortSignal): Promise<void> {
    const succeeded = isSuccess(result.status);
    const url = new URL(base);
    // The repository is part of the group: two jobs of a host pushing under one `job` (the default)
    // would otherwise replace each other's metrics, and one's alerts would watch the other's runs.
    const repository = repositoryLabel(result);
    const group = [groupingPart('job', this.#job), groupingPart('instance', instance), ...(repository === '' ? [] : [groupingPart('repository', repository)])];
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/metrics/${group.join('/')}`;
    const body = formatExposition(jobMetrics(result, { jobName: this.#job, now, previousSuccessSeconds: undefined, omitKeptSuccess: !succeeded }));
    await this.send(
      { method: succeeded ? 'PUT' : 'POST', url, headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'user-agent': 'jobhooks' }, body },
      // The Pushgateway answers errors in one line of text: "pushed metrics are invalid or inconsistent …".
      { signal, describeErrorBody: (text) => text.trim().split('\n')[0] || undefined },
    );
  }
}

/**
 * One `<label>/<value>` of a Pushgateway grouping key; a value a URL path cannot carry as it is (empty,
 * with a `/`, or a dot-segment, `.` or `..`, which URL resolution removes) in the base64url form the
 * Pushgateway documents (`<label>@base64/<value>`).
 */
function groupingPart(name: string, value: string): string {
  if (value !== '' && value !== '.' && value !== '..' && !value.includes('/')) return `${name}/${encodeURIComponent(value)}`;
  const encoded = Buffer.from(value, 'utf8').toString('base64url');
  return `${name}@base64/${encoded === '' ? '=' : encoded}`;
}
