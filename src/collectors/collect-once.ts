import { analyzeChain, type ContractBaseline } from '../analytics/analyze-chain.ts';
import { strikeWindow } from '../analytics/atm-strike.ts';
import { buildTermStructure } from '../analytics/term-structure.ts';
import { buildVolatilitySurface } from '../analytics/volatility-surface.ts';
import type { ChainSelection } from '../config-file.ts';
import { segmentOf } from '../domain/calendar/calendar-data.ts';
import { AppError, ERROR_CODES } from '../domain/errors.ts';
import { type ExpiryTag, tagsByExpiry } from '../domain/expiry-tags.ts';
import { INDEX_SPECS, type IndexSymbol } from '../domain/indices.ts';
import type { MarketClock } from '../domain/market-clock.ts';
import type { ExpiryQuotes, IndexMarketData } from '../domain/market-data.ts';
import { type ChainSnapshot, type IndexSnapshot, indexDayOf, type PricingConventions } from '../domain/snapshot.ts';
import { timeToExpiryYears as timeToExpiry } from '../domain/time-to-expiry.ts';
import type { MarketDataProvider } from '../providers/market-data-provider.ts';
import type { FanOutSink, SinkOutcome } from '../sinks/fan-out-sink.ts';
import type { SnapshotPubSub } from '../store/snapshot-pubsub.ts';
import type { SnapshotStore } from '../store/snapshot-store.ts';
import type { CollectionActivity } from './collection-activity.ts';
import type { DayBaselines } from './day-baselines.ts';

export interface CollectDependencies {
  readonly provider: MarketDataProvider;
  readonly store: SnapshotStore;
  readonly pubsub: SnapshotPubSub;
  readonly sink: FanOutSink;
  readonly settings: AnalysisSettings;
  readonly baselines: DayBaselines;
  readonly sinkTimeoutMs: number;
  /** Told when this collection's own work (analytics, publish, sinks) runs, so serving can yield to it. */
  readonly activity?: CollectionActivity;
}

export interface CollectResult {
  readonly snapshot: IndexSnapshot;
  readonly sinkOutcomes: SinkOutcome[];
  /** Time spent in the provider and in analytics, milliseconds. */
  readonly fetchMs: number;
  readonly analyzeMs: number;
}

/** Keeps `below` strikes under and `above` (default: as many) over the strike nearest `reference`. */
export function windowStrikes(chain: ExpiryQuotes, reference: number, below: number, above = below): ExpiryQuotes {
  const strikes = strikeWindow(chain.strikes, reference, below, above);
  return strikes === chain.strikes ? chain : { ...chain, strikes };
}

/** Whether an expiry with these tags is one `expiries` asks for. */
export function isWantedExpiry(expiries: ChainSelection['expiries'], tags: readonly ExpiryTag[]): boolean {
  return expiries === 'ALL' || tags.some((tag) => expiries.includes(tag));
}

/** How snapshots are analysed: the pricing conventions and the data-handling limits. */
export interface AnalysisSettings {
  readonly conventions: PricingConventions;
  /** Strikes kept each side of the ATM strike per expiry; 0 keeps the whole chain. */
  readonly strikesAroundAtm: number;
  /**
   * Per index, its own strike window (in place of strikesAroundAtm) and the expiries kept; an index
   * missing here (or no map at all) keeps strikesAroundAtm each side of every expiry.
   */
  readonly collection?: ReadonlyMap<IndexSymbol, ChainSelection>;
  /** The market's session clock; its calendar gives expiry cut-offs and trading time. */
  readonly clock: MarketClock;
  /** A price taken from a last trade older than this counts as stale in the data-quality score. */
  readonly staleAfterMs: number;
}

/** The session a provider response belongs to, by the market clock (the day's baselines are kept per session). */
export function tradingDayOf(settings: AnalysisSettings, data: IndexMarketData): string {
  return settings.clock.status(segmentOf(INDEX_SPECS[data.index]), data.observedAt).tradingDay;
}

/**
 * Turns one provider response into an analysed snapshot: every chain's analytics, then the index's term
 * structure and surface. Pure; `baselines` are the day's first observations (see DayBaselines).
 */
export function buildIndexSnapshot(
  data: IndexMarketData,
  seq: number,
  settings: AnalysisSettings,
  baselines?: ReadonlyMap<string, ContractBaseline>,
): IndexSnapshot {
  if (!(Number.isFinite(data.spot) && data.spot > 0)) {
    throw new AppError(ERROR_CODES.PROVIDER_UNAVAILABLE, `provider returned an invalid spot for ${data.index}`, {
      retryable: true,
    });
  }
  const { conventions } = settings;
  const segment = segmentOf(INDEX_SPECS[data.index]);
  const status = settings.clock.status(segment, data.observedAt);
  const chains: ChainSnapshot[] = [];
  // Over every listed expiry, so NEXT_WEEK stays the second listed one when THIS_WEEK is not kept.
  const tags = tagsByExpiry(data.expiries);
  const selection = settings.collection?.get(data.index);
  const below = selection?.strikesBelowAtm ?? settings.strikesAroundAtm;
  const above = selection?.strikesAboveAtm ?? settings.strikesAroundAtm;
  const day = indexDayOf(data.spot, data.spotDay);
  for (const expiryQuotes of data.expiries) {
    const expiryTags = tags.get(expiryQuotes.expiry) ?? [];
    if (selection !== undefined && !isWantedExpiry(selection.expiries, expiryTags)) {
      continue;
    }
    const timeToExpiryYears = timeToExpiry(
      data.observedAt,
      expiryQuotes.expiry,
      conventions.timeBasis,
      settings.clock.calendar,
      segment,
    );
    if (!(timeToExpiryYears > 0) || expiryQuotes.strikes.length === 0) {
      continue;
    }
    // The window is centred on the carry forward; the analysis then finds the chain's own forward.
    const carryForward = data.spot * Math.exp((conventions.rate - conventions.dividendYield) * timeToExpiryYears);
    const chain = windowStrikes(expiryQuotes, expiryQuotes.futuresPrice ?? carryForward, below, above);
    const analysis = analyzeChain({
      chain,
      spot: data.spot,
      timeToExpiryYears,
      conventions,
      futuresPrice: expiryQuotes.futuresPrice ?? null,
      observedAt: data.observedAt,
      staleAfterMs: settings.staleAfterMs,
      ...(baselines === undefined ? {} : { baseline: baselines }),
      tickSize: INDEX_SPECS[data.index].tickSize,
    });
    chains.push({
      index: data.index,
      expiry: chain.expiry,
      expiryKind: chain.kind,
      expiryTags,
      observedAt: data.observedAt,
      spot: data.spot,
      day,
      futuresPrice: expiryQuotes.futuresPrice ?? null,
      timeToExpiryYears,
      ...analysis,
    });
  }
  chains.sort((a, b) => a.expiry.localeCompare(b.expiry));
  return {
    index: data.index,
    seq,
    observedAt: data.observedAt,
    spot: data.spot,
    day,
    market: { state: status.state, tradingDay: status.tradingDay },
    chains,
    termStructure: buildTermStructure(chains),
    surface: buildVolatilitySurface(chains),
  };
}

/**
 * One collection of one index, in the fixed order: provider → analytics → store → publish → sinks.
 * Subscribers see the snapshot before storage latency; the sink write is awaited (with a timeout) so
 * back-pressure stays visible to the loop. Sink failures are reported, never thrown.
 */
export async function collectOnce(
  deps: CollectDependencies,
  index: IndexSymbol,
  signal: AbortSignal,
): Promise<CollectResult> {
  const fetchStarted = performance.now();
  const data = await deps.provider.fetchIndex(index, signal);
  signal.throwIfAborted();
  const end = deps.activity?.begin();
  try {
    const analyzeStarted = performance.now();
    const seq = (deps.store.getIndex(index)?.seq ?? 0) + 1;
    const snapshot = buildIndexSnapshot(
      data,
      seq,
      deps.settings,
      deps.baselines.observe(data, tradingDayOf(deps.settings, data)),
    );
    const analyzeMs = performance.now() - analyzeStarted;
    deps.store.put(snapshot);
    deps.pubsub.publish(snapshot);
    const sinkOutcomes = await deps.sink.write(snapshot, deps.sinkTimeoutMs);
    return { snapshot, sinkOutcomes, fetchMs: analyzeStarted - fetchStarted, analyzeMs };
  } finally {
    end?.();
  }
}
