import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { IndexCollectionStatus } from '../collectors/collection-loop.ts';
import type { RedisConfig, Role } from '../config.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import type { IndexSnapshot } from '../domain/snapshot.ts';
import type { ProviderHealth } from '../providers/market-data-provider.ts';
import type { SnapshotPubSub } from '../store/snapshot-pubsub.ts';
import type { SnapshotStore } from '../store/snapshot-store.ts';
import { type CollectorLease, createCollectorLease } from './collector-lease.ts';
import { createRedisConnection, relayKeys } from './redis-connection.ts';
import { createRelayFeed, type RelayFeed, type RelayFeedEvents } from './relay-feed.ts';
import { createRelayPublisher, type RelayPublisher, type RelayPublisherEvents } from './relay-publisher.ts';

/** What scale-out drives in this process when it holds the collector lease. */
export interface LocalCollector {
  start(): void;
  stop(): Promise<void>;
  status(): readonly IndexCollectionStatus[];
  providerHealth(): ProviderHealth;
}

export interface ScaleOutEvents extends RelayFeedEvents, RelayPublisherEvents {
  onRedisUp?(connection: string, up: boolean): void;
  /** A connection closed on purpose (the feed when this process takes the lease, or at stop): neither up nor down. */
  onRedisClosed?(connection: string): void;
  onLeaseChanged?(holder: boolean): void;
}

export interface ScaleOut {
  /** Sends a snapshot this process collected to the replicas (no-op unless this process collects). */
  relay(snapshot: IndexSnapshot): void;
  /** Starts the feed (and loads the latest snapshots): every role serves the relay until it collects. */
  start(): Promise<void>;
  /** Collector: joins the lease race; collection starts when (and if) it wins. */
  startLease(): Promise<void>;
  /** Stops collecting (if holding the lease), sends what is pending, then releases the lease. */
  stopLease(): Promise<void>;
  /** True while this process serves what another process collects (an API replica, or a standby). */
  servesRelay(): boolean;
  relayHealth(): ProviderHealth;
  relayedStatus(): readonly IndexCollectionStatus[];
  stop(): Promise<void>;
}

export interface ScaleOutOptions {
  readonly redis: RedisConfig;
  readonly role: Role;
  readonly indices: readonly IndexSymbol[];
  readonly store: SnapshotStore;
  readonly pubsub: SnapshotPubSub;
  /** Null on an API replica. */
  readonly collector: LocalCollector | null;
  readonly now: () => Date;
  readonly logger: Logger;
  /** Longest `start` waits for the latest snapshots before serving (a late replica answers at once). */
  readonly loadWithinMs?: number;
  readonly events?: ScaleOutEvents;
}

/**
 * The Redis side of a deployment: an API replica serves the relay; a collector (or `all`) collects and
 * relays while it holds the lease and serves the relay as a hot standby while it does not, so at takeover
 * its store already holds the latest snapshots and `seq` continues where the last holder left it.
 */
export function createScaleOut(options: ScaleOutOptions): ScaleOut {
  const { redis: settings, logger, collector } = options;
  const keys = relayKeys(settings.prefix);
  const token = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  // `release` ends the reports before a deliberate disconnect: what it says after that is not an outage.
  const connection = (name: string) => {
    let followed = true;
    const redis = createRedisConnection({
      url: settings.url,
      name: `g6-${options.role.toLowerCase()}-${name}`,
      logger,
      now: options.now,
      onUpChanged: (up) => {
        if (followed) {
          options.events?.onRedisUp?.(name, up);
        }
      },
    });
    const release = () => {
      if (followed) {
        followed = false;
        options.events?.onRedisClosed?.(name);
      }
    };
    return { redis, release };
  };
  const relayLogger = logger.child({ component: 'relay' });

  let feed: RelayFeed | null = null;
  let releaseFeed: () => void = () => undefined;
  let publisher: RelayPublisher | null = null;
  let lease: CollectorLease | null = null;
  let leaseStopping = false;
  const leaseConnection = collector === null ? null : connection('commands');
  const commands = leaseConnection?.redis ?? null;

  const startFeed = async (loadWithinMs: number) => {
    const subscriber = connection('subscriber');
    const reader = connection('reader');
    const started = createRelayFeed({
      subscriber: subscriber.redis,
      commands: reader.redis,
      keys,
      indices: options.indices,
      store: options.store,
      pubsub: options.pubsub,
      statusStaleAfterMs: 3 * settings.heartbeatMs + 1_000,
      pingIntervalMs: settings.heartbeatMs,
      now: options.now,
      logger: relayLogger,
      ...(options.events === undefined ? {} : { events: options.events }),
    });
    feed = started;
    releaseFeed = () => {
      subscriber.release();
      reader.release();
    };
    await started.start(loadWithinMs);
  };
  const stopFeed = async () => {
    const stopping = feed;
    feed = null;
    // The feed disconnects both: released first, so a connection stopped mid-outage is not left down.
    releaseFeed();
    await stopping?.stop();
  };

  return {
    relay(snapshot) {
      publisher?.publish(snapshot);
    },
    async start() {
      await startFeed(options.loadWithinMs ?? 1_000);
    },
    async startLease() {
      if (collector === null || commands === null) {
        return;
      }
      await commands.connect().catch(() => undefined);
      lease = createCollectorLease({
        redis: commands,
        key: keys.lease,
        token,
        ttlMs: settings.leaseTtlMs,
        logger: relayLogger,
        onAcquired: async () => {
          if (leaseStopping) {
            return;
          }
          // The feed has filled the store up to the last holder's newest snapshot: collection goes on from it.
          await stopFeed();
          publisher = createRelayPublisher({
            redis: commands,
            keys,
            heartbeatMs: settings.heartbeatMs,
            logger: relayLogger,
            status: () => ({
              collectorId: token,
              provider: collector.providerHealth(),
              collectors: collector.status(),
              indices: options.indices,
              sentAt: options.now(),
            }),
            ...(options.events === undefined ? {} : { events: options.events }),
          });
          publisher.start();
          for (const held of options.store.list()) {
            publisher.publish(held);
          }
          collector.start();
          options.events?.onLeaseChanged?.(true);
        },
        onLost: async () => {
          await collector.stop();
          await publisher?.stop();
          publisher = null;
          options.events?.onLeaseChanged?.(false);
          await startFeed(0);
        },
      });
      lease.start();
    },
    servesRelay: () => feed !== null,
    relayHealth: () => feed?.health() ?? { ready: true, problems: [] },
    relayedStatus: () => feed?.collectorStatus() ?? [],
    async stopLease() {
      leaseStopping = true;
      if (lease === null) {
        return;
      }
      if (lease.state() === 'HOLDER') {
        await collector?.stop();
      }
      await publisher?.stop();
      publisher = null;
      await lease.stop();
    },
    async stop() {
      await this.stopLease();
      await stopFeed();
      leaseConnection?.release();
      commands?.disconnect();
    },
  };
}
