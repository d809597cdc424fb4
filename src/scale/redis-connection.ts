import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** Where the relay's keys and channel live: one prefix per G6 deployment sharing a Redis. */
export interface RelayKeys {
  readonly channel: string;
  latest(index: string): string;
  readonly status: string;
  readonly lease: string;
  readonly rateLimitPrefix: string;
}

export function relayKeys(prefix: string): RelayKeys {
  return {
    channel: `${prefix}:events`,
    latest: (index) => `${prefix}:latest:${index}`,
    status: `${prefix}:status`,
    lease: `${prefix}:collector-lease`,
    rateLimitPrefix: `${prefix}:rate`,
  };
}

/** Reconnect delay after `attempt` failures: 100 ms doubling to `maxMs`, half jittered. */
export function reconnectDelayMs(attempt: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, 100 * 2 ** Math.min(attempt - 1, 20));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export interface RedisConnectionOptions {
  readonly url: string;
  /** Names the connection in Redis (`CLIENT LIST`) and in the log. */
  readonly name: string;
  readonly logger: Logger;
  readonly maxReconnectDelayMs?: number;
  readonly onUpChanged?: (up: boolean) => void;
  readonly now: () => Date;
}

/**
 * An ioredis connection that never queues commands while disconnected (a relay message or a rate count
 * from before an outage is worthless after it, and a queue would replay old events as new), reconnects
 * forever with capped, jittered backoff, and logs each outage once: when it begins and when it ends.
 */
export function createRedisConnection(options: RedisConnectionOptions): Redis {
  const maxDelay = options.maxReconnectDelayMs ?? 5_000;
  const redis = new Redis(options.url, {
    connectionName: options.name,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
    // A stopped (SIGSTOP) server accepts TCP and never answers: commands must fail, not hang.
    commandTimeout: 2_000,
    retryStrategy: (times) => reconnectDelayMs(times, maxDelay),
    enableReadyCheck: true,
  });
  let up = false;
  let downSince: Date | null = null;
  redis.on('ready', () => {
    if (!up) {
      up = true;
      options.logger.info(
        { redis: options.name, downSince: downSince?.toISOString() ?? null },
        downSince === null ? 'redis connected' : 'redis reconnected',
      );
      options.onUpChanged?.(true);
    }
  });
  const markDown = (error?: Error) => {
    if (up || downSince === null) {
      up = false;
      downSince = options.now();
      options.logger.warn({ redis: options.name, err: error }, 'redis unavailable: retrying with backoff');
      options.onUpChanged?.(false);
    }
  };
  redis.on('error', (error: Error) => markDown(error));
  // Only a connection ioredis is re-establishing is down; one closed on purpose (disconnect) is not.
  redis.on('reconnecting', () => markDown());
  return redis;
}
