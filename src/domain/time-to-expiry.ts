import { expiryInstant, isTradingDay } from './expiry-calendar.ts';
import { addDays, istWallClockToInstant, toIstDateString } from './ist-time.ts';
import type { TimeBasis } from './snapshot.ts';

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;
const SESSION_OPEN_IST = { hours: 9, minutes: 15 } as const;
const SESSION_CLOSE_IST = { hours: 15, minutes: 30 } as const;
const SESSION_MS = 375 * 60 * 1000;
export const TRADING_DAYS_PER_YEAR = 252;

/**
 * Year fraction from `observedAt` to 15:30 IST on the expiry date.
 * CALENDAR_365: ACT/365 to the millisecond (NSE, OpenAlgo, India VIX count minutes the same way).
 * TRADING_252: the trading sessions (09:15–15:30 IST, weekends and exchange holidays excluded) still to
 * run, as fractions of a 375-minute session, over 252 (Sensibull and Kite's convention).
 */
export function timeToExpiryYears(
  observedAt: Date,
  expiry: string,
  basis: TimeBasis,
  holidays: ReadonlySet<string>,
): number {
  const end = expiryInstant(expiry).getTime();
  const now = observedAt.getTime();
  if (basis === 'CALENDAR_365') {
    return (end - now) / YEAR_MS;
  }
  if (end <= now) {
    return (end - now) / YEAR_MS;
  }
  let sessions = 0;
  for (let day = toIstDateString(observedAt); day <= expiry; day = addDays(day, 1)) {
    if (!isTradingDay(day, holidays)) {
      continue;
    }
    const open = istWallClockToInstant(day, SESSION_OPEN_IST.hours, SESSION_OPEN_IST.minutes).getTime();
    const close = istWallClockToInstant(day, SESSION_CLOSE_IST.hours, SESSION_CLOSE_IST.minutes).getTime();
    sessions += Math.max(0, close - Math.max(open, now)) / SESSION_MS;
  }
  return sessions / TRADING_DAYS_PER_YEAR;
}
