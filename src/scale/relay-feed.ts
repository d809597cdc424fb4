import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { IndexCollectionStatus } from '../collectors/collection-loop.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import type { IndexSnapshot } from '../domain/snapshot.ts';
import type { ProviderHealth } from '../providers/market-data-provider.ts';
import type { SnapshotPubSub } from '../store/snapshot-pubsub.ts';
import type { SnapshotStore } from '../store/snapshot-store.ts';
import type { RelayKeys } from './redis-connection.ts';
import {
  type CollectorStatus,
  decodeRelayMessage,
  type RelayMessage,
  UnsupportedRelayFormatError,
} from './relay-codec.ts';

export interface RelayFeedEvents {
  onSnapshot?(index: IndexSymbol, outcome: 'applied' | 'old'): void;
  onRejected?(): void;
}

export interface RelayFeed {
  /** Connects, subscribes and loads the latest snapshots; resolves once loaded or after `loadWithinMs`. */
  start(loadWithinMs: number): Promise<void>;
  /** Ready while Redis is up and the collector's status is fresh, and the collector's provider is. */
  health(): ProviderHealth;
  /** The collector's per-index status as it last said (for freshness and `/ready`). */
  collectorStatus(): readonly IndexCollectionStatus[];
  stop(): Promise<void>;
}

export interface RelayFeedOptions {
  /** Subscriber-mode connection (it can do nothing else) and a command connection beside it. */
  readonly subscriber: Redis;
  readonly commands: Redis;
  readonly keys: RelayKeys;
  readonly indices: readonly IndexSymbol[];
  readonly store: SnapshotStore;
  readonly pubsub: SnapshotPubSub;
  /** The collector's status older than this means it is gone (it beats every heartbeat interval). */
  readonly statusStaleAfterMs: number;
  /**
   * How often Redis is PINGed: a stopped server keeps the subscriber's connection open and silent, so
   * only an unanswered command tells this replica it is not hearing the collector because of Redis.
   */
  readonly pingIntervalMs: number;
  readonly now: () => Date;
  readonly logger: Logger;
  readonly events?: RelayFeedEvents;
}

/**
 * An API replica's view of the collector: snapshots from the relay go into this process's own store and
 * pub/sub, so every query and subscription works exactly as in one process. A snapshot is applied only if
 * it is newer than the one held (higher `seq`, or observed later, as after a collector restart), so the
 * latest-key load after a reconnect and messages racing it can never put an old snapshot back, and
 * subscribers see one `seq` gap followed by the current snapshot rather than a burst of old ones.
 */
export function createRelayFeed(options: RelayFeedOptions): RelayFeed {
  const { subscriber, commands, keys, store, pubsub, logger } = options;
  let status: CollectorStatus | null = null;
  let statusReceivedAt = 0;
  let warnedFormat = false;
  let stopped = false;
  let subscriberUp = false;
  let downSince: Date | null = null;
  let markLoaded: () => void = () => undefined;
  let unansweredSince: Date | null = null;
  let pingTimer: NodeJS.Timeout | null = null;
  let pingSentAt: Date | null = null;
  const ping = () => {
    pingSentAt = options.now();
    commands
      .ping()
      .then(() => {
        unansweredSince = null;
        pingSentAt = null;
      })
      .catch(() => {
        unansweredSince ??= pingSentAt;
        pingSentAt = null;
      })
      .finally(() => {
        if (!stopped) {
          pingTimer = setTimeout(ping, options.pingIntervalMs);
        }
      });
  };
  const firstLoad = new Promise<void>((resolve) => {
    markLoaded = resolve;
  });

  const apply = (message: RelayMessage) => {
    if (message.kind === 'status') {
      if (status !== null && status.collectorId !== message.status.collectorId) {
        logger.info(
          { from: status.collectorId, to: message.status.collectorId },
          'collector changed: another collector holds the lease now',
        );
      }
      status = message.status;
      statusReceivedAt = options.now().getTime();
      return;
    }
    const snapshot = message.snapshot;
    if (!options.indices.includes(snapshot.index)) {
      return;
    }
    const held = store.getIndex(snapshot.index);
    if (held !== undefined && !isNewer(snapshot, held)) {
      options.events?.onSnapshot?.(snapshot.index, 'old');
      return;
    }
    store.put(snapshot);
    pubsub.publish(snapshot);
    options.events?.onSnapshot?.(snapshot.index, 'applied');
  };

  const receive = (bytes: Buffer | null) => {
    if (bytes === null) {
      return;
    }
    try {
      apply(decodeRelayMessage(bytes));
    } catch (error) {
      options.events?.onRejected?.();
      if (!warnedFormat) {
        warnedFormat = true;
        logger.error(
          { err: error, formatVersion: error instanceof UnsupportedRelayFormatError ? error.formatVersion : null },
          'relay message rejected: this replica cannot read it (logged once; later ones are counted)',
        );
      }
    }
  };

  const loadLatest = async () => {
    const [snapshots, latestStatus] = await Promise.all([
      commands.mgetBuffer(options.indices.map((index) => keys.latest(index))),
      commands.getBuffer(keys.status),
    ]);
    receive(latestStatus);
    for (const bytes of snapshots) {
      receive(bytes);
    }
  };

  const onMessage = (channel: Buffer, message: Buffer) => {
    if (channel.toString() === keys.channel) {
      receive(message);
    }
  };
  // Every (re)connection of either connection: make sure the channel is subscribed (ioredis resubscribes
  // after announcing ready; one more SUBSCRIBE, queued behind it, confirms it), then read what was missed.
  const refresh = () => {
    if (stopped || subscriber.status !== 'ready' || commands.status !== 'ready') {
      return;
    }
    subscriberUp = true;
    downSince = null;
    subscriber
      .subscribe(keys.channel)
      .then(loadLatest)
      .then(() => markLoaded())
      .catch((error: unknown) => logger.warn({ err: error }, 'reading the latest snapshots failed'));
  };
  const onDown = () => {
    if (subscriberUp || downSince === null) {
      downSince = options.now();
    }
    subscriberUp = false;
  };

  return {
    async start(loadWithinMs) {
      subscriber.on('messageBuffer', onMessage);
      subscriber.on('close', onDown);
      subscriber.on('error', onDown);
      subscriber.on('ready', refresh);
      commands.on('ready', refresh);
      // A failed first connection is retried by ioredis like any other; `refresh` runs when both are up.
      subscriber.connect().catch(() => undefined);
      commands.connect().catch(() => undefined);
      pingTimer = setTimeout(ping, options.pingIntervalMs);
      let timer: NodeJS.Timeout | undefined;
      const loaded = await Promise.race([
        firstLoad.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), loadWithinMs);
        }),
      ]);
      clearTimeout(timer);
      if (!loaded) {
        logger.warn({ loadWithinMs }, 'relay not reachable at start: serving nothing until it is (retrying)');
      }
    },
    health() {
      const problems: string[] = [];
      const nowMs = options.now().getTime();
      // A PING unanswered for longer than the interval is Redis not answering, before its timeout says so.
      const silentSince =
        unansweredSince ??
        (pingSentAt !== null && nowMs - pingSentAt.getTime() > options.pingIntervalMs ? pingSentAt : null);
      if (!subscriberUp) {
        problems.push(
          `redis: relay disconnected${downSince === null ? '' : ` since ${downSince.toISOString()}`}; serving the last snapshots as stale`,
        );
      } else if (silentSince !== null) {
        problems.push(`redis: not answering since ${silentSince.toISOString()}; serving the last snapshots as stale`);
      } else if (status === null) {
        problems.push('collector: no status on the relay yet (is a collector running against this Redis?)');
      } else if (nowMs - statusReceivedAt > options.statusStaleAfterMs) {
        problems.push(
          `collector: ${status.collectorId} silent for ${Math.round((nowMs - statusReceivedAt) / 1000)} s; serving the last snapshots as stale`,
        );
      } else {
        problems.push(...status.provider.problems.map((p) => `collector: ${p}`));
      }
      const fresh = nowMs - statusReceivedAt <= options.statusStaleAfterMs;
      return { ready: subscriberUp && silentSince === null && fresh && status?.provider.ready === true, problems };
    },
    collectorStatus: () => status?.collectors.filter((s) => options.indices.includes(s.index)) ?? [],
    async stop() {
      stopped = true;
      if (pingTimer !== null) {
        clearTimeout(pingTimer);
      }
      subscriber.off('messageBuffer', onMessage);
      subscriber.off('ready', refresh);
      commands.off('ready', refresh);
      subscriber.off('close', onDown);
      subscriber.off('error', onDown);
      subscriber.disconnect();
      commands.disconnect();
    },
  };
}

function isNewer(candidate: IndexSnapshot, held: IndexSnapshot): boolean {
  return candidate.seq > held.seq || candidate.observedAt.getTime() > held.observedAt.getTime();
}
