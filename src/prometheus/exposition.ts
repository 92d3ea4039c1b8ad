/*
 * Prometheus' text exposition format (version 0.0.4), for the few gauges a job reports: what
 * node_exporter's textfile collector reads and what the Pushgateway takes. Our own writer rather than
 * prom-client: see docs/observability.md#why-not-prom-client.
 */

/** One series of a family: its labels (in the order given) and its value. */
export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A metric family: every series of one metric name. Only gauges: a job's figures are each run's own. */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge';
  readonly samples: readonly Sample[];
}

/**
 * The families as exposition text: `# HELP`, `# TYPE`, then one line per series, in the order given;
 * a family without samples is left out. Ends with a newline (the format requires it).
 *
 * @example
 * ```ts
 * formatExposition([{ name: 'x_seconds', help: 'X.', type: 'gauge', samples: [{ labels: { a: 'b' }, value: 1.5 }] }])
 * // '# HELP x_seconds X.\n# TYPE x_seconds gauge\nx_seconds{a="b"} 1.5\n'
 * ```
 */
export function formatExposition(families: readonly MetricFamily[]): string {
  let text = '';
  for (const family of families) {
    if (family.samples.length === 0) continue;
    text += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
    for (const sample of family.samples) text += `${seriesOf(family.name, sample.labels)} ${formatValue(sample.value)}\n`;
  }
  return text;
}

/** `name{label="value",…}` as it starts a sample line. */
export function seriesOf(name: string, labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).map(([label, value]) => `${label}="${escapeLabelValue(value)}"`);
  return pairs.length === 0 ? name : `${name}{${pairs.join(',')}}`;
}

/**
 * The value of one series in exposition text we wrote earlier (the previous textfile), or
 * `undefined` when it is not there or not a number. Matches the series exactly as {@link seriesOf}
 * writes it, so a job renamed or a label changed reads as "not there".
 */
export function readSample(text: string, name: string, labels: Readonly<Record<string, string>>): number | undefined {
  const prefix = `${seriesOf(name, labels)} `;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const value = Number(line.slice(prefix.length).trim().split(' ')[0]);
    return Number.isFinite(value) ? value : undefined;
  }
  return undefined;
}

/** Label values escape `\`, `"` and line feeds. */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes `\` and line feeds. */
function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Go's float syntax, which Prometheus parses: `NaN`, `+Inf`, `-Inf`, else JavaScript's shortest form. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
