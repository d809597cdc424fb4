import type { AlertEvent, AlertSeverity, HealthStatus } from './alert-event.ts';
import type { ComponentAssessment } from './health-model.ts';

export interface AlertPolicy {
  /** A component must stay out of HEALTHY this long before its alert fires (Prometheus' `for`). */
  readonly forMs: number;
  /** A firing alert resolves only after its component has been HEALTHY this long (`keep_firing_for`). */
  readonly keepFiringForMs: number;
}

export interface AlertManager {
  /** Events that this reading of the components makes, oldest component first; usually none. */
  observe(components: readonly ComponentAssessment[], at: Date): AlertEvent[];
  /** The latest event of each alert now firing, most recent first. */
  firing(): AlertEvent[];
}

interface Tracked {
  unhealthySinceMs: number | null;
  healthySinceMs: number | null;
  active: AlertEvent | null;
}

const severityOf = (status: HealthStatus): AlertSeverity => (status === 'DOWN' ? 'CRITICAL' : 'WARNING');

/**
 * Alerts on changes only, like Alertmanager fed by rules with `for` and `keep_firing_for`: one FIRING when a
 * component has been unhealthy for `forMs`, another FIRING under the same id when its severity changes
 * (DEGRADED ↔ DOWN), one RESOLVED when it has been HEALTHY for `keepFiringForMs`. A component that flaps
 * within that window stays one alert instead of paging on every bounce. Pure: time is the caller's.
 */
export function createAlertManager(policy: AlertPolicy): AlertManager {
  const tracked = new Map<string, Tracked>();

  const step = (name: string, status: HealthStatus, reason: string | null, at: Date): AlertEvent | null => {
    const nowMs = at.getTime();
    let state = tracked.get(name);
    if (state === undefined) {
      state = { unhealthySinceMs: null, healthySinceMs: null, active: null };
      tracked.set(name, state);
    }
    if (status !== 'HEALTHY') {
      state.healthySinceMs = null;
      state.unhealthySinceMs ??= nowMs;
      const severity = severityOf(status);
      const active = state.active;
      if (active !== null) {
        if (active.severity === severity) {
          return null;
        }
        state.active = { ...active, severity, status, reason: reason ?? status, at };
        return state.active;
      }
      if (nowMs - state.unhealthySinceMs < policy.forMs) {
        return null;
      }
      const startsAt = new Date(state.unhealthySinceMs);
      state.active = {
        id: `${name}@${startsAt.toISOString()}`,
        component: name,
        state: 'FIRING',
        severity,
        status,
        reason: reason ?? status,
        startsAt,
        endsAt: null,
        at,
      };
      return state.active;
    }
    state.unhealthySinceMs = null;
    const active = state.active;
    if (active === null) {
      tracked.delete(name);
      return null;
    }
    state.healthySinceMs ??= nowMs;
    if (nowMs - state.healthySinceMs < policy.keepFiringForMs) {
      return null;
    }
    tracked.delete(name);
    return {
      ...active,
      state: 'RESOLVED',
      status: 'HEALTHY',
      reason: reason === null ? 'recovered' : `recovered: ${reason}`,
      endsAt: at,
      at,
    };
  };

  return {
    observe(components, at) {
      const events: AlertEvent[] = [];
      const seen = new Set<string>();
      for (const component of components) {
        seen.add(component.name);
        const event = step(component.name, component.status, component.reason, at);
        if (event !== null) {
          events.push(event);
        }
      }
      // A component no longer reported (Redis removed from the config by a restart cannot happen, but a
      // ticker that is switched off can) counts as healthy, so its alert still resolves.
      for (const name of [...tracked.keys()]) {
        if (!seen.has(name)) {
          const event = step(name, 'HEALTHY', null, at);
          if (event !== null) {
            events.push(event);
          }
        }
      }
      return events;
    },
    firing() {
      return [...tracked.values()]
        .flatMap((t) => (t.active === null ? [] : [t.active]))
        .sort((a, b) => b.at.getTime() - a.at.getTime());
    },
  };
}
