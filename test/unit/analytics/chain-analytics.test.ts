import { describe, expect, it } from 'vitest';
import { analyzeChain } from '../../../src/analytics/analyze-chain.ts';
import { black76, blackScholes } from '../../../src/analytics/black-scholes.ts';
import { dataQuality } from '../../../src/analytics/data-quality.ts';
import { gammaExposure, gammaFlipLevel } from '../../../src/analytics/gamma-exposure.ts';
import { parityForward } from '../../../src/analytics/implied-forward.ts';
import { classifyBuildUp } from '../../../src/analytics/oi-build-up.ts';
import { sentimentScore } from '../../../src/analytics/sentiment-score.ts';
import { buildSmile, ivAtCallDelta } from '../../../src/analytics/smile.ts';
import { buildTermStructure } from '../../../src/analytics/term-structure.ts';
import { buildVolatilitySurface, butterflyViolations } from '../../../src/analytics/volatility-surface.ts';
import { BUILT_IN_CALENDAR_DATA } from '../../../src/domain/calendar/default-calendar.ts';
import { ExchangeCalendar } from '../../../src/domain/calendar/exchange-calendar.ts';
import type { OptionQuote, StrikeQuotes } from '../../../src/domain/market-data.ts';
import type { ChainSnapshot, PricingConventions } from '../../../src/domain/snapshot.ts';
import { timeToExpiryYears } from '../../../src/domain/time-to-expiry.ts';
import { simulatedSnapshots } from '../../helpers/simulated-snapshots.ts';

const SPOT = 24_600;
const T = 7 / 365;
const RATE = 0.065;
const BLACK76_PARITY: PricingConventions = {
  model: 'BLACK_76',
  forwardSource: 'PUT_CALL_PARITY',
  rate: RATE,
  dividendYield: 0,
  timeBasis: 'CALENDAR_365',
  priceRule: 'MID_ELSE_LAST',
};
const smileVol = (strike: number, forward: number) =>
  0.14 - 0.25 * Math.log(strike / forward) + 0.8 * Math.log(strike / forward) ** 2;

function quote(symbol: string, price: number, oi: number, volume = 1000): OptionQuote {
  return {
    tradingsymbol: symbol,
    instrumentToken: null,
    lastPrice: price,
    bid: price - 0.05,
    ask: price + 0.05,
    bidQuantity: 75,
    askQuantity: 75,
    volume,
    oi,
    averagePrice: null,
    lastTradeTime: new Date('2026-08-18T06:00:00Z'),
  };
}

/** A chain priced exactly by Black-76 on `forward` with a skewed smile, ±20 strikes of 50. */
function syntheticChain(forward: number): StrikeQuotes[] {
  const rows: StrikeQuotes[] = [];
  for (let k = -20; k <= 20; k++) {
    const strike = 24_600 + 50 * k;
    const volatility = smileVol(strike, forward);
    const price = (right: 'C' | 'P') =>
      black76({ right, forward, strike, timeToExpiryYears: T, rate: RATE, volatility }).price;
    rows.push({
      strike,
      call: quote(`C${strike}`, price('C'), 10_000 + (strike === 25_000 ? 90_000 : 0)),
      put: quote(`P${strike}`, price('P'), 12_000 + (strike === 24_000 ? 80_000 : 0)),
    });
  }
  return rows;
}

describe('parity forward and Black-76 chain', () => {
  it('recovers the forward the premiums were priced on and their smile, and names its methodology', () => {
    const forward = 24_655.5;
    const analysis = analyzeChain({
      chain: { expiry: '2026-08-25', kind: 'WEEKLY', strikes: syntheticChain(forward) },
      spot: SPOT,
      timeToExpiryYears: T,
      conventions: BLACK76_PARITY,
      observedAt: new Date('2026-08-18T06:00:00Z'),
      staleAfterMs: 600_000,
    });
    // Mids are the exact model prices, so the parity forward is exact up to rounding.
    expect(analysis.methodology.forward).toBeCloseTo(forward, 8);
    expect(analysis.methodology.forwardSourceUsed).toBe('PUT_CALL_PARITY');
    expect(analysis.summary.atmStrike).toBe(24_650);
    for (const row of analysis.strikes) {
      expect(row.call!.analytics.iv).toBeCloseTo(smileVol(row.strike, forward), 9);
      expect(row.put!.analytics.iv).toBeCloseTo(smileVol(row.strike, forward), 9);
    }
    expect(analysis.summary.supportStrike).toBe(24_000);
    expect(analysis.summary.resistanceStrike).toBe(25_000);
    // Downside skew: 25-delta put IV above the call's.
    expect(analysis.summary.riskReversal25Delta!).toBeLessThan(0);
    expect(analysis.summary.expectedMove!).toBeCloseTo(forward * analysis.summary.atmIv! * Math.sqrt(T), 9);
    expect(analysis.summary.dataQuality.score).toBe(1);
    expect(analysis.summary.dataQuality.parityViolations).toBe(0);
  });

  it('falls back to the carry forward and says so when no strike has both premiums', () => {
    const rows = syntheticChain(24_700).map((r) => ({ ...r, put: null }));
    const analysis = analyzeChain({
      chain: { expiry: '2026-08-25', kind: 'WEEKLY', strikes: rows },
      spot: SPOT,
      timeToExpiryYears: T,
      conventions: BLACK76_PARITY,
      observedAt: new Date('2026-08-18T06:00:00Z'),
      staleAfterMs: 600_000,
    });
    expect(analysis.methodology.forwardSourceUsed).toBe('SPOT_CARRY');
    expect(analysis.methodology.forward).toBeCloseTo(SPOT * Math.exp(RATE * T), 9);
    expect(analysis.summary.dataQuality.missingQuotes).toBe(rows.length);
    expect(analysis.summary.dataQuality.score).toBeCloseTo(0.5, 12);
  });

  it('computes the parity forward at the strike with the smallest |C − P|', () => {
    const result = parityForward(
      [
        { strike: 100, callPrice: 12, putPrice: 1 },
        { strike: 110, callPrice: 5, putPrice: 4 },
        { strike: 120, callPrice: 1, putPrice: null },
      ],
      0.05,
      0.5,
    );
    expect(result!.strike).toBe(110);
    expect(result!.forward).toBeCloseTo(110 + Math.exp(0.025), 12);
  });
});

describe('what-if scenario', () => {
  it('reprices from the market IVs at the shifted spot, vol and date without changing the IVs', () => {
    const input = {
      chain: { expiry: '2026-08-25', kind: 'WEEKLY' as const, strikes: syntheticChain(24_655.5) },
      spot: SPOT,
      timeToExpiryYears: T,
      conventions: { ...BLACK76_PARITY, model: 'BLACK_SCHOLES' as const, forwardSource: 'SPOT_CARRY' as const },
      observedAt: new Date('2026-08-18T06:00:00Z'),
      staleAfterMs: 600_000,
    };
    const market = analyzeChain(input);
    const shifted = analyzeChain(input, { spotShiftPct: -2, volShiftPts: 3, daysForward: 2, rate: 0.07 });
    const row = 25;
    const strike = market.strikes[row]!.strike;
    const before = market.strikes[row]!.call!.analytics;
    const after = shifted.strikes[row]!.call!.analytics;
    expect(after.iv).toBe(before.iv);
    const expected = blackScholes({
      right: 'C',
      spot: SPOT * 0.98,
      strike,
      timeToExpiryYears: T - 2 / 365,
      rate: 0.07,
      dividendYield: 0,
      volatility: before.iv! + 0.03,
    });
    expect(after.theoreticalValue).toBeCloseTo(expected.price, 10);
    expect(after.delta).toBeCloseTo(expected.delta, 12);
    expect(before.theoreticalValue).toBeCloseTo(before.priceUsed!, 8);
  });
});

describe('gamma exposure', () => {
  it('is γ·OI·S²·1 % with calls positive and puts negative, and the flip level is where the total crosses zero', () => {
    const call = { strike: 25_000, volatility: 0.15, oi: 100_000, sign: 1 };
    const put = { strike: 24_000, volatility: 0.18, oi: 100_000, sign: -1 };
    const gamma = blackScholes({
      right: 'C',
      spot: SPOT,
      strike: 25_000,
      timeToExpiryYears: T,
      rate: RATE,
      dividendYield: 0,
      volatility: 0.15,
    }).gamma;
    expect(gammaExposure(call, SPOT, T, 1, RATE)).toBeCloseTo(gamma * 100_000 * SPOT * SPOT * 0.01, 6);
    expect(gammaExposure(put, SPOT, T, 1, RATE)).toBeLessThan(0);
    const flip = gammaFlipLevel([call, put], SPOT, T, 1, RATE)!;
    expect(flip).toBeGreaterThan(24_000);
    expect(flip).toBeLessThan(25_000);
    // Either side of the flip the total has opposite signs.
    const total = (level: number) => gammaExposure(call, level, T, 1, RATE) + gammaExposure(put, level, T, 1, RATE);
    expect(Math.sign(total(flip - 40))).toBe(-Math.sign(total(flip + 40)));
    expect(Math.abs(total(flip))).toBeLessThan(0.02 * Math.abs(total(flip + 200)));
    expect(gammaFlipLevel([call], SPOT, T, 1, RATE)).toBeNull();
  });
});

describe('smile, term structure and surface', () => {
  it('interpolates IV in delta and flags butterfly and calendar arbitrage', () => {
    const forward = 24_600;
    const legs = [23_800, 24_200, 24_600, 25_000, 25_400].map((strike) => ({
      strike,
      callIv: smileVol(strike, forward),
      putIv: smileVol(strike, forward) + 0.001,
    }));
    const smile = buildSmile(legs, forward, 24_600, T);
    expect(smile.map((p) => p.iv)).toEqual([
      legs[0]!.putIv,
      legs[1]!.putIv,
      0.5 * (legs[2]!.callIv + legs[2]!.putIv),
      legs[3]!.callIv,
      legs[4]!.callIv,
    ]);
    const at = ivAtCallDelta(smile, smile[3]!.callDelta)!;
    expect(at).toBeCloseTo(smile[3]!.iv, 12);
    expect(ivAtCallDelta(smile, 0.999)).toBeNull();
    expect(butterflyViolations(smile, forward, T)).toEqual([]);
    // A spike in the middle makes the call prices non-convex there.
    const spiked = smile.map((p, i) => (i === 2 ? { ...p, iv: p.iv + 0.2 } : p));
    expect(butterflyViolations(spiked, forward, T)).toContain(24_600);
  });

  it('builds the term structure and surface from collected snapshots, flagging falling total variance', () => {
    const snapshot = simulatedSnapshots('NIFTY', 1)[0]!;
    expect(snapshot.termStructure.map((p) => p.expiry)).toEqual(snapshot.chains.map((c) => c.expiry));
    expect(snapshot.surface.rows).toHaveLength(snapshot.chains.length);
    const first = snapshot.chains[0]!;
    const row = snapshot.surface.rows[0]!;
    const atmColumn = snapshot.surface.logMoneyness.indexOf(0);
    expect(row.iv[atmColumn]).not.toBeNull();
    // Invert the second expiry's variance: its total variance falls below the first's everywhere.
    const chains: ChainSnapshot[] = [
      first,
      {
        ...first,
        expiry: '2099-01-01',
        timeToExpiryYears: first.timeToExpiryYears * 2,
        smile: first.smile.map((p) => ({ ...p, totalVariance: p.totalVariance / 4 })),
      },
    ];
    const term = buildTermStructure([
      first,
      {
        ...first,
        expiry: '2099-01-01',
        timeToExpiryYears: first.timeToExpiryYears * 2,
        summary: { ...first.summary, atmIv: first.summary.atmIv! / 2 },
      },
    ]);
    expect(term[1]!.calendarArbitrage).toBe(true);
    expect(term[1]!.forwardVolatility).toBeNull();
    const surface = buildVolatilitySurface(chains);
    expect(surface.rows[1]!.calendarArbitrage.filter(Boolean).length).toBeGreaterThan(0);
    expect(surface.rows[0]!.calendarArbitrage.every((flag) => !flag)).toBe(true);
  });
});

describe('scores and classifications', () => {
  it('classifies build-up from price and OI changes', () => {
    expect(classifyBuildUp(5, 100)).toBe('LONG_BUILD_UP');
    expect(classifyBuildUp(-5, 100)).toBe('SHORT_BUILD_UP');
    expect(classifyBuildUp(5, -100)).toBe('SHORT_COVERING');
    expect(classifyBuildUp(-5, -100)).toBe('LONG_UNWINDING');
    expect(classifyBuildUp(0, 100)).toBe('NEUTRAL');
  });

  it('scores sentiment by its documented formula and stays in [−1, 1]', () => {
    const inputs = {
      pcrOi: 1.5,
      putOiChange: 300,
      callOiChange: 100,
      riskReversal25Delta: -0.01,
      maxPainStrike: 24_700,
      forward: 24_600,
      expectedMove: 400,
    };
    const expected =
      (0.35 * Math.tanh(Math.log(1.5)) + 0.25 * (200 / 400) + 0.2 * Math.tanh(-0.5) + 0.2 * Math.tanh(0.25)) / 1;
    expect(sentimentScore(inputs)).toBeCloseTo(expected, 14);
    expect(sentimentScore({ ...inputs, pcrOi: null, putOiChange: null, riskReversal25Delta: null })).toBeCloseTo(
      Math.tanh(0.25),
      14,
    );
    expect(
      sentimentScore({
        ...inputs,
        pcrOi: 1e9,
        putOiChange: 1,
        callOiChange: 0,
        riskReversal25Delta: 1,
        maxPainStrike: 1e9,
      }),
    ).toBeLessThanOrEqual(1);
  });

  it('weights data-quality issues per contract slot', () => {
    const q = dataQuality({
      contractSlots: 20,
      missingQuotes: 2,
      staleQuotes: 4,
      crossedQuotes: 1,
      ivFailures: 2,
      parityViolations: 2,
    });
    expect(q.score).toBeCloseTo(1 - (2 + 1 + 1 + 1 + 1) / 20, 14);
    expect(
      dataQuality({
        contractSlots: 2,
        missingQuotes: 5,
        staleQuotes: 0,
        crossedQuotes: 0,
        ivFailures: 0,
        parityViolations: 0,
      }).score,
    ).toBe(0);
  });

  it('counts OI change and build-up against the first snapshot of the day', () => {
    const snapshots = simulatedSnapshots('NIFTY', 30, 60_000);
    const first = snapshots[0]!.chains[0]!;
    const last = snapshots.at(-1)!.chains[0]!;
    for (const row of first.strikes) {
      expect(row.call?.analytics.oiChange ?? 0).toBe(0);
    }
    let moved = 0;
    for (const row of last.strikes) {
      for (const leg of [row.call, row.put]) {
        const before = first.strikes
          .flatMap((r) => [r.call, r.put])
          .find((l) => l?.quote.tradingsymbol === leg?.quote.tradingsymbol);
        if (leg && before && leg.analytics.oiChange !== null) {
          expect(leg.analytics.oiChange).toBe(leg.quote.oi - before.quote.oi);
          if (leg.analytics.oiChange !== 0 && leg.analytics.priceChange !== 0) {
            expect(leg.analytics.buildUp).toBe(classifyBuildUp(leg.analytics.priceChange!, leg.analytics.oiChange));
            moved++;
          }
        }
      }
    }
    expect(moved).toBeGreaterThan(0);
  });
});

describe('time to expiry', () => {
  it('counts calendar milliseconds on ACT/365 and remaining sessions over 252 on the trading basis', () => {
    const calendarOf = (holidays: string[]) => new ExchangeCalendar(BUILT_IN_CALENDAR_DATA, holidays);
    const plain = calendarOf([]);
    const monday = new Date('2026-08-17T06:00:00Z'); // 11:30 IST
    // NSE F&O closes (and options expire) at 15:40 IST from 3 Aug 2026.
    const calendar = timeToExpiryYears(monday, '2026-08-18', 'CALENDAR_365', plain, 'NSE_FO');
    expect(calendar).toBeCloseTo(((28 * 60 + 10) * 60_000) / (365 * 86_400_000), 15);
    // 4 h 10 min of Monday's 385-minute session left, plus all of Tuesday's.
    const trading = timeToExpiryYears(monday, '2026-08-18', 'TRADING_252', plain, 'NSE_FO');
    expect(trading).toBeCloseTo((250 / 385 + 1) / 252, 15);
    // BSE still closes at 15:30: 240 of 375 minutes.
    expect(timeToExpiryYears(monday, '2026-08-18', 'TRADING_252', plain, 'BSE_FO')).toBeCloseTo(
      (240 / 375 + 1) / 252,
      15,
    );
    // A holiday on Tuesday removes its session; the weekend never counts.
    expect(timeToExpiryYears(monday, '2026-08-18', 'TRADING_252', calendarOf(['2026-08-18']), 'NSE_FO')).toBeCloseTo(
      250 / 385 / 252,
      15,
    );
    const friday = new Date('2026-08-21T10:30:00Z'); // after the close
    expect(timeToExpiryYears(friday, '2026-08-25', 'TRADING_252', plain, 'NSE_FO')).toBeCloseTo(2 / 252, 15);
    // Before 3 Aug 2026 the session ended at 15:30.
    const july = new Date('2026-07-27T06:00:00Z');
    expect(timeToExpiryYears(july, '2026-07-28', 'TRADING_252', plain, 'NSE_FO')).toBeCloseTo(
      (240 / 375 + 1) / 252,
      15,
    );
  });
});
