export type HealthStatus = 'HEALTHY' | 'DEGRADED' | 'DOWN';
export type AlertSeverity = 'WARNING' | 'CRITICAL'; // DEGRADED → WARNING, DOWN → CRITICAL
export type AlertState = 'FIRING' | 'RESOLVED';
export interface AlertEvent {
  /** Stable for one firing episode of one component: the same id on its FIRING, escalations and RESOLVED. */
  readonly id: string;
  /** e.g. 'provider', 'collector/NIFTY', 'sink/influx', 'redis', 'event-loop', 'disk', 'memory'. */
  readonly component: string;
  readonly state: AlertState;
  readonly severity: AlertSeverity;
  /** The component's status when the event was made (HEALTHY on RESOLVED). */
  readonly status: HealthStatus;
  readonly reason: string;
  readonly startsAt: Date;
  /** Set on RESOLVED. */
  readonly endsAt: Date | null;
  /** When this event was made. */
  readonly at: Date;
}

/** Bumped only when a field is removed or its meaning changes; receivers should ignore fields they do not know. */
export const ALERT_PAYLOAD_SCHEMA_VERSION = 1;

/**
 * The JSON body of one webhook request, described by `docs/alert-webhook.schema.json`. Enum values are
 * upper case, as in the event and the GraphQL schema; instants are ISO 8601 UTC with milliseconds.
 */
export interface AlertPayload {
  readonly schemaVersion: typeof ALERT_PAYLOAD_SCHEMA_VERSION;
  readonly source: 'g6';
  /** Which G6 sent it, e.g. its host:port. */
  readonly instance: string;
  readonly id: string;
  readonly component: string;
  readonly state: AlertState;
  readonly severity: AlertSeverity;
  readonly status: HealthStatus;
  readonly reason: string;
  readonly startsAt: string;
  readonly endsAt: string | null;
  readonly at: string;
  /** When this delivery attempt was made; a retry carries a later one than the first attempt. */
  readonly sentAt: string;
}

/** Pure: the payload of `event` as `instance` sends it at `sentAt`. Throws on an invalid Date. */
export function alertPayload(event: AlertEvent, instance: string, sentAt: Date): AlertPayload {
  return {
    schemaVersion: ALERT_PAYLOAD_SCHEMA_VERSION,
    source: 'g6',
    instance,
    id: event.id,
    component: event.component,
    state: event.state,
    severity: event.severity,
    status: event.status,
    reason: event.reason,
    startsAt: event.startsAt.toISOString(),
    endsAt: event.endsAt === null ? null : event.endsAt.toISOString(),
    at: event.at.toISOString(),
    sentAt: sentAt.toISOString(),
  };
}
