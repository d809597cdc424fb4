import { describe, expect, it } from 'vitest';
import { DEFAULT_EXCHANGE_CALENDAR } from '../../../src/domain/calendar/default-calendar.ts';
import { MARKET_STATES } from '../../../src/domain/calendar/exchange-calendar.ts';
import { INDEX_SPECS } from '../../../src/domain/indices.ts';
import {
  createExchangeClock,
  createSimulatedSessionClock,
  isTrading,
  type MarketClock,
} from '../../../src/domain/market-clock.ts';
import type { IndexMarketData } from '../../../src/domain/market-data.ts';
import { cumulativeVolumeShare, SimulatedIndexMarket } from '../../../src/providers/simulated/simulated-market.ts';
import { TEST_RATE } from '../../helpers/simulated-snapshots.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * A minute into a session about 3.4% of its volume has traded; with per-contract noise the nearest expiry's
 * total stays well under a fifth of a full session's.
 */
const OPENING_SHARE_BOUND = 0.2;
const SESSION_CLOCK = createSimulatedSessionClock(DEFAULT_EXCHANGE_CALENDAR);
const EXCHANGE_CLOCK = createExchangeClock(DEFAULT_EXCHANGE_CALENDAR);

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

function createMarket(clock: MarketClock, seed = 'market-clock'): SimulatedIndexMarket {
  return new SimulatedIndexMarket({ spec: INDEX_SPECS.NIFTY, seed, clock, rate: TEST_RATE, dividendYield: 0 });
}

function nearestVolumes(data: IndexMarketData): { calls: number; puts: number } {
  const strikes = data.expiries[0]!.strikes;
  return {
    calls: strikes.reduce((n, s) => n + (s.call?.volume ?? 0), 0),
    puts: strikes.reduce((n, s) => n + (s.put?.volume ?? 0), 0),
  };
}

describe('createSimulatedSessionClock', () => {
  it('is OPEN at any hour: 02:00 IST on a weekday, a Sunday and Christmas', () => {
    const instants = [
      '2026-12-01T20:30:00Z', // 02:00 IST Wed 2 Dec 2026
      '2026-12-06T06:30:00Z', // 12:00 IST Sun 6 Dec 2026
      '2026-12-25T06:30:00Z', // 12:00 IST Fri 25 Dec 2026 (Christmas)
      '2026-12-24T20:30:00Z', // 02:00 IST Fri 25 Dec 2026
    ];
    for (const instant of instants) {
      const status = SESSION_CLOCK.status('NSE_FO', new Date(instant));
      expect(status.state, instant).toBe('OPEN');
      expect(status.holidayName, instant).toBeNull();
      expect(isTrading(status), instant).toBe(true);
      expect(status.calendarKnown, instant).toBe(true);
    }
    expect(SESSION_CLOCK.mode).toBe('SIMULATED_SESSION');
    expect(SESSION_CLOCK.calendar).toBe(DEFAULT_EXCHANGE_CALENDAR);
  });

  it('at 02:00 IST the session opened at the previous day’s 09:15 IST and closes 24 h after it', () => {
    // 02:00 IST Wed 2 Dec 2026
    const status = SESSION_CLOCK.status('NSE_FO', new Date('2026-12-01T20:30:00Z'));
    expect(status.tradingDay).toBe('2026-12-01');
    expect(status.session.date).toBe('2026-12-01');
    // 09:15 IST Tue 1 Dec 2026 to 09:15 IST Wed 2 Dec 2026
    expect(iso(status.session.opensAt)).toBe('2026-12-01T03:45:00.000Z');
    expect(iso(status.session.closesAt)).toBe('2026-12-02T03:45:00.000Z');
    expect(status.session.closesAt.getTime() - status.session.opensAt.getTime()).toBe(DAY_MS);
    expect(status.session.regularLengthMs).toBe(DAY_MS);
    expect(status.session.preOpenAt).toBeNull();
    expect(iso(status.nextOpenAt)).toBe('2026-12-02T03:45:00.000Z');
    expect(iso(status.lastCloseAt)).toBe('2026-12-01T03:45:00.000Z');
  });

  it('rolls the trading day at 09:15 IST: 09:14:59 is the previous date, 09:15:00 the same date', () => {
    // 09:14:59 IST Sun 6 Dec 2026
    const before = SESSION_CLOCK.status('NSE_FO', new Date('2026-12-06T03:44:59Z'));
    expect(before.tradingDay).toBe('2026-12-05');
    expect(iso(before.session.opensAt)).toBe('2026-12-05T03:45:00.000Z');
    // 09:15:00 IST Sun 6 Dec 2026
    const after = SESSION_CLOCK.status('NSE_FO', new Date('2026-12-06T03:45:00Z'));
    expect(after.tradingDay).toBe('2026-12-06');
    expect(iso(after.session.opensAt)).toBe('2026-12-06T03:45:00.000Z');
    expect(iso(after.session.closesAt)).toBe('2026-12-07T03:45:00.000Z');
    // BSE rolls at its own 09:15 IST open too
    expect(SESSION_CLOCK.status('BSE_FO', new Date('2026-12-06T03:44:59Z')).tradingDay).toBe('2026-12-05');
    expect(SESSION_CLOCK.status('BSE_FO', new Date('2026-12-06T03:45:00Z')).tradingDay).toBe('2026-12-06');
  });

  it('reports an unknown year as calendarKnown false while staying OPEN', () => {
    // 12:00 IST Sat 2 Jan 2027
    const status = SESSION_CLOCK.status('NSE_FO', new Date('2027-01-02T06:30:00Z'));
    expect(status.state).toBe('OPEN');
    expect(status.calendarKnown).toBe(false);
  });
});

describe('createExchangeClock', () => {
  it('delegates every status to the calendar', () => {
    expect(EXCHANGE_CLOCK.mode).toBe('EXCHANGE');
    expect(EXCHANGE_CLOCK.calendar).toBe(DEFAULT_EXCHANGE_CALENDAR);
    const instants = [
      '2026-12-01T20:30:00Z', // 02:00 IST Wed 2 Dec 2026
      '2026-12-02T03:35:00Z', // 09:05 IST
      '2026-12-02T06:30:00Z', // 12:00 IST
      '2026-12-25T06:30:00Z', // 12:00 IST Christmas
      '2026-02-01T04:30:00Z', // 10:00 IST Budget Sunday
    ];
    for (const instant of instants) {
      for (const segment of ['NSE_FO', 'BSE_FO'] as const) {
        const at = new Date(instant);
        expect(EXCHANGE_CLOCK.status(segment, at), `${segment} ${instant}`).toEqual(
          DEFAULT_EXCHANGE_CALENDAR.status(segment, at),
        );
      }
    }
    // 02:00 IST is closed on the exchange's clock
    expect(EXCHANGE_CLOCK.status('NSE_FO', new Date('2026-12-01T20:30:00Z')).state).toBe('CLOSED');
  });
});

describe('isTrading', () => {
  it('is true only for OPEN and SPECIAL_SESSION', () => {
    // 12:00 IST Wed 2 Dec 2026
    const base = EXCHANGE_CLOCK.status('NSE_FO', new Date('2026-12-02T06:30:00Z'));
    const trading = MARKET_STATES.filter((state) => isTrading({ ...base, state }));
    expect(trading).toEqual(['OPEN', 'SPECIAL_SESSION']);
  });

  it('follows the calendar: pre-open, closed and holiday are not trading, open and special sessions are', () => {
    const cases: Array<[string, boolean]> = [
      ['2026-12-02T03:35:00Z', false], // 09:05 IST Wed, PRE_OPEN
      ['2026-12-02T06:30:00Z', true], // 12:00 IST Wed, OPEN
      ['2026-12-02T10:30:00Z', false], // 16:00 IST Wed, CLOSED
      ['2026-12-25T06:30:00Z', false], // 12:00 IST Christmas, HOLIDAY
      ['2026-02-01T04:30:00Z', true], // 10:00 IST Budget Sunday, SPECIAL_SESSION
    ];
    for (const [instant, expected] of cases) {
      expect(isTrading(EXCHANGE_CLOCK.status('NSE_FO', new Date(instant))), instant).toBe(expected);
    }
  });
});

describe('SimulatedIndexMarket on each clock', () => {
  it('session clock at 02:00 IST: the first advance already has call and put volume on the nearest expiry', () => {
    // 02:00 IST Wed 2 Dec 2026
    const asOf = new Date('2026-12-01T20:30:00Z');
    const data = createMarket(SESSION_CLOCK).advance(asOf);
    // Tue 1 Dec's weekly expired at 15:40 IST; the next NIFTY weekly is Tue 8 Dec
    expect(data.expiries[0]!.expiry).toBe('2026-12-08');
    const { calls, puts } = nearestVolumes(data);
    expect(calls).toBeGreaterThan(0);
    expect(puts).toBeGreaterThan(0);
    expect(data.expiries[0]!.strikes[0]!.call!.lastTradeTime).toEqual(asOf);
  });

  it('exchange clock at 02:00 IST: two advances 10 minutes apart serve the same frozen close', () => {
    const market = createMarket(EXCHANGE_CLOCK);
    // 02:00 IST and 02:10 IST Wed 2 Dec 2026
    const first = market.advance(new Date('2026-12-01T20:30:00Z'));
    const second = market.advance(new Date('2026-12-01T20:40:00Z'));
    expect(second.spot).toBe(first.spot);
    // nothing has traded since the reference level was set
    expect(first.spot).toBe(INDEX_SPECS.NIFTY.referenceSpot);
    expect(nearestVolumes(second)).toEqual(nearestVolumes(first));
    expect(nearestVolumes(first).calls).toBeGreaterThan(0);
    expect(second.expiries).toEqual(first.expiries);
    expect(iso(second.observedAt)).toBe('2026-12-01T20:40:00.000Z');
    // every quote's last trade is Tue 1 Dec's 15:40 IST close
    const lastTrades = new Set(
      second.expiries.flatMap((e) =>
        e.strikes.flatMap((s) => [iso(s.call?.lastTradeTime ?? null), iso(s.put?.lastTradeTime ?? null)]),
      ),
    );
    expect(lastTrades).toEqual(new Set(['2026-12-01T10:10:00.000Z']));
  });

  it('exchange clock across 09:15 IST: volume restarts with the session and spot moves within it', () => {
    const market = createMarket(EXCHANGE_CLOCK);
    // 02:00 IST Wed 2 Dec 2026: closed, Tuesday's full-session volume
    const night = market.advance(new Date('2026-12-01T20:30:00Z'));
    // 09:16 IST: Wednesday's session has just started
    const opening = market.advance(new Date('2026-12-02T03:46:00Z'));
    // 09:46 IST
    const later = market.advance(new Date('2026-12-02T04:16:00Z'));
    // one minute in, about 3.4% of a session has traded (the 3% opening burst and 1/385 of the rest)
    expect(nearestVolumes(opening).calls).toBeLessThan(OPENING_SHARE_BOUND * nearestVolumes(night).calls);
    expect(nearestVolumes(opening).puts).toBeLessThan(OPENING_SHARE_BOUND * nearestVolumes(night).puts);
    expect(nearestVolumes(later).calls).toBeGreaterThan(nearestVolumes(opening).calls);
    expect(later.spot).not.toBe(opening.spot);
    expect(opening.expiries[0]!.strikes[0]!.call!.lastTradeTime).toEqual(new Date('2026-12-02T03:46:00Z'));
  });

  it('exchange clock in the pre-open (09:05 IST): nothing trades, so Tuesday’s close is still served', () => {
    const market = createMarket(EXCHANGE_CLOCK);
    // 02:00 IST Wed 2 Dec 2026
    const night = market.advance(new Date('2026-12-01T20:30:00Z'));
    // 09:05 IST: pre-open, which the session gate collects from
    const preOpen = market.advance(new Date('2026-12-02T03:35:00Z'));
    expect(preOpen.spot).toBe(night.spot);
    // Tue 1 Dec 15:40 IST
    expect(preOpen.expiries[0]!.strikes[0]!.call!.lastTradeTime).toEqual(new Date('2026-12-01T10:10:00Z'));
    expect(nearestVolumes(preOpen)).toEqual(nearestVolumes(night));
  });

  it('exchange clock with a pre-open look: volume still restarts at the 09:15 IST open', () => {
    const market = createMarket(EXCHANGE_CLOCK);
    // 02:00 IST Wed 2 Dec 2026: closed, Tuesday's full-session volume
    const night = market.advance(new Date('2026-12-01T20:30:00Z'));
    // 09:05 IST: pre-open
    market.advance(new Date('2026-12-02T03:35:00Z'));
    // 09:16 IST: Wednesday's session has just started
    const opening = market.advance(new Date('2026-12-02T03:46:00Z'));
    expect(nearestVolumes(opening).calls).toBeLessThan(OPENING_SHARE_BOUND * nearestVolumes(night).calls);
    expect(nearestVolumes(opening).puts).toBeLessThan(OPENING_SHARE_BOUND * nearestVolumes(night).puts);
  });
});

describe('cumulativeVolumeShare', () => {
  it('starts above 0 (the opening burst), increases strictly and reaches 1 at the close', () => {
    expect(cumulativeVolumeShare(0)).toBeGreaterThan(0);
    expect(cumulativeVolumeShare(0)).toBeCloseTo(0.03, 12);
    const phases = Array.from({ length: 101 }, (_, i) => i / 100);
    const shares = phases.map(cumulativeVolumeShare);
    for (let i = 1; i < shares.length; i++) {
      expect(shares[i]!, `phase ${phases[i]}`).toBeGreaterThan(shares[i - 1]!);
    }
    expect(cumulativeVolumeShare(1)).toBeCloseTo(1, 12);
    // the U shape is symmetric: half the non-burst volume trades by mid-session
    expect(cumulativeVolumeShare(0.5)).toBeCloseTo(0.03 + 0.97 * 0.5, 12);
  });

  it('clamps phases outside the session to its ends', () => {
    expect(cumulativeVolumeShare(-0.5)).toBe(cumulativeVolumeShare(0));
    expect(cumulativeVolumeShare(2)).toBe(cumulativeVolumeShare(1));
  });
});
