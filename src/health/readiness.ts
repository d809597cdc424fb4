import type { HealthStatus } from './alert-event.ts';
import type { ComponentHealth, HealthView } from './health-tracker.ts';

/** What /ready answers. */
export interface HealthReport {
  readonly ready: boolean;
  readonly status: HealthStatus;
  /** Not HEALTHY: something works worse than it should (a sink behind, a failing tick, a full disk…). */
  readonly degraded: boolean;
  /** Whether any collected index's market is in session (or its pre-open); null when not known. */
  readonly marketOpen: boolean | null;
  /** Why it is not ready, then what is not healthy, one line each. */
  readonly problems: readonly string[];
  readonly components: readonly ComponentHealth[];
}

export function readinessReport(view: HealthView, marketOpen: boolean | null): HealthReport {
  const problems = [...view.notReadyReasons];
  for (const component of view.components) {
    if (component.status === 'HEALTHY' || component.reason === null) {
      continue;
    }
    if (!problems.some((p) => p.includes(component.reason as string))) {
      problems.push(`${component.name}: ${component.reason}`);
    }
  }
  return {
    ready: view.ready,
    status: view.status,
    degraded: view.status !== 'HEALTHY',
    marketOpen,
    problems,
    components: view.components,
  };
}
