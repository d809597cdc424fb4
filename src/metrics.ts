import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The registry every component registers its own metrics into (never prom-client's global one, so
 * tests and replicas in one process stay apart). Node's and the process's metrics keep their standard
 * names (`process_*`, `nodejs_*`) so stock Node.js dashboards work; G6's own all start with `g6_`.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
