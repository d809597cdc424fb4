import { Counter, Gauge, type Registry } from 'prom-client';
import { constantMaturityIv, IV30_YEARS } from '../analytics/iv-rank.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import type { ChainSnapshot, ChainSummary, IndexSnapshot } from '../domain/snapshot.ts';

export interface StoreMetrics {
  eventConflated(index: IndexSymbol): void;
}

/** The expiries the market gauges carry: the nearest, and the nearest monthly (the same for monthly-only indices). */
export const GAUGE_EXPIRY_TAGS = ['this_week', 'this_month'] as const;
type GaugeExpiryTag = (typeof GAUGE_EXPIRY_TAGS)[number];

function chainOf(snapshot: IndexSnapshot, tag: GaugeExpiryTag): ChainSnapshot | undefined {
  return tag === 'this_week' ? snapshot.chains[0] : snapshot.chains.find((c) => c.expiryKind === 'MONTHLY');
}

const CHAIN_GAUGES: ReadonlyArray<{
  readonly name: string;
  readonly help: string;
  readonly value: (summary: ChainSummary) => number | null;
}> = [
  { name: 'g6_market_atm_strike', help: 'ATM strike', value: (s) => s.atmStrike },
  { name: 'g6_market_atm_iv', help: 'ATM implied volatility, a fraction (0.14 = 14 %)', value: (s) => s.atmIv },
  { name: 'g6_market_pcr_oi', help: 'Put-call ratio of open interest', value: (s) => s.pcrOi },
  { name: 'g6_market_pcr_volume', help: 'Put-call ratio of traded volume', value: (s) => s.pcrVolume },
  { name: 'g6_market_max_pain', help: 'Max-pain strike', value: (s) => s.maxPainStrike },
  {
    name: 'g6_market_atm_straddle',
    help: 'ATM straddle premium (call + put), index points',
    value: (s) => s.atmStraddle,
  },
  {
    name: 'g6_market_expected_move',
    help: 'Expected move to expiry implied by the ATM straddle, index points',
    value: (s) => s.expectedMove,
  },
  { name: 'g6_market_contracts', help: 'Contracts collected for the expiry', value: (s) => s.contractCount },
];

/**
 * Gauges read from the snapshot store at scrape time, so a Prometheus-only shop can chart the market:
 * per index spot and IV30, and per index × expiry tag the chain summary. Cardinality is bounded by
 * indices × 2 tags; a value the analytics could not compute is left out rather than exported as 0.
 */
export function registerStoreMetrics(
  registry: Registry,
  sources: { latest(): readonly IndexSnapshot[]; now(): Date; subscriberCount(): number },
): StoreMetrics {
  new Gauge({
    name: 'g6_snapshot_age_seconds',
    help: 'Age of the newest snapshot per index at scrape time',
    labelNames: ['index'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const nowMs = sources.now().getTime();
      for (const snapshot of sources.latest()) {
        this.set({ index: snapshot.index }, (nowMs - snapshot.observedAt.getTime()) / 1000);
      }
    },
  });
  new Gauge({
    name: 'g6_graphql_subscriptions',
    help: 'Active snapshot subscriptions',
    registers: [registry],
    collect() {
      this.set(sources.subscriberCount());
    },
  });
  new Gauge({
    name: 'g6_market_spot',
    help: 'Index spot in the newest snapshot',
    labelNames: ['index'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const snapshot of sources.latest()) {
        this.set({ index: snapshot.index }, snapshot.spot);
      }
    },
  });
  new Gauge({
    name: 'g6_market_iv30',
    help: 'ATM implied volatility at a constant 30-day maturity (interpolated in total variance), a fraction',
    labelNames: ['index'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const snapshot of sources.latest()) {
        const iv30 = constantMaturityIv(
          snapshot.termStructure.map((p) => ({ timeToExpiryYears: p.timeToExpiryYears, iv: p.atmIv ?? Number.NaN })),
          IV30_YEARS,
        );
        if (iv30 !== null) {
          this.set({ index: snapshot.index }, iv30);
        }
      }
    },
  });
  for (const gauge of CHAIN_GAUGES) {
    new Gauge({
      name: gauge.name,
      help: `${gauge.help}, per index for the nearest expiry (this_week) and the nearest monthly (this_month)`,
      labelNames: ['index', 'expiry_tag'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const snapshot of sources.latest()) {
          for (const tag of GAUGE_EXPIRY_TAGS) {
            const chain = chainOf(snapshot, tag);
            const value = chain === undefined ? null : gauge.value(chain.summary);
            if (value !== null && Number.isFinite(value)) {
              this.set({ index: snapshot.index, expiry_tag: tag }, value);
            }
          }
        }
      },
    });
  }
  const conflated = new Counter({
    name: 'g6_subscription_events_conflated_total',
    help: 'Snapshots replaced by a newer one before a slow subscriber took them',
    labelNames: ['index'] as const,
    registers: [registry],
  });
  return { eventConflated: (index) => conflated.inc({ index }) };
}
