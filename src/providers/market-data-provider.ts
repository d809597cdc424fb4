import type { IndexSymbol } from '../domain/indices.ts';
import type { IndexMarketData } from '../domain/market-data.ts';

/**
 * The seam between G6 and a market: the simulated market, Kite Connect, or a replay of stored days.
 * Implementations honour `signal` (the collector's per-tick timeout) and throw `AppError` for
 * operational failures.
 */
export interface MarketDataProvider {
  /** Shown in logs, metrics and the `serverInfo` query. */
  readonly name: string;
  /** Spot and the chains of every open expiry of one index, as of now. */
  fetchIndex(index: IndexSymbol, signal: AbortSignal): Promise<IndexMarketData>;
  close(): Promise<void>;
}
