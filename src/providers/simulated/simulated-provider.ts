import { INDEX_SPECS, type IndexSymbol } from '../../domain/indices.ts';
import type { MarketClock } from '../../domain/market-clock.ts';
import type { IndexMarketData } from '../../domain/market-data.ts';
import type { MarketDataProvider } from '../market-data-provider.ts';
import { SimulatedIndexMarket } from './simulated-market.ts';

export interface SimulatedProviderOptions {
  readonly seed: string;
  readonly clock: MarketClock;
  readonly rate: number;
  readonly dividendYield: number;
  readonly now: () => Date;
}

/** The default provider: a deterministic simulated market per index, no credentials needed. */
export function createSimulatedProvider(options: SimulatedProviderOptions): MarketDataProvider & {
  market(index: IndexSymbol): SimulatedIndexMarket;
} {
  const markets = new Map<IndexSymbol, SimulatedIndexMarket>();
  const market = (index: IndexSymbol): SimulatedIndexMarket => {
    let existing = markets.get(index);
    if (existing === undefined) {
      existing = new SimulatedIndexMarket({ ...options, spec: INDEX_SPECS[index] });
      markets.set(index, existing);
    }
    return existing;
  };
  return {
    name: 'simulated',
    market,
    async fetchIndex(index: IndexSymbol, signal: AbortSignal): Promise<IndexMarketData> {
      signal.throwIfAborted();
      return market(index).advance(options.now());
    },
    async close() {
      markets.clear();
    },
  };
}
