/**
 * Risk aggregation by moneyness band (the predecessor's "risk aggregation"): open interest turned into
 * delta and vega notionals, summed per band of strike distance from the forward, so a desk sees where the
 * chain's exposure sits. Pure.
 */

/** Band edges in percent of K/F − 1; the outer bands are open-ended. */
export const RISK_BAND_EDGES_PERCENT = [-10, -5, -2, -1, 0, 1, 2, 5, 10] as const;

export interface RiskLeg {
  readonly oi: number;
  /** Per index point of the underlying; null when IV was not solved (the leg then adds OI only). */
  readonly delta: number | null;
  /** Per vol point. */
  readonly vegaPerVolPoint: number | null;
}

export interface RiskBandInput {
  readonly strike: number;
  readonly call: RiskLeg | null;
  readonly put: RiskLeg | null;
}

export interface RiskBand {
  /** Inclusive lower edge in percent of K/F − 1; null for the lowest band. */
  readonly fromPercent: number | null;
  /** Exclusive upper edge; null for the highest band. */
  readonly toPercent: number | null;
  readonly strikes: number;
  readonly callOi: number;
  readonly putOi: number;
  /** Σ Δ·OI·underlying over the band's calls: the index exposure their holders carry, rupees. */
  readonly callDeltaNotional: number;
  readonly putDeltaNotional: number;
  /** callDeltaNotional + putDeltaNotional. */
  readonly deltaNotional: number;
  /** Σ vega·OI: rupees per vol point. */
  readonly callVegaNotional: number;
  readonly putVegaNotional: number;
  readonly vegaNotional: number;
}

/** Every band, lowest first (empty bands included, so a chart's axis never moves). */
/** `underlying`: the level delta is per point of (spot for Black-Scholes, forward for Black-76). */
export function riskBands(rows: readonly RiskBandInput[], forward: number, underlying: number): RiskBand[] {
  const edges = RISK_BAND_EDGES_PERCENT;
  const bands = Array.from({ length: edges.length + 1 }, (_, i) => ({
    fromPercent: i === 0 ? null : edges[i - 1]!,
    toPercent: i === edges.length ? null : edges[i]!,
    strikes: 0,
    callOi: 0,
    putOi: 0,
    callDeltaNotional: 0,
    putDeltaNotional: 0,
    callVegaNotional: 0,
    putVegaNotional: 0,
  }));
  for (const row of rows) {
    const percent = (row.strike / forward - 1) * 100;
    let at = 0;
    while (at < edges.length && percent >= edges[at]!) {
      at += 1;
    }
    const band = bands[at]!;
    band.strikes += 1;
    if (row.call !== null) {
      band.callOi += row.call.oi;
      band.callDeltaNotional += (row.call.delta ?? 0) * row.call.oi * underlying;
      band.callVegaNotional += (row.call.vegaPerVolPoint ?? 0) * row.call.oi;
    }
    if (row.put !== null) {
      band.putOi += row.put.oi;
      band.putDeltaNotional += (row.put.delta ?? 0) * row.put.oi * underlying;
      band.putVegaNotional += (row.put.vegaPerVolPoint ?? 0) * row.put.oi;
    }
  }
  return bands.map((b) => ({
    ...b,
    deltaNotional: b.callDeltaNotional + b.putDeltaNotional,
    vegaNotional: b.callVegaNotional + b.putVegaNotional,
  }));
}
