import type { JobResult, JobStatus, JsonValue, TaskResult, TaskStatus } from '../types.js';
import type { MetricFamily, Sample } from './exposition.js';
import { taskAttempts } from '../task-attempts.js';

/*
 * A JobResult as Prometheus gauges (docs/observability.md#the-metrics). Base units (seconds, bytes),
 * units as suffixes, every series labelled with the job (`job_name`, `repository`).
 */

/** The metric a failed run keeps from the run before (the previous file, or the Pushgateway's group). */
export const LAST_SUCCESS = 'jobhooks_last_success_timestamp_seconds';

/**
 * Every status a job can end with, one `jobhooks_job_status` series each. A `Record` so that a status
 * added to `JobStatus` fails to compile here until it has its series.
 */
const JOB_STATUS_SERIES: Readonly<Record<JobStatus, true>> = {
  completed: true,
  completed_with_warnings: true,
  failed: true,
  cancelled: true,
  interrupted: true,
  // A skipped job made no backup: it does not move the last success (docs/observability.md).
  skipped: true,
};
const JOB_STATUSES = Object.keys(JOB_STATUS_SERIES) as JobStatus[];

/** How a task can end (`pending` and `running` are not endings). */
const TASK_STATUS_SERIES: Readonly<Record<Exclude<TaskStatus, 'pending' | 'running'>, true>> = {
  completed: true,
  failed: true,
  skipped: true,
};
const TASK_STATUSES = Object.keys(TASK_STATUS_SERIES) as TaskStatus[];

/**
 * Statuses that count as a success for `jobhooks_last_success_timestamp_seconds`: with warnings the
 * job ran and its backups exist (as Healthchecks counts it, docs/notifications.md).
 */
export function isSuccess(status: JobStatus): boolean {
  return status === 'completed' || status === 'completed_with_warnings';
}

/** What {@link jobMetrics} needs besides the result. */
export interface JobMetricsOptions {
  /** The `job_name` label. */
  readonly jobName: string;
  /** When the run is reported: the last run's timestamp, and the end of the job's duration. */
  readonly now: Date;
  /** The last success before this run, in seconds since the epoch, when this run did not succeed. */
  readonly previousSuccessSeconds: number | undefined;
  /** Leave `jobhooks_last_success_timestamp_seconds` out when this run did not succeed (the Pushgateway keeps its own). */
  readonly omitKeptSuccess?: boolean;
}

/**
 * The gauges of one finished job, in a fixed order. The notification task (the one sending these) is
 * left out of the task metrics; a task name that repeats in a phase gets ` #2`, ` #3` so series stay
 * distinct.
 */
export function jobMetrics(result: JobResult, options: JobMetricsOptions): MetricFamily[] {
  const job = { job_name: options.jobName, repository: repositoryLabel(result) };
  const nowSeconds = options.now.getTime() / 1000;
  const succeeded = isSuccess(result.status);
  const lastSuccess = succeeded ? nowSeconds : options.omitKeptSuccess === true ? undefined : options.previousSuccessSeconds;
  const startedMs = Date.parse(result.startedAt);
  // A recovery's start is the recovery's, not the dead run's: its duration would say nothing.
  const durationSeconds =
    result.status === 'interrupted' || Number.isNaN(startedMs) ? undefined : Math.max(0, options.now.getTime() - startedMs) / 1000;

  // A recovered run's tasks are the cleanups its recovery ran, not the run's: no task series for it
  // (docs/observability.md), so a Pushgateway group keeps those of the run before.
  const tasks = result.status === 'interrupted' ? [] : labelledTasks(result.tasks.filter((task) => task.phase !== 'notification'));
  const ran = tasks.filter(({ task }) => task.durationMs !== null);
  const archives = tasks.flatMap(({ task, label }) => {
    const stats = archiveStats(task.data);
    return stats === undefined ? [] : [{ labels: { ...job, task: label }, stats }];
  });
  const taskLabels = (entry: { task: TaskResult; label: string }): Record<string, string> => ({ ...job, task: entry.label, phase: entry.task.phase });

  return [
    gauge('jobhooks_last_run_timestamp_seconds', 'When the job last ran to its end (the notification), in seconds since the epoch.', [{ labels: job, value: nowSeconds }]),
    gauge(LAST_SUCCESS, 'When the job last completed (with or without warnings), in seconds since the epoch.', lastSuccess === undefined ? [] : [{ labels: job, value: lastSuccess }]),
    gauge('jobhooks_job_duration_seconds', 'How long the last run took, from its start to its notification.', durationSeconds === undefined ? [] : [{ labels: job, value: durationSeconds }]),
    gauge('jobhooks_job_status', 'How the last run ended: 1 for its status, 0 for the others.', JOB_STATUSES.map((status) => ({ labels: { ...job, status }, value: status === result.status ? 1 : 0 }))),
    gauge('jobhooks_task_duration_seconds', 'How long each task of the last run took (tasks that ran).', ran.map((entry) => ({ labels: taskLabels(entry), value: (entry.task.durationMs ?? 0) / 1000 }))),
    gauge(
      'jobhooks_task_status',
      'How each task of the last run ended: 1 for its status, 0 for the others.',
      tasks.flatMap((entry) => TASK_STATUSES.map((status) => ({ labels: { ...taskLabels(entry), status }, value: status === entry.task.status ? 1 : 0 }))),
    ),
    gauge('jobhooks_task_attempts', 'How many times each task of the last run was attempted (0 when skipped).', tasks.map((entry) => ({ labels: taskLabels(entry), value: taskAttempts(entry.task) }))),
    gauge('jobhooks_borg_archive_original_size_bytes', 'Size of the files in the last archive.', archives.map(({ labels, stats }) => ({ labels, value: stats.original }))),
    gauge('jobhooks_borg_archive_compressed_size_bytes', 'Size of the last archive once compressed.', archives.map(({ labels, stats }) => ({ labels, value: stats.compressed }))),
    gauge('jobhooks_borg_archive_deduplicated_size_bytes', 'What the last archive added to the repository, compressed and deduplicated.', archives.map(({ labels, stats }) => ({ labels, value: stats.deduplicated }))),
    gauge('jobhooks_borg_archive_files', 'Number of files in the last archive.', archives.map(({ labels, stats }) => ({ labels, value: stats.files }))),
  ];
}

/** The `repository` label: the repository's name, else its id, else empty. */
export function repositoryLabel(result: JobResult): string {
  const repository = result.repository;
  if (repository?.name !== undefined) return repository.name;
  if (repository?.id !== undefined) return String(repository.id);
  return '';
}

function gauge(name: string, help: string, samples: Sample[]): MetricFamily {
  return { name, help, type: 'gauge', samples };
}

/**
 * Each task with its `task` label: its name, and from the second time a name appears in a phase, the
 * name numbered ` #2`, ` #3`, … skipping any label another task of the phase has (a task may be
 * named `Dump #2` itself), so that no two series are the same.
 */
function labelledTasks(tasks: readonly TaskResult[]): { task: TaskResult; label: string }[] {
  const taken = new Set(tasks.map((task) => `${task.phase}\0${task.name}`));
  const seen = new Set<string>();
  return tasks.map((task) => {
    const key = `${task.phase}\0${task.name}`;
    if (!seen.has(key)) {
      seen.add(key);
      return { task, label: task.name };
    }
    let count = 2;
    while (taken.has(`${key} #${count}`)) count += 1;
    taken.add(`${key} #${count}`);
    return { task, label: `${task.name} #${count}` };
  });
}


/** borg create's `data.archive.stats` (docs/borg.md), when the task has it. */
function archiveStats(data: JsonValue | null): { original: number; compressed: number; deduplicated: number; files: number } | undefined {
  const archive = field(data, 'archive');
  const stats = field(archive, 'stats');
  const original = field(stats, 'original_size');
  const compressed = field(stats, 'compressed_size');
  const deduplicated = field(stats, 'deduplicated_size');
  const files = field(stats, 'nfiles');
  if (typeof original !== 'number' || typeof compressed !== 'number' || typeof deduplicated !== 'number' || typeof files !== 'number') return undefined;
  return { original, compressed, deduplicated, files };
}

function field(value: JsonValue | null | undefined, key: string): JsonValue | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return Object.hasOwn(value, key) ? value[key] : undefined;
}
