import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config, RedisConfig, Role } from '../config.ts';
import type { IndexSymbol } from '../domain/indices.ts';

export interface ReplaySettings {
  /** Inclusive IST days, `YYYY-MM-DD`. */
  readonly fromDay: string;
  readonly toDay: string;
  readonly speed: number;
}

/**
 * - `serve`: everything in one process, without Redis.
 * - `replay`: stored CSV days played back (`g6 replay`), a process of its own: no role, no Redis, no writes.
 * - `collector`: collects while it holds the Redis lease, serving the relay as a hot standby meanwhile
 *   (G6_ROLE collector, or all with G6_REDIS_URL).
 * - `api`: serves what the collector relays and collects nothing.
 */
export type AppModeName = 'serve' | 'replay' | 'collector' | 'api';

export type ProviderSource =
  /** The simulated market (G6_MOCK_MODE) or Kite. */
  | { readonly kind: 'configured' }
  | { readonly kind: 'replay'; readonly replay: ReplaySettings }
  /** A replica's: it never calls a provider, the relay is its source. */
  | { readonly kind: 'relay-only' };

/** Every choice that differs between modes, made once, so assembly reads answers instead of deriving them. */
export interface AppMode {
  readonly name: AppModeName;
  readonly role: Role;
  readonly redis: RedisConfig | null;
  /** Runs a provider and collects (scaled out, only while holding the lease). */
  readonly collects: boolean;
  /** One process writes a data directory (CSV, spool, Kite cache): it takes the lock before writing. */
  readonly locksDataDir: boolean;
  readonly writesSinks: boolean;
  /** Runs the collection loop; a replay's provider plays on its own, so it has live updates only. */
  readonly runsLoop: boolean;
  /** Started while closed, serves the session's close from storage (with a history and the exchange's clock). */
  readonly restoresClosingSnapshot: boolean;
  readonly collectsOutsideHours: boolean;
  /** A snapshot older than this while its market trades is stale: the largest of the indices' limits. */
  readonly staleAfterMs: number;
  /** Each index's own limit, from its collection interval (G6_CONFIG_FILE may give each its own). */
  readonly staleAfterMsByIndex: ReadonlyMap<IndexSymbol, number>;
  /** Live ticks published per index per second at most. */
  readonly liveUpdatesPerSecond: number;
  readonly provider: ProviderSource;
  /** Whether the CSV store can be read for history, and the schema's reason when it cannot (else its own). */
  readonly history: { readonly readable: boolean; readonly unavailableReason?: string };
}

/** The mode `config` and a replay (or none) ask for. Looks once at the data directory, for an API replica. */
export function appModeOf(config: Config, replay: ReplaySettings | undefined): AppMode {
  const ownHistory = { readable: config.csvEnabled };
  if (replay !== undefined) {
    return {
      name: 'replay',
      role: 'ALL',
      redis: null,
      collects: true,
      locksDataDir: false,
      // It re-reads the store; writing it back would only duplicate what is there.
      writesSinks: false,
      runsLoop: false,
      restoresClosingSnapshot: false,
      // It plays stored sessions whatever the hour.
      collectsOutsideHours: true,
      // Replayed snapshots carry their stored times; they are history, not stale data.
      staleAfterMs: Number.POSITIVE_INFINITY,
      staleAfterMsByIndex: new Map(config.indices.map((index) => [index, Number.POSITIVE_INFINITY])),
      // It publishes every stored snapshot; live ticks are coalesced.
      liveUpdatesPerSecond: Number.POSITIVE_INFINITY,
      provider: { kind: 'replay', replay },
      history: ownHistory,
    };
  }
  const staleAfterMsOf = (intervalMs: number) =>
    Math.max(config.health.staleIntervals * intervalMs, intervalMs + config.collectionTimeoutMs);
  const staleAfterMsByIndex = new Map(
    config.indices.map((index) => [
      index,
      staleAfterMsOf(config.collection.get(index)?.intervalMs ?? config.collectionIntervalMs),
    ]),
  );
  const live = {
    role: config.role,
    redis: config.redis,
    collectsOutsideHours: config.collectOutsideHours,
    staleAfterMs: Math.max(staleAfterMsOf(config.collectionIntervalMs), ...staleAfterMsByIndex.values()),
    staleAfterMsByIndex,
    liveUpdatesPerSecond: config.liveUpdatesPerSecond,
  };
  if (config.role === 'API') {
    // It reads the collector's CSV store when its data directory is shared (read-only).
    const csvDir = resolve(config.dataDir, 'csv');
    return {
      ...live,
      name: 'api',
      collects: false,
      locksDataDir: false,
      writesSinks: false,
      runsLoop: false,
      restoresClosingSnapshot: false,
      provider: { kind: 'relay-only' },
      history: {
        readable: existsSync(csvDir),
        unavailableReason:
          `history is read from the collector's CSV store, and this API replica has none at ${csvDir} ` +
          "(mount the collector's G6_DATA_DIR here, read-only, to serve history)",
      },
    };
  }
  return {
    ...live,
    name: config.redis === null ? 'serve' : 'collector',
    collects: true,
    locksDataDir: true,
    writesSinks: true,
    runsLoop: true,
    // Collecting whatever the hour, there is no closed start to serve from storage.
    restoresClosingSnapshot: !config.collectOutsideHours,
    provider: { kind: 'configured' },
    // Without CSV (G6_ENABLE_CSV=false) the schema gives its own reason.
    history: ownHistory,
  };
}
