import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ProgressFactory } from '../../cli/progress.ts';
import { INDEX_SPECS, type IndexSymbol } from '../../domain/indices.ts';
import type { KiteClient } from './kite-client.ts';
import { type KiteInstrument, normaliseInstruments, selectIndexDerivatives } from './kite-instruments.ts';
import { latestInstrumentRefreshAt } from './kite-schedule.ts';

export interface InstrumentSourceOptions {
  readonly client: Pick<KiteClient, 'getInstruments'>;
  readonly indices: readonly IndexSymbol[];
  /** JSON cache of the day's index derivatives; survives restarts so a restart costs no dump download. */
  readonly cachePath: string;
  readonly now: () => Date;
  /** After a failed download, the next try waits at least this long (the stale copy serves meanwhile). */
  readonly retryAfterMs?: number;
  /** Reports the download, one step per exchange: it is the slow part of a cold start. */
  readonly progress?: ProgressFactory;
}

export interface InstrumentSnapshot {
  readonly fetchedAt: Date;
  readonly instruments: readonly KiteInstrument[];
  /** True when today's dump could not be loaded and an older copy is in use. */
  readonly stale: boolean;
}

export interface InstrumentSource {
  /** The current dump (downloaded, cached or stale); throws only when no copy exists at all. */
  get(signal?: AbortSignal): Promise<InstrumentSnapshot>;
  /** Rows dropped as malformed in the last download. */
  lastRejectedRows(): number;
}

interface CacheFile {
  readonly fetchedAt: string;
  readonly indices: readonly string[];
  readonly instruments: readonly KiteInstrument[];
}

/**
 * Loads the NFO/BFO dumps at most once per Kite day (a copy fetched before the latest 08:00 IST is
 * stale), keeps only the configured indices' options and futures, and caches them on disk. Concurrent
 * callers share one download.
 */
export function createInstrumentSource(options: InstrumentSourceOptions): InstrumentSource {
  const retryAfterMs = options.retryAfterMs ?? 60_000;
  let current: { fetchedAt: Date; instruments: KiteInstrument[] } | null = null;
  let pending: Promise<InstrumentSnapshot> | null = null;
  let lastFailureAtMs = Number.NEGATIVE_INFINITY;
  let rejected = 0;
  let cacheChecked = false;

  const isFresh = (fetchedAt: Date) => fetchedAt.getTime() >= latestInstrumentRefreshAt(options.now()).getTime();
  const covers = (indices: readonly string[]) => options.indices.every((i) => indices.includes(i));

  async function readCache(): Promise<void> {
    try {
      const file = JSON.parse(await readFile(options.cachePath, 'utf8')) as CacheFile;
      const fetchedAt = new Date(file.fetchedAt);
      if (!Number.isNaN(fetchedAt.getTime()) && Array.isArray(file.instruments) && covers(file.indices)) {
        current = { fetchedAt, instruments: normaliseInstruments(file.instruments).instruments };
      }
    } catch {
      // No cache or an unreadable one: download.
    }
  }

  async function writeCache(fetchedAt: Date, instruments: KiteInstrument[]): Promise<void> {
    const file: CacheFile = { fetchedAt: fetchedAt.toISOString(), indices: options.indices, instruments };
    await mkdir(dirname(options.cachePath), { recursive: true });
    const temporary = `${options.cachePath}.${process.pid}.tmp`;
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(JSON.stringify(file));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, options.cachePath);
  }

  async function download(signal: AbortSignal | undefined): Promise<InstrumentSnapshot> {
    const exchanges = [...new Set(options.indices.map((index) => INDEX_SPECS[index].exchange))];
    const rows: unknown[] = [];
    const progress = options.progress?.({ label: 'instruments', total: exchanges.length, unit: 'exchanges' });
    try {
      for (const [i, exchange] of exchanges.entries()) {
        progress?.update(i, exchange);
        rows.push(...(await options.client.getInstruments(exchange, signal)));
      }
    } catch (error) {
      progress?.fail((error as Error).message);
      throw error;
    }
    progress?.done(`${rows.length} rows`);
    const normalised = normaliseInstruments(rows);
    rejected = normalised.rejected;
    const instruments = selectIndexDerivatives(normalised.instruments, options.indices);
    if (instruments.length === 0) {
      throw new Error(`instruments dump of ${exchanges.join('+')} lists no options of ${options.indices.join(', ')}`);
    }
    const fetchedAt = options.now();
    current = { fetchedAt, instruments };
    // A cache that cannot be written costs a download at the next restart, nothing more.
    await writeCache(fetchedAt, instruments).catch(() => undefined);
    return { fetchedAt, instruments, stale: false };
  }

  return {
    async get(signal) {
      if (!cacheChecked) {
        cacheChecked = true;
        await readCache();
      }
      if (current !== null && isFresh(current.fetchedAt)) {
        return { ...current, stale: false };
      }
      const fallback = current;
      if (fallback !== null && options.now().getTime() - lastFailureAtMs < retryAfterMs) {
        return { ...fallback, stale: true };
      }
      pending ??= download(signal).finally(() => {
        pending = null;
      });
      try {
        return await pending;
      } catch (error) {
        lastFailureAtMs = options.now().getTime();
        if (fallback !== null) {
          return { ...fallback, stale: true };
        }
        throw error;
      }
    },
    lastRejectedRows() {
      return rejected;
    },
  };
}
