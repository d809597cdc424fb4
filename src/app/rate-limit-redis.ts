import type { RedisConfig } from '../config.ts';
import { createRedisConnection, relayKeys } from '../scale/redis-connection.ts';
import type { RedisHealth } from '../scale/redis-health.ts';
import type { SharedBudgetStore } from '../server/operation-limits.ts';
import type { AppCore } from './app-core.ts';

/** How long start-up waits for the first connection before serving with per-replica budgets. */
const CONNECT_WITHIN_MS = 1_000;

export interface RateLimitRedis {
  /** What the server counts budgets in. */
  readonly sharedBudget: SharedBudgetStore;
  /** Resolves once connected, or after CONNECT_WITHIN_MS with ioredis still retrying in the background. */
  connect(): Promise<void>;
  disconnect(): void;
}

export interface RateLimitRedisOptions extends Pick<AppCore, 'mode' | 'logger' | 'now'> {
  /** The mode's Redis. */
  readonly redis: RedisConfig;
  /** Follows this connection as `rate-limits`. */
  readonly health: RedisHealth;
}

/**
 * Replicas share each key's rate budget through Redis, on a connection of its own (the relay's stay the
 * relay's). Connected before the first request, so budgets are shared from the start; an unreachable Redis
 * is retried in the background, each replica counting alone meanwhile.
 */
export function createRateLimitRedis(options: RateLimitRedisOptions): RateLimitRedis {
  const { logger, health } = options;
  health.expect('rate-limits');
  const connection = createRedisConnection({
    url: options.redis.url,
    name: `g6-${options.mode.role.toLowerCase()}-rate-limits`,
    logger: logger.child({ component: 'rate-limits' }),
    now: options.now,
    onUpChanged: (up) => health.upChanged('rate-limits', up),
  });
  return {
    sharedBudget: {
      redis: connection,
      keyPrefix: relayKeys(options.redis.prefix).rateLimitPrefix,
      onSharedChanged: (shared: boolean, error?: unknown) =>
        shared
          ? logger.info('rate limits shared through redis again')
          : logger.warn(
              { err: error },
              'rate limits: redis unavailable, each replica counts on its own until it answers',
            ),
    },
    async connect() {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        connection.connect().catch(() => undefined),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, CONNECT_WITHIN_MS);
        }),
      ]);
      clearTimeout(timer);
    },
    disconnect() {
      health.closed('rate-limits');
      connection.disconnect();
    },
  };
}
