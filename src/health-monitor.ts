import type { Logger } from 'pino';
import type { HealthReport } from './health.ts';

export interface HealthMonitor {
  start(): void;
  stop(): void;
}

/**
 * Logs a health summary every `intervalMs` (G6_HEALTH_INTERVAL) and a warning the moment readiness
 * changes, so operators tailing logs see outages without scraping /ready.
 */
export function createHealthMonitor(options: {
  readonly intervalMs: number;
  readonly evaluate: () => HealthReport;
  readonly logger: Logger;
}): HealthMonitor {
  let timer: NodeJS.Timeout | undefined;
  let wasReady: boolean | null = null;
  let wasDegraded = false;
  const check = () => {
    const report = options.evaluate();
    const fields = { ready: report.ready, degraded: report.degraded, problems: report.problems };
    if (wasReady !== null && wasReady !== report.ready) {
      options.logger.warn(fields, report.ready ? 'service became ready' : 'service became not ready');
    } else if (wasDegraded !== report.degraded) {
      options.logger.warn(fields, report.degraded ? 'storage degraded' : 'storage recovered');
    } else {
      options.logger.info(fields, 'health');
    }
    wasReady = report.ready;
    wasDegraded = report.degraded;
  };
  return {
    start() {
      if (timer === undefined) {
        timer = setInterval(check, options.intervalMs);
        timer.unref();
      }
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
