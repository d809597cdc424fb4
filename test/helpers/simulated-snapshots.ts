import { buildIndexSnapshot } from '../../src/collectors/collect-once.ts';
import type { IndexSymbol } from '../../src/domain/indices.ts';
import { INDEX_SPECS } from '../../src/domain/indices.ts';
import { DEFAULT_MARKET_HOLIDAYS } from '../../src/domain/market-holidays.ts';
import type { IndexSnapshot } from '../../src/domain/snapshot.ts';
import { SimulatedIndexMarket } from '../../src/providers/simulated/simulated-market.ts';

export const TEST_RATE = 0.065;
/** A Tuesday in the middle of a session, before the NIFTY weekly's 15:30 cut-off. */
export const TEST_INSTANT = new Date('2026-08-18T06:00:00Z');

export function createTestMarket(index: IndexSymbol, seed = 'test'): SimulatedIndexMarket {
  return new SimulatedIndexMarket({
    spec: INDEX_SPECS[index],
    seed,
    holidays: new Set(DEFAULT_MARKET_HOLIDAYS),
    rate: TEST_RATE,
    dividendYield: 0,
  });
}

/** Snapshots of one index at `count` instants `stepMs` apart, analysed as the collector does. */
export function simulatedSnapshots(
  index: IndexSymbol,
  count: number,
  stepMs = 2_000,
  strikesAroundAtm = 30,
): IndexSnapshot[] {
  const market = createTestMarket(index);
  return Array.from({ length: count }, (_, i) =>
    buildIndexSnapshot(market.advance(new Date(TEST_INSTANT.getTime() + i * stepMs)), i + 1, {
      rate: TEST_RATE,
      dividendYield: 0,
      strikesAroundAtm,
    }),
  );
}
