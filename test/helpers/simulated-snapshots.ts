import { type AnalysisSettings, buildIndexSnapshot, tradingDayOf } from '../../src/collectors/collect-once.ts';
import { DayBaselines } from '../../src/collectors/day-baselines.ts';
import { DEFAULT_EXCHANGE_CALENDAR } from '../../src/domain/calendar/default-calendar.ts';
import type { IndexSymbol } from '../../src/domain/indices.ts';
import { INDEX_SPECS } from '../../src/domain/indices.ts';
import { createExchangeClock } from '../../src/domain/market-clock.ts';
import type { IndexSnapshot, PricingConventions } from '../../src/domain/snapshot.ts';
import { SimulatedIndexMarket } from '../../src/providers/simulated/simulated-market.ts';

export const TEST_RATE = 0.065;
/** A Tuesday in the middle of a session, before the NIFTY weekly's 15:30 cut-off. */
export const TEST_INSTANT = new Date('2026-08-18T06:00:00Z');
/** The exchanges' calendar: TEST_INSTANT is 11:30 IST on a trading Tuesday (an NSE expiry day). */
export const TEST_CLOCK = createExchangeClock(DEFAULT_EXCHANGE_CALENDAR);

/** The simulated market's own conventions: Black-Scholes on the spot at TEST_RATE, no dividends. */
export const TEST_CONVENTIONS: PricingConventions = {
  model: 'BLACK_SCHOLES',
  forwardSource: 'SPOT_CARRY',
  rate: TEST_RATE,
  dividendYield: 0,
  timeBasis: 'CALENDAR_365',
  priceRule: 'MID_ELSE_LAST',
};

export function testSettings(overrides: Partial<AnalysisSettings> = {}): AnalysisSettings {
  return {
    conventions: TEST_CONVENTIONS,
    strikesAroundAtm: 30,
    clock: TEST_CLOCK,
    staleAfterMs: 600_000,
    ...overrides,
  };
}

export function createTestMarket(index: IndexSymbol, seed = 'test'): SimulatedIndexMarket {
  return new SimulatedIndexMarket({
    spec: INDEX_SPECS[index],
    seed,
    clock: TEST_CLOCK,
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
  const baselines = new DayBaselines();
  return Array.from({ length: count }, (_, i) => {
    const data = market.advance(new Date(TEST_INSTANT.getTime() + i * stepMs));
    return buildIndexSnapshot(
      data,
      i + 1,
      testSettings({ strikesAroundAtm }),
      baselines.observe(data, tradingDayOf(testSettings(), data)),
    );
  });
}

/** A snapshot with no chains, for plumbing tests. */
export function emptySnapshot(index: IndexSymbol, seq = 1, observedAt = new Date(seq)): IndexSnapshot {
  return {
    index,
    seq,
    observedAt,
    spot: 1,
    day: null,
    market: { state: 'OPEN', tradingDay: '2026-08-18' },
    chains: [],
    termStructure: [],
    surface: { logMoneyness: [], rows: [] },
  };
}
