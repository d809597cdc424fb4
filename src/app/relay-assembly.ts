import type { IndexCollectionStatus } from '../collectors/collection-loop.ts';
import type { RedisConfig } from '../config.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import type { ProviderHealth } from '../providers/market-data-provider.ts';
import { followRelayConnections, type RedisHealth } from '../scale/redis-health.ts';
import { createScaleOut, type LocalCollector, type ScaleOut } from '../scale/scale-out.ts';
import { registerScaleOutMetrics } from '../scale/scale-out-metrics.ts';
import type { ServerInfoSource } from '../schema/context.ts';
import type { AppCore } from './app-core.ts';

/** What this process serves of a collection: the provider's health, each index's status, its rests. */
export type ServedCollection = Pick<ServerInfoSource, 'collectorStatus' | 'providerHealth' | 'isResting'>;

/**
 * While this process serves another's collection through the relay (an API replica, a standby
 * collector), its state is the relay's; otherwise its own. `scale` is null until the relay runs.
 */
export function createServedCollection(scale: () => ScaleOut | null, own: ServedCollection): ServedCollection {
  const relayed = () => {
    const current = scale();
    return current?.servesRelay() ? current : null;
  };
  return {
    providerHealth: (): ProviderHealth => relayed()?.relayHealth() ?? own.providerHealth(),
    collectorStatus: (): IndexCollectionStatus[] => {
      const relay = relayed();
      return relay === null ? own.collectorStatus() : [...relay.relayedStatus()];
    },
    isResting: (index: IndexSymbol) => {
      const relay = relayed();
      return relay === null
        ? own.isResting(index)
        : (relay.relayedStatus().find((s) => s.index === index)?.resting ?? false);
    },
  };
}

export interface AppRelayOptions
  extends Pick<AppCore, 'config' | 'mode' | 'store' | 'pubsub' | 'now' | 'logger' | 'registry'> {
  /** The mode's Redis (the relay exists only with one). */
  readonly redis: RedisConfig;
  /** What the lease starts and stops; null when the mode does not collect (an API replica). */
  readonly collector: LocalCollector | null;
  /** Follows the relay's connections beside the rate-limit one. */
  readonly redisHealth: RedisHealth;
}

/** The relay for this mode (not started), its connections reported to the metrics and to health. */
export function createAppRelay(options: AppRelayOptions): ScaleOut {
  const { registry } = options;
  const { role } = options.mode;
  return createScaleOut({
    redis: options.redis,
    role,
    indices: options.config.indices,
    store: options.store,
    pubsub: options.pubsub,
    collector: options.collector,
    now: options.now,
    logger: options.logger,
    events: followRelayConnections(
      options.redisHealth,
      registry === null ? undefined : registerScaleOutMetrics(registry, role.toLowerCase()),
    ),
  });
}
