import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { IndexSymbol } from '../domain/indices.ts';
import type { IndexSnapshot } from '../domain/snapshot.ts';
import type { RelayKeys } from './redis-connection.ts';
import type { CollectorStatus } from './relay-codec.ts';
import { encodeRelayMessage } from './relay-codec.ts';

export interface RelayPublisherEvents {
  onPublished?(kind: 'snapshot' | 'status', bytes: number): void;
  onFailed?(): void;
}

export interface RelayPublisher {
  /** Relays a snapshot: the latest per index is kept in Redis and announced on the channel. */
  publish(snapshot: IndexSnapshot): void;
  /** Sends the collector's status now, and then every `heartbeatMs` until `stop`. */
  start(): void;
  stop(): Promise<void>;
}

export interface RelayPublisherOptions {
  readonly redis: Redis;
  readonly keys: RelayKeys;
  readonly status: () => CollectorStatus;
  readonly heartbeatMs: number;
  readonly logger: Logger;
  readonly events?: RelayPublisherEvents;
}

/**
 * The collector's half of the relay. Each snapshot is written as the index's latest (`SET`, so a replica
 * started late, or back from an outage, reads it at once) and published (`PUBLISH`) in one pipeline.
 * Redis pub/sub rather than Streams: every message is a complete snapshot that supersedes the one before,
 * so a replica that missed some needs only the newest, which the latest key holds; a stream would keep
 * (and on reconnect replay) history nobody should be shown as new. While Redis is down only the newest
 * snapshot per index waits (it is re-sent on reconnect); collection and storage never wait on it.
 */
export function createRelayPublisher(options: RelayPublisherOptions): RelayPublisher {
  const { redis, keys, logger } = options;
  const waiting = new Map<IndexSymbol, Buffer>();
  let statusDue = false;
  let busy = false;
  // A write timed out on a connection that still looks open (Redis stopped, not gone): the bytes may yet be
  // executed when it wakes, so nothing more is written until a PING comes back. After a stall, replicas
  // then get at most the one snapshot that was in flight before the newest, never a burst of old ones.
  let suspect = false;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();

  const pump = () => {
    if (busy || stopped || redis.status !== 'ready' || (waiting.size === 0 && !statusDue && !suspect)) {
      return;
    }
    busy = true;
    if (suspect) {
      inFlight = redis
        .ping()
        .then(() => {
          suspect = false;
        })
        .catch(() => undefined)
        .finally(done);
      return;
    }
    const batch = [...waiting];
    const pipeline = redis.pipeline();
    for (const [index, bytes] of batch) {
      pipeline.set(keys.latest(index), bytes);
      pipeline.publish(keys.channel, bytes);
    }
    let statusBytes: Buffer | null = null;
    if (statusDue) {
      statusDue = false;
      statusBytes = encodeRelayMessage({ kind: 'status', status: options.status() });
      pipeline.set(keys.status, statusBytes).publish(keys.channel, statusBytes);
    }
    inFlight = pipeline
      .exec()
      .then((results) => {
        const failed =
          results === null ? new Error('pipeline aborted') : results.find(([error]) => error !== null)?.[0];
        if (failed !== undefined && failed !== null) {
          throw failed;
        }
        for (const [index, bytes] of batch) {
          // A newer snapshot that arrived meanwhile stays for the next write.
          if (waiting.get(index) === bytes) {
            waiting.delete(index);
          }
          options.events?.onPublished?.('snapshot', bytes.length);
        }
        if (statusBytes !== null) {
          options.events?.onPublished?.('status', statusBytes.length);
        }
      })
      .catch((error: unknown) => {
        suspect = true;
        options.events?.onFailed?.();
        logger.debug({ err: error }, 'relay write failed; the newest snapshot per index is sent when Redis answers');
      })
      .finally(done);
  };
  function done() {
    busy = false;
    pump();
  }
  const onReady = () => {
    // A new connection: what the old one had in flight died with it.
    suspect = false;
    statusDue = true;
    pump();
  };

  return {
    publish(snapshot) {
      if (stopped) {
        return;
      }
      waiting.set(snapshot.index, encodeRelayMessage({ kind: 'snapshot', snapshot }));
      pump();
    },
    start() {
      redis.on('ready', onReady);
      const beat = () => {
        statusDue = true;
        pump();
        timer = setTimeout(beat, options.heartbeatMs);
      };
      beat();
    },
    async stop() {
      stopped = true;
      redis.off('ready', onReady);
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
      await inFlight;
    },
  };
}
