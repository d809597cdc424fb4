import { describe, expect, it } from 'vitest';
import { choosePremium } from '../../../src/analytics/analyze-chain.ts';
import { nearestStrike } from '../../../src/analytics/atm-strike.ts';
import { maxPainStrike } from '../../../src/analytics/max-pain.ts';
import { putCallRatio } from '../../../src/analytics/put-call-ratio.ts';
import { createRandomStream } from '../../../src/providers/simulated/random.ts';

/** The definition, evaluated directly: O(n²). */
function bruteForceMaxPain(strikes: { strike: number; callOi: number; putOi: number }[]): number {
  let best = Number.NaN;
  let bestPayout = Number.POSITIVE_INFINITY;
  for (const settle of strikes) {
    let payout = 0;
    for (const s of strikes) {
      payout += s.callOi * Math.max(settle.strike - s.strike, 0) + s.putOi * Math.max(s.strike - settle.strike, 0);
    }
    if (payout < bestPayout) {
      bestPayout = payout;
      best = settle.strike;
    }
  }
  return best;
}

describe('maxPainStrike', () => {
  it('equals the brute-force minimiser on 200 random chains', () => {
    const random = createRandomStream('max-pain');
    for (let trial = 0; trial < 200; trial++) {
      const n = 5 + Math.floor(random.uniform() * 60);
      const strikes = Array.from({ length: n }, (_, i) => ({
        strike: 20_000 + 50 * i,
        callOi: Math.floor(random.uniform() * 1e6),
        putOi: Math.floor(random.uniform() * 1e6),
      }));
      expect(maxPainStrike(strikes)).toBe(bruteForceMaxPain(strikes));
    }
  });

  it('is null without open interest', () => {
    expect(maxPainStrike([{ strike: 100, callOi: 0, putOi: 0 }])).toBeNull();
  });
});

describe('putCallRatio', () => {
  it('divides put by call and is null when calls are zero', () => {
    expect(putCallRatio(150, 100)).toBe(1.5);
    expect(putCallRatio(10, 0)).toBeNull();
  });
});

describe('nearestStrike', () => {
  it('picks the closest listed strike, the lower one on a tie', () => {
    expect(nearestStrike([24_500, 24_550, 24_600], 24_574)).toBe(24_550);
    expect(nearestStrike([24_500, 24_550, 24_600], 24_575)).toBe(24_550);
    expect(nearestStrike([24_500, 24_550, 24_600], 24_576)).toBe(24_600);
  });
});

describe('choosePremium', () => {
  const quote = {
    tradingsymbol: 'X',
    instrumentToken: null,
    bidQuantity: 1,
    askQuantity: 1,
    volume: 0,
    oi: 0,
    averagePrice: null,
    lastTradeTime: null,
  };
  it('uses the mid of a two-sided book, else the last price, else nothing', () => {
    expect(choosePremium({ ...quote, bid: 10, ask: 11, lastPrice: 12 })).toEqual({ price: 10.5, source: 'MID' });
    expect(choosePremium({ ...quote, bid: null, ask: 11, lastPrice: 12 })).toEqual({ price: 12, source: 'LAST' });
    expect(choosePremium({ ...quote, bid: 12, ask: 11, lastPrice: 11.5 })).toEqual({ price: 11.5, source: 'LAST' });
    expect(choosePremium({ ...quote, bid: null, ask: null, lastPrice: null })).toBeNull();
  });
});
