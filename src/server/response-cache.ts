import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { ApiScope } from './api-keys.ts';

/** One executed answer, shared by every identical request until the data changes or it expires. */
export interface SharedAnswer {
  readonly version: number;
  readonly expiresAtMs: number;
  readonly contentType: string;
  readonly body: Buffer;
  /** Strong validator of `body`: polling clients revalidate with If-None-Match and get a 304. */
  readonly etag: string;
  /** What the operation costs, charged to each client served it (as an execution would be). */
  readonly units: number;
  /** Scopes the operation needs: a key without them is answered by the full path (FORBIDDEN). */
  readonly scopes: ReadonlySet<ApiScope>;
  /** gzip of `body`, made on the first request that accepts it. */
  gzipped(): Buffer;
}

export interface ResponseCacheOptions {
  readonly ttlMs: number;
  readonly maxBytes: number;
  /** The data's version (the snapshot store's): an answer is current while it is unchanged. */
  readonly dataVersion: () => number;
  /** Monotonic milliseconds (performance.now); never the wall clock. */
  readonly nowMs?: () => number;
}

export interface ResponseCache {
  /** The current answer for `key`, if any. */
  get(key: string): SharedAnswer | undefined;
  /**
   * Resolves with the current answer for `key` once an execution already under way for it ends (null if
   * that execution's answer cannot be shared), or undefined at once when none is under way.
   */
  pending(key: string): Promise<SharedAnswer | null> | undefined;
  /**
   * Marks an execution for `key` as under way and returns how to finish it: with the answer to share, or
   * null when the answer cannot be shared (errors, a refusal). Identical requests arriving meanwhile wait
   * for it instead of executing again.
   */
  begin(
    key: string,
  ): (
    answer: Omit<SharedAnswer, 'version' | 'expiresAtMs' | 'etag' | 'gzipped'> | null,
    version: number,
  ) => SharedAnswer | null;
  readonly enabled: boolean;
  /** The data version now: an execution starting now produces an answer of this version. */
  version(): number;
  /** Answers held and their bytes. */
  size(): { entries: number; bytes: number };
}

export function createResponseCache(options: ResponseCacheOptions): ResponseCache {
  const nowMs = options.nowMs ?? (() => performance.now());
  const enabled = options.ttlMs > 0 && options.maxBytes > 0;
  // Insertion order is age order: eviction takes from the front.
  const entries = new Map<string, SharedAnswer>();
  const inFlight = new Map<string, Promise<SharedAnswer | null>>();
  let entriesVersion = -1;
  let bytes = 0;

  const drop = (key: string) => {
    const entry = entries.get(key);
    if (entry !== undefined) {
      bytes -= entry.body.length;
      entries.delete(key);
    }
  };
  const current = (entry: SharedAnswer) => entry.version === options.dataVersion() && nowMs() < entry.expiresAtMs;

  return {
    enabled,
    version: options.dataVersion,
    get(key) {
      if (!enabled) {
        return undefined;
      }
      const entry = entries.get(key);
      if (entry === undefined) {
        return undefined;
      }
      if (!current(entry)) {
        drop(key);
        return undefined;
      }
      return entry;
    },
    pending(key) {
      return enabled ? inFlight.get(key) : undefined;
    },
    begin(key) {
      let settle: (answer: SharedAnswer | null) => void = () => undefined;
      if (enabled) {
        inFlight.set(
          key,
          new Promise<SharedAnswer | null>((resolve) => {
            settle = resolve;
          }),
        );
      }
      return (answer, version) => {
        inFlight.delete(key);
        if (!enabled || answer === null || answer.body.length > options.maxBytes) {
          settle(null);
          return null;
        }
        // Every answer of an older version is dead at once: drop them all rather than one by one.
        if (version !== entriesVersion) {
          entries.clear();
          bytes = 0;
          entriesVersion = version;
        }
        let gzipped: Buffer | null = null;
        const shared: SharedAnswer = {
          ...answer,
          version,
          expiresAtMs: nowMs() + options.ttlMs,
          etag: `"${createHash('sha1').update(answer.body).digest('base64url')}"`,
          gzipped() {
            gzipped ??= gzipSync(answer.body, { level: 6 });
            return gzipped;
          },
        };
        drop(key);
        entries.set(key, shared);
        bytes += shared.body.length;
        for (const [oldest] of entries) {
          if (bytes <= options.maxBytes) {
            break;
          }
          drop(oldest);
        }
        settle(current(shared) ? shared : null);
        return shared;
      };
    },
    size() {
      return { entries: entries.size, bytes };
    },
  };
}
