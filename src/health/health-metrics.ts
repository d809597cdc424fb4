import { Counter, Gauge, type Registry } from 'prom-client';
import type { HealthStatus } from './alert-event.ts';
import type { HealthFeed } from './health-feed.ts';

const STATUSES: readonly HealthStatus[] = ['HEALTHY', 'DEGRADED', 'DOWN'];

export interface HealthMetrics {
  diskMeasured(freeBytes: number, totalBytes: number): void;
  /** `webhook` is the URL's position in G6_ALERT_WEBHOOK_URLS, never the URL (it may carry a token). */
  webhookEvent(webhook: string, outcome: 'delivered' | 'retried' | 'given_up' | 'dropped'): void;
  alertSubscriberDropped(): void;
}

/**
 * Health as state-set gauges (one series per status, 1 for the current one), read from the feed at scrape
 * time so a series never outlives its component. Alerting in Prometheus can then use the same states as
 * the webhooks without re-deriving them from raw metrics.
 */
export function registerHealthMetrics(registry: Registry, feed: HealthFeed, webhookCount: number): HealthMetrics {
  new Gauge({
    name: 'g6_health_status',
    help: 'Component health: 1 for the status the component is in, 0 for the others',
    labelNames: ['component', 'status'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const component of feed.current().components) {
        for (const status of STATUSES) {
          this.set({ component: component.name, status }, component.status === status ? 1 : 0);
        }
      }
    },
  });
  new Gauge({
    name: 'g6_health_overall_status',
    help: 'Overall health (the worst component): 1 for the current status, 0 for the others',
    labelNames: ['status'] as const,
    registers: [registry],
    collect() {
      const current = feed.current().status;
      for (const status of STATUSES) {
        this.set({ status }, current === status ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'g6_health_ready',
    help: '1 while /ready answers 200 (provider usable, every index current, not shutting down)',
    registers: [registry],
    collect() {
      this.set(feed.current().ready ? 1 : 0);
    },
  });
  new Gauge({
    name: 'g6_alerts_firing',
    help: 'Alerts firing now by severity',
    labelNames: ['severity'] as const,
    registers: [registry],
    collect() {
      const firing = feed.firingAlerts();
      for (const severity of ['WARNING', 'CRITICAL'] as const) {
        this.set({ severity }, firing.filter((a) => a.severity === severity).length);
      }
    },
  });
  const free = new Gauge({
    name: 'g6_data_dir_free_bytes',
    help: 'Free bytes (for unprivileged users) on the filesystem holding the data directory',
    registers: [registry],
  });
  const size = new Gauge({
    name: 'g6_data_dir_size_bytes',
    help: 'Size in bytes of the filesystem holding the data directory',
    registers: [registry],
  });
  const webhookEvents = new Counter({
    name: 'g6_alert_webhook_events_total',
    help: 'Alert webhook deliveries by outcome (delivered, retried, given_up, dropped from a full queue)',
    labelNames: ['webhook', 'outcome'] as const,
    registers: [registry],
  });
  for (let i = 0; i < webhookCount; i += 1) {
    for (const outcome of ['delivered', 'retried', 'given_up', 'dropped'] as const) {
      webhookEvents.inc({ webhook: String(i), outcome }, 0);
    }
  }
  const subscriberDropped = new Counter({
    name: 'g6_alert_subscriber_dropped_total',
    help: 'Alert events dropped for an alertRaised subscriber that fell 100 events behind',
    registers: [registry],
  });
  return {
    diskMeasured(freeBytes, totalBytes) {
      free.set(freeBytes);
      size.set(totalBytes);
    },
    webhookEvent: (webhook, outcome) => webhookEvents.inc({ webhook, outcome }),
    alertSubscriberDropped: () => subscriberDropped.inc(),
  };
}
