import { join } from 'node:path';
import type { Logger } from 'pino';
import { strikeWindow } from '../../analytics/atm-strike.ts';
import type { ProgressFactory } from '../../cli/progress.ts';
import type { ChainSelection } from '../../config-file.ts';
import { segmentOf } from '../../domain/calendar/calendar-data.ts';
import type { ExchangeCalendar } from '../../domain/calendar/exchange-calendar.ts';
import { AppError, ERROR_CODES } from '../../domain/errors.ts';
import { INDEX_SPECS, type IndexSymbol } from '../../domain/indices.ts';
import type { ExpiryQuotes, IndexMarketData, StrikeQuotes } from '../../domain/market-data.ts';
import type { MarketDataProvider, ProviderHealth } from '../market-data-provider.ts';
import { createInstrumentSource, type InstrumentSource } from './instrument-source.ts';
import {
  createKiteClient,
  KITE_LIMITS,
  type KiteClient,
  type KiteEndpoint,
  type KiteRequestOutcome,
} from './kite-client.ts';
import { KiteCredentials, type TokenState } from './kite-credentials.ts';
import {
  buildIndexCatalog,
  type IndexCatalog,
  selectCollectedExpiries,
  selectWantedExpiries,
} from './kite-instruments.ts';
import { futuresPrice, quoteLastPrice, quoteSpotDay, quoteToOptionQuote } from './kite-quotes.ts';
import { createTickerStream, type TickerStream } from './kite-ticker-stream.ts';
import { LiveIndexChain, type TickOutcome } from './live-chain.ts';

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/** Hooks for metrics; every one optional. */
export interface KiteProviderEvents {
  onRequest?(endpoint: KiteEndpoint, outcome: KiteRequestOutcome, durationMs: number): void;
  onTokenState?(state: TokenState): void;
  onTick?(outcome: TickOutcome): void;
  onTickerConnection?(connected: boolean): void;
  onTickerReconnect?(): void;
  onMalformedQuote?(index: IndexSymbol): void;
}

export interface KiteProviderOptions {
  readonly apiKey: string;
  readonly apiSecret: string | null;
  readonly environmentToken: string | null;
  readonly tokenFile: string | null;
  readonly passphrase: string | null;
  /** REST and ticker base URLs (G6_KITE_ROOT, G6_KITE_TICKER_ROOT); Kite's own when undefined. */
  readonly root?: string;
  readonly tickerRoot?: string;
  readonly indices: readonly IndexSymbol[];
  /** Strikes each side of ATM to collect; 0 collects whole chains. */
  readonly strikesAroundAtm: number;
  /**
   * Per index (Config.collection): its own strike window in place of strikesAroundAtm, and only the
   * expiries it asks for are quoted. An index missing here quotes strikesAroundAtm of every expiry.
   */
  readonly collection?: ReadonlyMap<IndexSymbol, ChainSelection>;
  /** Extra strikes fetched beyond the window so it stays covered while spot moves between collections. */
  readonly strikeMargin?: number;
  /** Instruments cache lives here (the data dir's `kite/`). */
  readonly cacheDir: string;
  readonly requestTimeoutMs: number;
  /** Stream ticks over KiteTicker between collections. */
  readonly ticker: boolean;
  /** Carry used to centre each expiry's strike window on its forward. */
  readonly rate: number;
  readonly dividendYield: number;
  readonly quoteRequestsPerSecond?: number;
  readonly tickerBackoffMs?: { readonly base: number; readonly max: number };
  readonly tokenWatchIntervalMs?: number;
  readonly now: () => Date;
  /** Expiry cut-offs (Kite lists the dates; the calendar says when each stops trading). */
  readonly calendar: ExchangeCalendar;
  readonly logger: Logger;
  readonly events?: KiteProviderEvents;
  readonly random?: () => number;
  /** Reports the instruments download (one step per exchange). */
  readonly progress?: ProgressFactory;
}

export interface KiteProvider extends MarketDataProvider {
  readonly credentials: KiteCredentials;
  tickerConnected(): boolean;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    out.push(items.slice(i, i + size));
  }
  return out;
}

/**
 * Kite Connect as a market-data provider: the day's instruments (cached), chain snapshots by batched
 * `/quote` calls under Kite's rate limits, and KiteTicker full-mode ticks merged into the last snapshot
 * between collections. Token problems stop all requests until a new token arrives.
 */
export function createKiteProvider(options: KiteProviderOptions): KiteProvider {
  const { logger, events } = options;
  const margin = options.strikeMargin ?? 5;
  /** The index's window each side of ATM; both 0 means whole chains. */
  const windowOf = (index: IndexSymbol) => {
    const selection = options.collection?.get(index);
    return {
      below: selection?.strikesBelowAtm ?? options.strikesAroundAtm,
      above: selection?.strikesAboveAtm ?? options.strikesAroundAtm,
    };
  };
  const client: KiteClient = createKiteClient({
    apiKey: options.apiKey,
    accessToken: null,
    ...(options.root === undefined ? {} : { root: options.root }),
    timeoutMs: options.requestTimeoutMs,
    ...(options.quoteRequestsPerSecond === undefined ? {} : { quoteRequestsPerSecond: options.quoteRequestsPerSecond }),
    secrets: options.apiSecret === null ? [] : [options.apiSecret],
    ...(options.random === undefined ? {} : { random: options.random }),
    onRequest: (endpoint, outcome, durationMs) => events?.onRequest?.(endpoint, outcome, durationMs),
    onTokenRejected: (failure) => credentials.reject(failure.message),
  });
  const instruments: InstrumentSource = createInstrumentSource({
    client,
    indices: options.indices,
    cachePath: join(options.cacheDir, 'instruments.json'),
    now: options.now,
    progress: options.progress,
  });
  let ticker: TickerStream | null = null;
  const credentials = new KiteCredentials({
    apiKey: options.apiKey,
    environmentToken: options.environmentToken,
    tokenFile: options.tokenFile,
    passphrase: options.passphrase,
    client,
    now: options.now,
    logger,
    ...(options.tokenWatchIntervalMs === undefined ? {} : { watchIntervalMs: options.tokenWatchIntervalMs }),
    onChange: (state) => {
      events?.onTokenState?.(state);
      if (state.status === 'valid') {
        if (marketOpen) {
          ticker?.resume(state.accessToken);
        }
      } else {
        logger.error({ status: state.status, reason: state.reason }, 'Kite access token unusable; collection paused');
        ticker?.pause();
      }
    },
  });

  const catalogs = new Map<IndexSymbol, { key: string; catalog: IndexCatalog }>();
  const lastSpot = new Map<IndexSymbol, number>();
  const live = new Map<IndexSymbol, LiveIndexChain>();
  const liveTokens = new Map<IndexSymbol, Array<{ token: number; rank: number }>>();
  const tokenOwner = new Map<number, IndexSymbol>();
  const listeners = new Set<(index: IndexSymbol) => void>();
  let instrumentsStale = false;
  // Outside sessions the ticker socket is dropped (Kite sends nothing worth keeping then).
  let marketOpen = true;
  let closed = false;
  let expiryTimer: NodeJS.Timeout | undefined;

  const catalogFor = (index: IndexSymbol, fetchedAt: Date, list: Parameters<typeof buildIndexCatalog>[1]) => {
    // Rebuilt when the dump changes or an expiry passes (the catalog drops expired series).
    const now = options.now();
    // Per minute: a cut-off (15:40 IST = 10:10 UTC) need not fall on an hour.
    const key = `${fetchedAt.toISOString()}|${now.toISOString().slice(0, 16)}`;
    const cached = catalogs.get(index);
    if (cached !== undefined && cached.key === key) {
      return cached.catalog;
    }
    const catalog = buildIndexCatalog(index, list, now, options.calendar);
    catalogs.set(index, { key, catalog });
    return catalog;
  };

  const refreshTickerTokens = () => {
    if (ticker === null) {
      return;
    }
    tokenOwner.clear();
    const all: Array<{ token: number; rank: number }> = [];
    for (const index of options.indices) {
      const { below, above } = windowOf(index);
      const reach = Math.max(below, above);
      for (const entry of liveTokens.get(index) ?? []) {
        // The margin strikes beyond the window are fetched by REST only.
        if (reach > 0 && entry.rank > reach) {
          continue;
        }
        tokenOwner.set(entry.token, index);
        all.push(entry);
      }
    }
    // Nearest-the-money first across all indices: past 3000 tokens, the far wings go unstreamed.
    all.sort((a, b) => a.rank - b.rank);
    ticker.setTokens(all.map((e) => e.token));
  };

  const onTicks = (ticks: readonly unknown[]) => {
    if (credentials.current().status !== 'valid') {
      return;
    }
    const changed = new Set<IndexSymbol>();
    for (const raw of ticks) {
      if (typeof raw !== 'object' || raw === null) {
        events?.onTick?.('malformed');
        continue;
      }
      const tick = raw as Record<string, unknown>;
      const index = typeof tick.instrument_token === 'number' ? tokenOwner.get(tick.instrument_token) : undefined;
      const chain = index === undefined ? undefined : live.get(index);
      const outcome = chain === undefined ? 'unknown' : chain.apply(tick);
      events?.onTick?.(outcome);
      if (outcome === 'applied' && index !== undefined) {
        changed.add(index);
      }
    }
    for (const index of changed) {
      for (const listener of listeners) {
        listener(index);
      }
    }
  };

  async function quoteAll(
    keys: readonly string[],
    signal: AbortSignal,
  ): Promise<{ data: Map<string, unknown>; rejectedBatches: number }> {
    const data = new Map<string, unknown>();
    let rejectedBatches = 0;
    for (const batch of chunk(keys, KITE_LIMITS.instrumentsPerQuote)) {
      try {
        const result = await client.getQuote(batch, signal);
        for (const key of batch) {
          if (Object.hasOwn(result, key)) {
            data.set(key, result[key]);
          }
        }
      } catch (error) {
        // A batch Kite refuses outright (InputException…) leaves its contracts missing; the chain stays.
        if (error instanceof AppError && error.code === ERROR_CODES.PROVIDER_REJECTED) {
          rejectedBatches += 1;
          logger.warn({ error: error.message, instruments: batch.length }, 'Kite refused a quote batch');
          continue;
        }
        throw error;
      }
    }
    return { data, rejectedBatches };
  }

  return {
    name: 'kite',
    credentials,

    async start() {
      await credentials.start();
      if (options.ticker) {
        const state = credentials.current();
        ticker = createTickerStream({
          apiKey: options.apiKey,
          accessToken: state.status === 'valid' ? state.accessToken : '',
          ...(options.tickerRoot === undefined ? {} : { root: options.tickerRoot }),
          logger,
          onTicks,
          onConnectionChange: (connected) => {
            events?.onTickerConnection?.(connected);
            logger.info({ connected }, connected ? 'Kite ticker connected' : 'Kite ticker disconnected');
          },
          onReconnectScheduled: (attempt, delayMs) => {
            events?.onTickerReconnect?.();
            logger.debug({ attempt, delayMs: Math.round(delayMs) }, 'Kite ticker reconnect scheduled');
          },
          ...(options.tickerBackoffMs === undefined
            ? {}
            : { baseBackoffMs: options.tickerBackoffMs.base, maxBackoffMs: options.tickerBackoffMs.max }),
          ...(options.random === undefined ? {} : { random: options.random }),
        });
        if (state.status !== 'valid' || !marketOpen) {
          ticker.pause();
        }
        ticker.start();
      }
      // The 06:00 IST expiry applies even when nothing asks (quiet hours): checked once a minute.
      expiryTimer = setInterval(() => credentials.current(), 60_000);
      expiryTimer.unref();
    },

    async fetchIndex(index, signal) {
      credentials.require();
      const dump = await instruments.get(signal);
      instrumentsStale = dump.stale;
      const catalog = catalogFor(index, dump.fetchedAt, dump.instruments);
      const expiries = selectCollectedExpiries(catalog);
      if (expiries.length === 0) {
        throw new AppError(ERROR_CODES.PROVIDER_UNAVAILABLE, `Kite lists no open ${index} option expiries`, {
          retryable: true,
        });
      }
      // Unwanted expiries stay listed, empty, so the snapshot's tags are resolved over all of them.
      const wanted = selectWantedExpiries(expiries, options.collection?.get(index)?.expiries ?? 'ALL');
      const futureKeys = expiries.flatMap((e) =>
        e.future === null || !wanted.has(e.expiry) ? [] : [e.future.quoteKey],
      );
      let spot = lastSpot.get(index) ?? null;
      const early = new Map<string, unknown>();
      if (spot === null) {
        // First collection: the window needs a spot before the chain can be asked for.
        const first = await quoteAll([catalog.spot.quoteKey, ...futureKeys], signal);
        for (const [key, value] of first.data) {
          early.set(key, value);
        }
        spot = quoteLastPrice(early.get(catalog.spot.quoteKey));
        if (spot === null) {
          throw new AppError(ERROR_CODES.PROVIDER_UNAVAILABLE, `Kite returned no quote for ${catalog.spot.quoteKey}`, {
            retryable: true,
          });
        }
      }
      const nowMs = options.now().getTime();
      const { below, above } = windowOf(index);
      const whole = below === 0 && above === 0;
      const windows = expiries.map((expiry) => {
        if (!wanted.has(expiry.expiry)) {
          return { expiry, strikes: [] };
        }
        const cutoff = options.calendar.expiryCutoff(segmentOf(INDEX_SPECS[index]), expiry.expiry);
        const years = Math.max(0, cutoff.getTime() - nowMs) / YEAR_MS;
        const forward = (spot as number) * Math.exp((options.rate - options.dividendYield) * years);
        const strikes = whole ? expiry.strikes : strikeWindow(expiry.strikes, forward, below + margin, above + margin);
        return { expiry, strikes };
      });
      const optionKeys = windows.flatMap((w) =>
        w.strikes.flatMap((s) => [s.call?.quoteKey, s.put?.quoteKey].filter((k): k is string => k !== undefined)),
      );
      const keys = early.size > 0 ? optionKeys : [catalog.spot.quoteKey, ...futureKeys, ...optionKeys];
      const { data } = await quoteAll(keys, signal);
      for (const [key, value] of early) {
        data.set(key, value);
      }
      const spotNow = quoteLastPrice(data.get(catalog.spot.quoteKey));
      if (spotNow === null) {
        throw new AppError(ERROR_CODES.PROVIDER_UNAVAILABLE, `Kite returned no quote for ${catalog.spot.quoteKey}`, {
          retryable: true,
        });
      }
      signal.throwIfAborted();

      let malformed = 0;
      const futureTokens = new Map<string, number>();
      const chains: ExpiryQuotes[] = windows.map(({ expiry, strikes }) => {
        if (expiry.future !== null && wanted.has(expiry.expiry)) {
          futureTokens.set(expiry.expiry, expiry.future.instrumentToken);
        }
        const rows: StrikeQuotes[] = [];
        for (const s of strikes) {
          const leg = (ref: typeof s.call) => {
            if (ref === null || !data.has(ref.quoteKey)) {
              return null;
            }
            const quote = quoteToOptionQuote(ref.tradingsymbol, data.get(ref.quoteKey));
            if (quote === null) {
              malformed += 1;
              return null;
            }
            // Kite's quote carries the token, but the catalog's is the one the ticker uses.
            return { ...quote, instrumentToken: ref.instrumentToken };
          };
          const call = leg(s.call);
          const put = leg(s.put);
          // Kite leaves out contracts it has no data for; a strike with neither leg says nothing.
          if (call !== null || put !== null) {
            rows.push({ strike: s.strike, call, put });
          }
        }
        return {
          expiry: expiry.expiry,
          kind: expiry.kind,
          futuresPrice:
            expiry.future === null || !wanted.has(expiry.expiry)
              ? null
              : futuresPrice(data.get(expiry.future.quoteKey)),
          strikes: rows,
        };
      });
      if (malformed > 0) {
        logger.warn({ index, malformed }, 'malformed Kite quotes left out');
        for (let i = 0; i < malformed; i += 1) {
          events?.onMalformedQuote?.(index);
        }
      }
      const result: IndexMarketData = {
        index,
        observedAt: options.now(),
        spot: spotNow,
        // The same quote entry as the spot, so the day and the level agree.
        spotDay: quoteSpotDay(data.get(catalog.spot.quoteKey)),
        expiries: chains,
      };
      lastSpot.set(index, spotNow);
      const chain = new LiveIndexChain(result, catalog.spot.instrumentToken, futureTokens);
      live.set(index, chain);
      liveTokens.set(index, chain.rankedTokens());
      refreshTickerTokens();
      return result;
    },

    health(): ProviderHealth {
      const problems: string[] = [];
      const state = credentials.current();
      if (state.status !== 'valid') {
        problems.push(`kite: ${state.reason}`);
      }
      if (instrumentsStale) {
        problems.push("kite: today's instruments dump could not be loaded; using an older copy");
      }
      let tickerReason: string | null = null;
      if (ticker !== null && marketOpen && state.status === 'valid' && !ticker.isConnected() && live.size > 0) {
        tickerReason = 'kite: ticker disconnected (live ticks paused; REST snapshots continue)';
        problems.push(tickerReason);
      }
      if (ticker !== null && ticker.droppedTokens() > 0) {
        problems.push(`kite: ${ticker.droppedTokens()} instruments beyond the ticker's 3000 are not streamed`);
      }
      // Ticker and dump problems degrade; only an unusable token makes the provider not ready.
      return {
        ready: state.status === 'valid',
        problems,
        ...(ticker === null ? {} : { ticker: { up: tickerReason === null, reason: tickerReason } }),
      };
    },

    subscribeLive(onChange) {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },

    liveData(index) {
      return live.get(index)?.snapshot(options.now()) ?? null;
    },

    setMarketOpen(open) {
      if (open === marketOpen) {
        return;
      }
      marketOpen = open;
      logger.info(
        { marketOpen: open },
        open ? 'market session ahead: Kite ticker resumes' : 'market closed: Kite ticker dropped',
      );
      if (!open) {
        ticker?.pause();
        return;
      }
      const state = credentials.current();
      if (state.status === 'valid') {
        ticker?.resume(state.accessToken);
      }
    },

    tickerConnected() {
      return ticker?.isConnected() ?? false;
    },

    async close() {
      if (closed) {
        return;
      }
      closed = true;
      clearInterval(expiryTimer);
      credentials.stop();
      ticker?.stop();
      listeners.clear();
    },
  };
}
