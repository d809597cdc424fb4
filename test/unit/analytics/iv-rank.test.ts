import { describe, expect, it } from 'vitest';
import { constantMaturityIv, IV30_YEARS, ivPercentile, ivRank } from '../../../src/analytics/iv-rank.ts';

describe('IV rank and percentile', () => {
  it('interpolates total variance between the expiries around 30 days and holds σ flat outside them', () => {
    const points = [
      { timeToExpiryYears: 7 / 365, iv: 0.2 },
      { timeToExpiryYears: 35 / 365, iv: 0.16 },
    ];
    const w1 = 0.2 ** 2 * (7 / 365);
    const w2 = 0.16 ** 2 * (35 / 365);
    const w = w1 + ((30 - 7) / (35 - 7)) * (w2 - w1);
    expect(constantMaturityIv(points, IV30_YEARS)).toBeCloseTo(Math.sqrt(w / IV30_YEARS), 14);
    expect(constantMaturityIv([{ timeToExpiryYears: 60 / 365, iv: 0.14 }], IV30_YEARS)).toBe(0.14);
    expect(
      constantMaturityIv(
        [
          { timeToExpiryYears: 3 / 365, iv: 0.3 },
          { timeToExpiryYears: 10 / 365, iv: 0.25 },
        ],
        IV30_YEARS,
      ),
    ).toBe(0.25);
    expect(constantMaturityIv([], IV30_YEARS)).toBeNull();
    expect(constantMaturityIv([{ timeToExpiryYears: 0.1, iv: Number.NaN }], IV30_YEARS)).toBeNull();
  });

  it('ranks between the low and high and counts the days below', () => {
    const history = [0.1, 0.2, 0.15, 0.3];
    expect(ivRank(0.25, history)).toBeCloseTo(0.75, 14);
    expect(ivPercentile(0.25, history)).toBe(0.75);
    expect(ivRank(0.35, history)).toBe(1);
    expect(ivRank(0.05, history)).toBe(0);
    expect(ivPercentile(0.1, history)).toBe(0);
    expect(ivRank(0.2, [])).toBeNull();
    expect(ivPercentile(0.2, [])).toBeNull();
    expect(ivRank(0.2, [0.2, 0.2])).toBeNull();
  });
});
