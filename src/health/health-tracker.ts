import type { HealthStatus } from './alert-event.ts';
import type { ComponentAssessment, HealthAssessment } from './health-model.ts';

export interface ComponentHealth extends ComponentAssessment {
  /** When the component entered its current status (the first reading, for one never seen otherwise). */
  readonly since: Date;
}

export interface HealthView {
  readonly status: HealthStatus;
  readonly ready: boolean;
  readonly components: readonly ComponentHealth[];
  readonly notReadyReasons: readonly string[];
  readonly checkedAt: Date;
}

/** A component moving from one status to another. `from` is null on its first reading. */
export interface HealthChange {
  readonly component: string;
  readonly from: HealthStatus | null;
  readonly to: HealthStatus;
  readonly reason: string | null;
  readonly at: Date;
}

export interface HealthTracker {
  /** Records a reading; returns the status changes it makes (a changed reason alone is not one). */
  observe(assessment: HealthAssessment, at: Date): HealthChange[];
  current(): HealthView;
  /** The last `last` changes, newest first. */
  history(last: number): HealthChange[];
}

export const DEFAULT_HISTORY_LIMIT = 500;

/**
 * Keeps since-when per component and a bounded history of status changes. A component's first reading
 * is recorded as a change from null only when it is not HEALTHY, so a normal start-up has an empty history.
 */
export function createHealthTracker(historyLimit = DEFAULT_HISTORY_LIMIT): HealthTracker {
  const since = new Map<string, { status: HealthStatus; since: Date }>();
  const changes: HealthChange[] = [];
  let view: HealthView = {
    status: 'HEALTHY',
    ready: false,
    components: [],
    notReadyReasons: ['no health reading yet'],
    checkedAt: new Date(0),
  };
  return {
    observe(assessment, at) {
      const made: HealthChange[] = [];
      const components: ComponentHealth[] = [];
      const seen = new Set<string>();
      for (const component of assessment.components) {
        seen.add(component.name);
        const previous = since.get(component.name);
        if (previous === undefined || previous.status !== component.status) {
          if (previous !== undefined || component.status !== 'HEALTHY') {
            made.push({
              component: component.name,
              from: previous?.status ?? null,
              to: component.status,
              reason: component.reason,
              at,
            });
          }
          since.set(component.name, { status: component.status, since: at });
        }
        components.push({ ...component, since: since.get(component.name)?.since ?? at });
      }
      for (const name of [...since.keys()]) {
        if (!seen.has(name)) {
          since.delete(name);
        }
      }
      changes.push(...made);
      if (changes.length > historyLimit) {
        changes.splice(0, changes.length - historyLimit);
      }
      view = {
        status: assessment.status,
        ready: assessment.ready,
        components,
        notReadyReasons: assessment.notReadyReasons,
        checkedAt: at,
      };
      return made;
    },
    current: () => view,
    history: (last) => changes.slice(-Math.max(0, last)).reverse(),
  };
}
