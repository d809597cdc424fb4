import { describe, expect, it } from 'vitest';
import { RISK_BAND_EDGES_PERCENT, riskBands } from '../../../src/analytics/risk-bands.ts';
import { simulatedSnapshots } from '../../helpers/simulated-snapshots.ts';

describe('risk bands', () => {
  it('sums delta × OI × underlying and vega × OI per moneyness band, every contract in exactly one band', () => {
    const chain = simulatedSnapshots('NIFTY', 2).at(-1)!.chains[0]!;
    const forward = chain.methodology.forward;
    const rows = chain.strikes.map((row) => ({
      strike: row.strike,
      call: row.call && {
        oi: row.call.quote.oi,
        delta: row.call.analytics.delta,
        vegaPerVolPoint: row.call.analytics.vegaPerVolPoint,
      },
      put: row.put && {
        oi: row.put.quote.oi,
        delta: row.put.analytics.delta,
        vegaPerVolPoint: row.put.analytics.vegaPerVolPoint,
      },
    }));
    const bands = riskBands(rows, forward, chain.spot);
    expect(bands).toHaveLength(RISK_BAND_EDGES_PERCENT.length + 1);
    expect(bands.reduce((n, b) => n + b.strikes, 0)).toBe(chain.strikes.length);
    expect(bands.reduce((n, b) => n + b.callOi, 0)).toBe(chain.summary.totalCallOi);
    // The band between −1 % and the forward, by hand.
    const inBand = chain.strikes.filter((s) => s.strike / forward - 1 >= -0.01 && s.strike / forward - 1 < 0);
    const band = bands.find((b) => b.fromPercent === -1 && b.toPercent === 0)!;
    expect(band.strikes).toBe(inBand.length);
    const callDelta = inBand.reduce(
      (sum, s) => sum + (s.call?.analytics.delta ?? 0) * (s.call?.quote.oi ?? 0) * chain.spot,
      0,
    );
    const putVega = inBand.reduce(
      (sum, s) => sum + (s.put?.analytics.vegaPerVolPoint ?? 0) * (s.put?.quote.oi ?? 0),
      0,
    );
    expect(band.callDeltaNotional).toBeCloseTo(callDelta, 6);
    expect(band.putVegaNotional).toBeCloseTo(putVega, 6);
    expect(band.deltaNotional).toBeCloseTo(band.callDeltaNotional + band.putDeltaNotional, 6);
    expect(band.callDeltaNotional).toBeGreaterThan(0);
    expect(band.putDeltaNotional).toBeLessThan(0);
    expect(bands[0]).toMatchObject({ fromPercent: null, toPercent: -10 });
    expect(bands.at(-1)).toMatchObject({ fromPercent: 10, toPercent: null });
  });
});
