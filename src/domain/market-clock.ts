import type { Segment } from './calendar/calendar-data.ts';
import type { ExchangeCalendar, MarketStatus } from './calendar/exchange-calendar.ts';
import { addDays, istWallClockToInstant, toIstDateString } from './ist-time.ts';

/**
 * EXCHANGE: the market follows the exchanges' calendar (Kite, or the simulated market with
 * G6_SIM_CLOCK=exchange): closed at night, on weekends and holidays.
 * SIMULATED_SESSION: the simulated market's own clock (the default): one continuous session a day from
 * the regular open (09:15 IST) to the next, so the market trades at any hour.
 */
export type MarketClockMode = 'EXCHANGE' | 'SIMULATED_SESSION';

/** The session a provider's market is in at an instant. Pure: a function of the calendar and the instant. */
export interface MarketClock {
  readonly mode: MarketClockMode;
  readonly calendar: ExchangeCalendar;
  status(segment: Segment, instant: Date): MarketStatus;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** True while contracts trade (options do not trade in the pre-open auction). */
export function isTrading(status: MarketStatus): boolean {
  return status.state === 'OPEN' || status.state === 'SPECIAL_SESSION';
}

export function createExchangeClock(calendar: ExchangeCalendar): MarketClock {
  return { mode: 'EXCHANGE', calendar, status: (segment, instant) => calendar.status(segment, instant) };
}

/**
 * Each virtual session opens at the regular open time of its IST date and lasts until the next day's
 * open, so volume resets when the real market opens, accumulates all day (and all night) and the chain
 * looks like a live session whenever someone looks. Expiries still roll at the real cut-offs.
 */
export function createSimulatedSessionClock(calendar: ExchangeCalendar): MarketClock {
  return {
    mode: 'SIMULATED_SESSION',
    calendar,
    status(segment, instant) {
      const today = toIstDateString(instant);
      const openOn = (date: string) => {
        const [hours, minutes] = calendar.sessionTimes(segment, date).open.split(':').map(Number);
        return istWallClockToInstant(date, hours!, minutes!);
      };
      const date = openOn(today).getTime() <= instant.getTime() ? today : addDays(today, -1);
      const opensAt = openOn(date);
      const closesAt = new Date(opensAt.getTime() + DAY_MS);
      return {
        segment,
        state: 'OPEN',
        at: instant,
        session: { segment, date, specialName: null, preOpenAt: null, opensAt, closesAt, regularLengthMs: DAY_MS },
        nextOpenAt: closesAt,
        lastCloseAt: opensAt,
        tradingDay: date,
        holidayName: null,
        calendarKnown: calendar.isYearKnown(segment, Number(today.slice(0, 4))),
      };
    },
  };
}
