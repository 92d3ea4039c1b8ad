/**
 * `jobhooks/prometheus`: each run's metrics for Prometheus, through node_exporter's textfile
 * collector or a Pushgateway (docs/observability.md). No dependency: the exposition text is our own.
 *
 * @packageDocumentation
 */
export { PrometheusNotifier, type PrometheusNotifierOptions } from './notifier.js';
