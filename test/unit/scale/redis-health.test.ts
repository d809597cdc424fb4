import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createRedisHealth, followRelayConnections } from '../../../src/scale/redis-health.ts';
import { createScaleOut, type ScaleOutEvents } from '../../../src/scale/scale-out.ts';
import { createSnapshotPubSub } from '../../../src/store/snapshot-pubsub.ts';
import { createSnapshotStore } from '../../../src/store/snapshot-store.ts';

const T0 = Date.parse('2025-01-06T04:00:00.000Z');

/** A clock the test moves by hand. */
function manualClock() {
  let ms = T0;
  return { now: () => new Date(ms), advance: (byMs: number) => (ms += byMs) };
}

describe('redis health', () => {
  it('is up with no connection followed, and while every followed one is up', () => {
    const clock = manualClock();
    const health = createRedisHealth(clock.now);
    expect(health.state()).toEqual({ up: true, downSinceMs: null, downConnections: [] });
    health.upChanged('subscriber', true);
    health.upChanged('reader', true);
    expect(health.state()).toEqual({ up: true, downSinceMs: null, downConnections: [] });
  });

  it('holds an expected connection down, with no time, until it first connects', () => {
    const clock = manualClock();
    const health = createRedisHealth(clock.now);
    health.expect('rate-limits');
    expect(health.state()).toEqual({ up: false, downSinceMs: null, downConnections: ['rate-limits'] });
    clock.advance(500);
    // Its first failure dates the outage.
    health.upChanged('rate-limits', false);
    expect(health.state()).toEqual({ up: false, downSinceMs: T0 + 500, downConnections: ['rate-limits'] });
    health.upChanged('rate-limits', true);
    expect(health.state().up).toBe(true);
  });

  it('is down while any connection is, since the earliest, naming them longest down first', () => {
    const clock = manualClock();
    const health = createRedisHealth(clock.now);
    health.upChanged('rate-limits', true);
    health.upChanged('subscriber', true);
    health.upChanged('reader', true);
    clock.advance(1_000);
    health.upChanged('subscriber', false);
    clock.advance(1_000);
    health.upChanged('rate-limits', false);
    expect(health.state()).toEqual({
      up: false,
      downSinceMs: T0 + 1_000,
      downConnections: ['subscriber', 'rate-limits'],
    });
    // Reported down again while down: the outage keeps its start.
    clock.advance(1_000);
    health.upChanged('subscriber', false);
    expect(health.state().downSinceMs).toBe(T0 + 1_000);
    // The first back up leaves the other's outage, with its own start.
    health.upChanged('subscriber', true);
    expect(health.state()).toEqual({ up: false, downSinceMs: T0 + 2_000, downConnections: ['rate-limits'] });
    health.upChanged('rate-limits', true);
    expect(health.state()).toEqual({ up: true, downSinceMs: null, downConnections: [] });
  });

  it('forgets a connection closed on purpose, and follows a new one of the same name afresh', () => {
    const clock = manualClock();
    const health = createRedisHealth(clock.now);
    health.upChanged('commands', true);
    health.upChanged('subscriber', false);
    health.upChanged('reader', false);
    expect(health.state().downConnections).toEqual(['reader', 'subscriber']);
    // The feed stopped (this process took the lease) while its connections were retrying.
    health.closed('subscriber');
    health.closed('reader');
    expect(health.state()).toEqual({ up: true, downSinceMs: null, downConnections: [] });
    // The lease lost: a new feed, whose connections report from scratch.
    clock.advance(2_000);
    health.upChanged('subscriber', false);
    expect(health.state()).toEqual({ up: false, downSinceMs: T0 + 2_000, downConnections: ['subscriber'] });
  });

  it('feeds the tracker from scale-out events without taking them from the metrics', () => {
    const clock = manualClock();
    const health = createRedisHealth(clock.now);
    const seen: string[] = [];
    const metrics: ScaleOutEvents = {
      onRedisUp: (connection, up) => seen.push(`${connection} ${up ? 'up' : 'down'}`),
      onRedisClosed: (connection) => seen.push(`${connection} closed`),
      onLeaseChanged: (holder) => seen.push(`lease ${holder}`),
    };
    const events = followRelayConnections(health, metrics);
    events.onRedisUp?.('subscriber', false);
    expect(health.state().downConnections).toEqual(['subscriber']);
    events.onRedisClosed?.('subscriber');
    events.onLeaseChanged?.(true);
    expect(seen).toEqual(['subscriber down', 'subscriber closed', 'lease true']);
    expect(health.state().up).toBe(true);
    // Without metrics (G6_METRICS_ENABLED=false) the tracker is fed all the same.
    const bare = followRelayConnections(health);
    bare.onRedisUp?.('reader', false);
    expect(health.state().downConnections).toEqual(['reader']);
  });

  it('a relay stopped while its connections retry leaves nothing down', async () => {
    const clock = manualClock();
    const health = createRedisHealth(clock.now);
    const closed: string[] = [];
    let bothDown: () => void = () => undefined;
    const down = new Promise<void>((resolve) => {
      bothDown = resolve;
    });
    const reportedDown = new Set<string>();
    const events = followRelayConnections(health, {
      onRedisUp: (connection, up) => {
        if (!up && reportedDown.add(connection).size === 2) {
          bothDown();
        }
      },
      onRedisClosed: (connection) => closed.push(connection),
    });
    // Nothing listens on port 1: every connection attempt is refused at once.
    const scale = createScaleOut({
      redis: { url: 'redis://127.0.0.1:1', prefix: 'g6-test', leaseTtlMs: 1_000, heartbeatMs: 60_000 },
      role: 'API',
      indices: ['NIFTY'],
      store: createSnapshotStore(),
      pubsub: createSnapshotPubSub(),
      collector: null,
      now: clock.now,
      logger: pino({ level: 'silent' }),
      loadWithinMs: 0,
      events,
    });
    await scale.start();
    await down;
    expect(health.state()).toMatchObject({ up: false, downConnections: ['reader', 'subscriber'] });
    await scale.stop();
    expect(closed.sort()).toEqual(['reader', 'subscriber']);
    expect(health.state()).toEqual({ up: true, downSinceMs: null, downConnections: [] });
  });
});
