import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export type LeaseState = 'STANDBY' | 'HOLDER';

export interface CollectorLease {
  /** Tries at once, then every ttlMs / 3: renews while held, acquires when free. */
  start(): void;
  state(): LeaseState;
  readonly token: string;
  /** Releases the lease if held (so a standby takes over at once rather than after the TTL). */
  stop(): Promise<void>;
}

export interface CollectorLeaseOptions {
  readonly redis: Redis;
  readonly key: string;
  /** This process's identity in the lease (host, pid and a random part: pids repeat across containers). */
  readonly token: string;
  readonly ttlMs: number;
  readonly logger: Logger;
  /** Became the holder: start collecting. Awaited before the next renewal. */
  readonly onAcquired: () => Promise<void>;
  /** Another collector holds the lease now: stop collecting. Awaited before the next try. */
  readonly onLost: (holder: string | null) => Promise<void>;
}

// Renew while ours; take it back if it vanished (Redis restarted without persistence); 0 if another has it.
const RENEW = `
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
elseif held == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * One collector per Redis: a lease key set with `SET NX PX`, renewed every ttlMs / 3, released on stop.
 * A standby tries to take it at the same pace, so it takes over at most ttlMs + ttlMs / 3 after the holder
 * died. While Redis itself is unreachable the holder keeps its role and keeps collecting (storage never
 * depends on Redis); if it finds another holder once Redis answers again, it steps down.
 */
export function createCollectorLease(options: CollectorLeaseOptions): CollectorLease {
  const { redis, key, token, ttlMs, logger } = options;
  let state: LeaseState = 'STANDBY';
  let holder: string | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let unreachableLogged = false;

  const attempt = async () => {
    try {
      if (state === 'HOLDER') {
        const renewed = (await redis.eval(RENEW, 1, key, token, String(ttlMs))) as number;
        unreachableLogged = false;
        if (renewed === 0) {
          holder = await redis.get(key);
          state = 'STANDBY';
          logger.warn({ holder }, 'collector lease lost to another collector: stepping down to standby');
          await options.onLost(holder);
        }
        return;
      }
      const taken = await redis.set(key, token, 'PX', ttlMs, 'NX');
      unreachableLogged = false;
      if (taken === 'OK') {
        state = 'HOLDER';
        holder = token;
        logger.info({ collectorId: token, ttlMs }, 'collector lease acquired: collecting');
        await options.onAcquired();
      } else {
        const seen = await redis.get(key);
        if (seen !== holder) {
          logger.info({ holder: seen }, 'collector lease held by another collector: standing by');
        }
        holder = seen;
      }
    } catch (error) {
      if (!unreachableLogged) {
        unreachableLogged = true;
        logger.warn(
          { err: error, state },
          state === 'HOLDER'
            ? 'collector lease cannot be renewed (redis unreachable): collecting on, will renew when it answers'
            : 'collector lease cannot be checked (redis unreachable): standing by',
        );
      }
    }
  };

  const schedule = () => {
    if (stopped) {
      return;
    }
    timer = setTimeout(
      () => {
        running = attempt().finally(schedule);
      },
      Math.max(50, Math.floor(ttlMs / 3)),
    );
  };

  return {
    token,
    start() {
      running = attempt().finally(schedule);
    },
    state: () => state,
    async stop() {
      stopped = true;
      if (timer !== null) {
        clearTimeout(timer);
      }
      await running.catch(() => undefined);
      if (state === 'HOLDER') {
        state = 'STANDBY';
        await redis.eval(RELEASE, 1, key, token).catch((error: unknown) => {
          logger.warn({ err: error }, 'collector lease not released (redis unreachable): it expires on its own');
        });
      }
    },
  };
}
