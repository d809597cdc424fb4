import type { ScaleOutEvents } from './scale-out.ts';

/** The `redis` health part: down while any followed connection is, since the earliest of them went down. */
export interface RedisHealthState {
  readonly up: boolean;
  /** Null while up, or while every down connection has yet to connect (so no failure time is known). */
  readonly downSinceMs: number | null;
  /** The down connections, longest down first. */
  readonly downConnections: readonly string[];
}

export interface RedisHealth {
  /** A connection that should be up from now on: down (since unknown) until it first connects. */
  expect(connection: string): void;
  /** A followed connection came up or went down (`createRedisConnection`'s `onUpChanged`). */
  upChanged(connection: string, up: boolean): void;
  /**
   * Closed on purpose (the relay's feed when this process takes the lease, or at shutdown): no longer
   * followed. ioredis reports nothing on a deliberate disconnect, so a connection stopped while it was
   * down would otherwise read as down for good.
   */
  closed(connection: string): void;
  state(): RedisHealthState;
}

/**
 * Every Redis connection of this process in one health component (the rate-limit connection and the
 * relay's), so an outage of any of them is seen, and named, whichever part noticed it.
 */
export function createRedisHealth(now: () => Date): RedisHealth {
  // Since when each connection has been in its state; null: expected, not heard from yet.
  const connections = new Map<string, { up: boolean; sinceMs: number | null }>();
  return {
    expect(connection) {
      connections.set(connection, { up: false, sinceMs: null });
    },
    upChanged(connection, up) {
      const held = connections.get(connection);
      // Down again while down keeps the first time: the outage is as old as its start.
      if (held !== undefined && held.up === up && held.sinceMs !== null) {
        return;
      }
      connections.set(connection, { up, sinceMs: now().getTime() });
    },
    closed(connection) {
      connections.delete(connection);
    },
    state() {
      const down = [...connections]
        .filter(([, state]) => !state.up)
        .map(([name, state]) => ({ name, sinceMs: state.sinceMs }))
        .sort(
          (a, b) =>
            (a.sinceMs ?? Number.POSITIVE_INFINITY) - (b.sinceMs ?? Number.POSITIVE_INFINITY) ||
            a.name.localeCompare(b.name),
        );
      const known = down.flatMap((d) => (d.sinceMs === null ? [] : [d.sinceMs]));
      return {
        up: down.length === 0,
        downSinceMs: known.length === 0 ? null : Math.min(...known),
        downConnections: down.map((d) => d.name),
      };
    },
  };
}

/** Scale-out's events (its metrics, when given) with the relay's connections followed by `health` too. */
export function followRelayConnections(health: RedisHealth, events: ScaleOutEvents = {}): ScaleOutEvents {
  return {
    ...events,
    onRedisUp(connection, up) {
      events.onRedisUp?.(connection, up);
      health.upChanged(connection, up);
    },
    onRedisClosed(connection) {
      events.onRedisClosed?.(connection);
      health.closed(connection);
    },
  };
}
