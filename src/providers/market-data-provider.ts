import type { IndexSymbol } from '../domain/indices.ts';
import type { IndexMarketData } from '../domain/market-data.ts';

export interface ProviderHealth {
  readonly ready: boolean;
  /** Why the provider cannot deliver fresh data (empty when ready). */
  readonly problems: readonly string[];
  /**
   * A streaming provider's ticker: down degrades live ticks only (REST snapshots go on). `reason`, when
   * set, is also one of `problems`. Absent for providers without one.
   */
  readonly ticker?: { readonly up: boolean; readonly reason: string | null };
}

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
  /** Connects what the provider needs before the first collection (credentials, streams). */
  start?(): Promise<void>;
  /** Provider-level readiness (credentials, connections), on top of the collector's freshness. */
  health?(): ProviderHealth;
  /** Live providers: `onChange(index)` fires when ticks changed an index between collections. */
  subscribeLive?(onChange: (index: IndexSymbol) => void): () => void;
  /** The last collection of an index with every tick since merged in, or null before the first one. */
  liveData?(index: IndexSymbol): IndexMarketData | null;
  /**
   * The collector stopped (false) or resumed (true) collecting for the market session: live providers drop
   * their streams outside sessions and reopen them before the next open.
   */
  setMarketOpen?(open: boolean): void;
  close(): Promise<void>;
}
