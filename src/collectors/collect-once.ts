import { analyzeChain } from '../analytics/analyze-chain.ts';
import { nearestStrike } from '../analytics/atm-strike.ts';
import { AppError, ERROR_CODES } from '../domain/errors.ts';
import { expiryInstant } from '../domain/expiry-calendar.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import type { ExpiryQuotes, IndexMarketData } from '../domain/market-data.ts';
import type { ChainSnapshot, IndexSnapshot } from '../domain/snapshot.ts';
import type { MarketDataProvider } from '../providers/market-data-provider.ts';
import type { FanOutSink, SinkOutcome } from '../sinks/fan-out-sink.ts';
import type { SnapshotPubSub } from '../store/snapshot-pubsub.ts';
import type { SnapshotStore } from '../store/snapshot-store.ts';

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

export interface CollectDependencies {
  readonly provider: MarketDataProvider;
  readonly store: SnapshotStore;
  readonly pubsub: SnapshotPubSub;
  readonly sink: FanOutSink;
  readonly rate: number;
  readonly dividendYield: number;
  /** Strikes kept each side of the ATM strike per expiry; 0 keeps the whole chain. */
  readonly strikesAroundAtm: number;
  readonly sinkTimeoutMs: number;
}

export interface CollectResult {
  readonly snapshot: IndexSnapshot;
  readonly sinkOutcomes: SinkOutcome[];
  /** Time spent in the provider and in analytics, milliseconds. */
  readonly fetchMs: number;
  readonly analyzeMs: number;
}

/** Keeps `n` strikes each side of the strike nearest `reference`. */
export function windowStrikes(chain: ExpiryQuotes, reference: number, n: number): ExpiryQuotes {
  if (n <= 0 || chain.strikes.length <= 2 * n + 1) {
    return chain;
  }
  const atm = nearestStrike(
    chain.strikes.map((s) => s.strike),
    reference,
  );
  const at = chain.strikes.findIndex((s) => s.strike === atm);
  const from = Math.max(0, Math.min(at - n, chain.strikes.length - (2 * n + 1)));
  return { ...chain, strikes: chain.strikes.slice(from, from + 2 * n + 1) };
}

/** Turns one provider response into an analysed snapshot. Pure. */
export function buildIndexSnapshot(
  data: IndexMarketData,
  seq: number,
  params: Pick<CollectDependencies, 'rate' | 'dividendYield' | 'strikesAroundAtm'>,
): IndexSnapshot {
  if (!(Number.isFinite(data.spot) && data.spot > 0)) {
    throw new AppError(ERROR_CODES.PROVIDER_UNAVAILABLE, `provider returned an invalid spot for ${data.index}`, {
      retryable: true,
    });
  }
  const chains: ChainSnapshot[] = [];
  for (const expiryQuotes of data.expiries) {
    const timeToExpiryYears = (expiryInstant(expiryQuotes.expiry).getTime() - data.observedAt.getTime()) / YEAR_MS;
    if (!(timeToExpiryYears > 0) || expiryQuotes.strikes.length === 0) {
      continue;
    }
    const forward = data.spot * Math.exp((params.rate - params.dividendYield) * timeToExpiryYears);
    const chain = windowStrikes(expiryQuotes, forward, params.strikesAroundAtm);
    const analysis = analyzeChain({
      chain,
      spot: data.spot,
      timeToExpiryYears,
      rate: params.rate,
      dividendYield: params.dividendYield,
    });
    chains.push({
      index: data.index,
      expiry: chain.expiry,
      expiryKind: chain.kind,
      observedAt: data.observedAt,
      spot: data.spot,
      timeToExpiryYears,
      ...analysis,
    });
  }
  chains.sort((a, b) => a.expiry.localeCompare(b.expiry));
  return { index: data.index, seq, observedAt: data.observedAt, spot: data.spot, chains };
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
  const analyzeStarted = performance.now();
  const seq = (deps.store.getIndex(index)?.seq ?? 0) + 1;
  const snapshot = buildIndexSnapshot(data, seq, deps);
  const analyzeMs = performance.now() - analyzeStarted;
  deps.store.put(snapshot);
  deps.pubsub.publish(snapshot);
  const sinkOutcomes = await deps.sink.write(snapshot, deps.sinkTimeoutMs);
  return { snapshot, sinkOutcomes, fetchMs: analyzeStarted - fetchStarted, analyzeMs };
}
