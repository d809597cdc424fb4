import { analyzeChain, type ContractBaseline, type Scenario } from '../analytics/analyze-chain.ts';
import type { AnalysisSettings } from '../collectors/collect-once.ts';
import { segmentOf } from '../domain/calendar/calendar-data.ts';
import { INDEX_SPECS } from '../domain/indices.ts';
import type { ChainSnapshot, PricingConventions } from '../domain/snapshot.ts';
import { timeToExpiryYears } from '../domain/time-to-expiry.ts';

/**
 * The stored chain analysed again from its own quotes under other conventions and/or a what-if scenario.
 * Pure and on demand: the stored snapshot is never touched. OI change and build-up carry over through
 * baselines rebuilt from the stored changes.
 */
export function reanalyzeChain(
  chain: ChainSnapshot,
  conventions: PricingConventions,
  scenario: Scenario | undefined,
  settings: AnalysisSettings,
): ChainSnapshot {
  const baseline = new Map<string, ContractBaseline>();
  for (const row of chain.strikes) {
    for (const leg of [row.call, row.put]) {
      const oiChange = leg?.analytics.oiChange ?? null;
      if (leg !== null && oiChange !== null) {
        const { quote, analytics } = leg;
        baseline.set(quote.tradingsymbol, {
          oi: quote.oi - oiChange,
          lastPrice:
            quote.lastPrice === null || analytics.priceChange === null ? null : quote.lastPrice - analytics.priceChange,
        });
      }
    }
  }
  const T = timeToExpiryYears(
    chain.observedAt,
    chain.expiry,
    conventions.timeBasis,
    settings.clock.calendar,
    segmentOf(INDEX_SPECS[chain.index]),
  );
  const analysis = analyzeChain(
    {
      chain: {
        expiry: chain.expiry,
        kind: chain.expiryKind,
        futuresPrice: chain.futuresPrice,
        strikes: chain.strikes.map((row) => ({
          strike: row.strike,
          call: row.call?.quote ?? null,
          put: row.put?.quote ?? null,
        })),
      },
      spot: chain.spot,
      timeToExpiryYears: T,
      conventions,
      futuresPrice: chain.futuresPrice,
      observedAt: chain.observedAt,
      staleAfterMs: settings.staleAfterMs,
      baseline,
      tickSize: INDEX_SPECS[chain.index].tickSize,
    },
    scenario,
  );
  return { ...chain, timeToExpiryYears: T, ...analysis };
}
