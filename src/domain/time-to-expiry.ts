import type { Segment } from './calendar/calendar-data.ts';
import type { ExchangeCalendar } from './calendar/exchange-calendar.ts';
import type { TimeBasis } from './snapshot.ts';

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;
export const TRADING_DAYS_PER_YEAR = 252;

/**
 * Year fraction from `observedAt` to the expiry cut-off of the segment's calendar on the expiry date
 * (15:30 IST, 15:40 on NSE from 3 Aug 2026).
 * CALENDAR_365: ACT/365 to the millisecond (NSE, OpenAlgo, India VIX count minutes the same way).
 * TRADING_252: the trading sessions still to run (weekends and exchange holidays excluded, special
 * sessions counted by their length), as fractions of the day's regular session, over 252 (Sensibull and
 * Kite's convention).
 */
export function timeToExpiryYears(
  observedAt: Date,
  expiry: string,
  basis: TimeBasis,
  calendar: ExchangeCalendar,
  segment: Segment,
): number {
  const end = calendar.expiryCutoff(segment, expiry).getTime();
  const now = observedAt.getTime();
  if (basis === 'CALENDAR_365' || end <= now) {
    return (end - now) / YEAR_MS;
  }
  return calendar.tradingSessionsUntilExpiry(segment, observedAt, expiry) / TRADING_DAYS_PER_YEAR;
}
