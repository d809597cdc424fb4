import { Counter, Gauge, type Registry } from 'prom-client';
import type { ScaleOutEvents } from './scale-out.ts';

/**
 * Scale-out's own series, registered by it: Redis up/down per connection, whether this process holds the
 * collector lease, and what the relay carried. Returns the events that feed them.
 */
export function registerScaleOutMetrics(registry: Registry, role: string): ScaleOutEvents {
  const redisUp = new Gauge({
    name: 'g6_redis_up',
    help: 'Whether each of this process’s Redis connections is up (1) or down (0)',
    labelNames: ['connection'],
    registers: [registry],
  });
  const leaseHolder = new Gauge({
    name: 'g6_collector_lease_holder',
    help: 'Whether this process holds the collector lease and collects (1) or stands by (0)',
    registers: [registry],
  });
  const published = new Counter({
    name: 'g6_relay_published_total',
    help: 'Relay messages this collector wrote to Redis, by kind (snapshot or status)',
    labelNames: ['kind'],
    registers: [registry],
  });
  const publishedBytes = new Counter({
    name: 'g6_relay_published_bytes_total',
    help: 'Bytes of relay messages this collector wrote to Redis',
    registers: [registry],
  });
  const publishFailures = new Counter({
    name: 'g6_relay_publish_failures_total',
    help: 'Relay writes that failed (Redis unreachable); the newest snapshot per index is re-sent on reconnect',
    registers: [registry],
  });
  const received = new Counter({
    name: 'g6_relay_snapshots_received_total',
    help: 'Snapshots this replica read from the relay: applied, or old (not newer than the one held, ignored)',
    labelNames: ['index', 'outcome'],
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'g6_relay_messages_rejected_total',
    help: 'Relay messages this replica could not read (another release’s format)',
    registers: [registry],
  });
  new Gauge({
    name: 'g6_role',
    help: 'The role this process runs (all, collector or api)',
    labelNames: ['role'],
    registers: [registry],
  }).set({ role }, 1);
  return {
    onRedisUp: (connection, up) => redisUp.set({ connection }, up ? 1 : 0),
    // A connection closed on purpose has no state to show: a last 0 would read as an outage for good.
    onRedisClosed: (connection) => redisUp.remove({ connection }),
    onLeaseChanged: (holder) => leaseHolder.set(holder ? 1 : 0),
    onPublished: (kind, bytes) => {
      published.inc({ kind });
      publishedBytes.inc(bytes);
    },
    onFailed: () => publishFailures.inc(),
    onSnapshot: (index, outcome) => received.inc({ index, outcome }),
    onRejected: () => rejected.inc(),
  };
}
