import type { DataQuality } from '../domain/snapshot.ts';

export type DataQualityCounts = Omit<DataQuality, 'score'>;

/** Penalty per issue, in contract slots. */
export const QUALITY_PENALTIES = {
  missingQuote: 1,
  crossedQuote: 1,
  ivFailure: 0.5,
  parityViolation: 0.5,
  staleQuote: 0.25,
} as const;

/**
 * score = 1 − (missing + crossed + 0.5·IV failures + 0.5·parity violations + 0.25·stale) / slots, clipped
 * to [0, 1]; slots are 2 per strike (call and put). A missing quote is a listed slot with no usable price;
 * crossed is bid > ask; stale is a price taken from a last trade older than the staleness limit; a parity
 * violation is a strike whose two-sided mids miss C − P = e^{−rT}(F − K) by more than half their spreads
 * plus two ticks.
 */
export function dataQuality(counts: DataQualityCounts): DataQuality {
  const penalties =
    counts.missingQuotes * QUALITY_PENALTIES.missingQuote +
    counts.crossedQuotes * QUALITY_PENALTIES.crossedQuote +
    counts.ivFailures * QUALITY_PENALTIES.ivFailure +
    counts.parityViolations * QUALITY_PENALTIES.parityViolation +
    counts.staleQuotes * QUALITY_PENALTIES.staleQuote;
  const score = counts.contractSlots > 0 ? Math.min(1, Math.max(0, 1 - penalties / counts.contractSlots)) : 0;
  return { score, ...counts };
}
