import type { ContractBaseline } from '../analytics/analyze-chain.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import type { IndexMarketData } from '../domain/market-data.ts';

/**
 * Each contract's first observation of the trading day (OI and last price), the baseline for OI change,
 * OI-change PCR and build-up. A contract first seen later in the day gets its baseline then. The caller
 * names the session (the market clock's `tradingDay` at the provider's `observedAt`), so a closing
 * snapshot taken at night belongs to its session, and replays and fake clocks behave like live data.
 */
export class DayBaselines {
  readonly #byIndex = new Map<IndexSymbol, { day: string; contracts: Map<string, ContractBaseline> }>();

  /** Records unseen contracts of `data` and returns the index's baselines for its session `day`. */
  observe(data: IndexMarketData, day: string): ReadonlyMap<string, ContractBaseline> {
    let entry = this.#byIndex.get(data.index);
    if (entry === undefined || entry.day !== day) {
      entry = { day, contracts: new Map() };
      this.#byIndex.set(data.index, entry);
    }
    for (const expiry of data.expiries) {
      for (const row of expiry.strikes) {
        for (const quote of [row.call, row.put]) {
          if (quote !== null && !entry.contracts.has(quote.tradingsymbol)) {
            entry.contracts.set(quote.tradingsymbol, { oi: quote.oi, lastPrice: quote.lastPrice });
          }
        }
      }
    }
    return entry.contracts;
  }
}
