import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { MarketStatus } from '../domain/calendar/exchange-calendar.ts';
import { MARKET_STATES } from '../domain/calendar/exchange-calendar.ts';
import { INDEX_SPECS, type IndexSymbol } from '../domain/indices.ts';

export interface CollectionMetrics {
  tickSucceeded(index: IndexSymbol, durationMs: number, at: Date): void;
  tickFailed(index: IndexSymbol): void;
  rested(index: IndexSymbol): void;
  restChanged(index: IndexSymbol, resting: boolean): void;
  liveUpdatePublished(index: IndexSymbol): void;
  marketStatusChanged(status: MarketStatus, open: boolean): void;
}

/** `NSE_FO` → `NSE`: the label operators join market hours on. */
function exchangeOf(segment: string): string {
  return segment.split('_')[0] ?? segment;
}

/**
 * Collection's metrics, with the facts rules join on: which exchange each index trades on, the
 * collection interval, and whether each exchange is open.
 */
export function registerCollectionMetrics(
  registry: Registry,
  setup: {
    readonly indices: readonly IndexSymbol[];
    readonly intervalMs: number;
    /** Each index's own interval where it has one (G6_CONFIG_FILE); else intervalMs. */
    readonly intervalMsOf?: (index: IndexSymbol) => number;
  },
): CollectionMetrics {
  const duration = new Histogram({
    name: 'g6_collect_duration_seconds',
    help: 'Duration of one collection tick of one index (provider, analytics, store, publish, sinks)',
    labelNames: ['index'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'g6_collect_failures_total',
    help: 'Collection ticks that failed or timed out',
    labelNames: ['index'] as const,
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: 'g6_collect_last_success_timestamp_seconds',
    help: 'Unix time of the last successful collection per index',
    labelNames: ['index'] as const,
    registers: [registry],
  });
  const resting = new Gauge({
    name: 'g6_collection_resting',
    help: '1 while collection of an index rests outside market hours (no provider requests)',
    labelNames: ['index'] as const,
    registers: [registry],
  });
  const restChecks = new Counter({
    name: 'g6_collection_rest_checks_total',
    help: 'Looks at the market clock that found the market closed and made no provider request',
    labelNames: ['index'] as const,
    registers: [registry],
  });
  const livePublished = new Counter({
    name: 'g6_live_updates_published_total',
    help: 'Snapshots published from live ticks between collections',
    labelNames: ['index'] as const,
    registers: [registry],
  });
  const marketState = new Gauge({
    name: 'g6_market_state',
    help: "1 for the current state of each exchange segment's session (PRE_OPEN, OPEN, CLOSED, HOLIDAY, SPECIAL_SESSION)",
    labelNames: ['segment', 'state'] as const,
    registers: [registry],
  });
  const marketOpen = new Gauge({
    name: 'g6_market_open',
    help: '1 while the exchange is in session or its pre-open (by the market calendar G6 runs on), else 0',
    labelNames: ['exchange'] as const,
    registers: [registry],
  });
  const indexInfo = new Gauge({
    name: 'g6_index_info',
    help: 'Always 1: the indices collected and the exchange each trades on (join on index to reach g6_market_open)',
    labelNames: ['index', 'exchange'] as const,
    registers: [registry],
  });
  const interval = new Gauge({
    name: 'g6_collection_interval_seconds',
    help: 'The shortest collection interval of the indices (G6_COLLECTION_INTERVAL; per index: g6_index_collection_interval_seconds)',
    registers: [registry],
  });
  interval.set(setup.intervalMs / 1000);
  const indexInterval = new Gauge({
    name: 'g6_index_collection_interval_seconds',
    help: "Each index's collection interval (G6_CONFIG_FILE per index, else G6_COLLECTION_INTERVAL)",
    labelNames: ['index'] as const,
    registers: [registry],
  });
  for (const index of setup.indices) {
    const exchange = INDEX_SPECS[index].exchange === 'BFO' ? 'BSE' : 'NSE';
    indexInfo.set({ index, exchange }, 1);
    indexInterval.set({ index }, (setup.intervalMsOf?.(index) ?? setup.intervalMs) / 1000);
    // Series from the start: a rate over failures has a zero to start from.
    failures.inc({ index }, 0);
    resting.set({ index }, 0);
  }
  return {
    tickSucceeded(index, durationMs, at) {
      duration.observe({ index }, durationMs / 1000);
      lastSuccess.set({ index }, at.getTime() / 1000);
    },
    tickFailed: (index) => failures.inc({ index }),
    rested: (index) => restChecks.inc({ index }),
    restChanged: (index, isResting) => resting.set({ index }, isResting ? 1 : 0),
    liveUpdatePublished: (index) => livePublished.inc({ index }),
    marketStatusChanged(status, open) {
      for (const state of MARKET_STATES) {
        marketState.set({ segment: status.segment, state }, state === status.state ? 1 : 0);
      }
      marketOpen.set({ exchange: exchangeOf(status.segment) }, open ? 1 : 0);
    },
  };
}
