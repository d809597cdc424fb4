import type { Config } from '../config.ts';
import { mergeCalendarData } from '../domain/calendar/calendar-data.ts';
import { BUILT_IN_CALENDAR_DATA } from '../domain/calendar/default-calendar.ts';
import { ExchangeCalendar } from '../domain/calendar/exchange-calendar.ts';
import { createExchangeClock, createSimulatedSessionClock, type MarketClock } from '../domain/market-clock.ts';

/** The configured calendar: the built-in data, G6_MARKET_CALENDAR_FILE over it, G6_MARKET_HOLIDAYS last. */
export function createCalendar(config: Config): ExchangeCalendar {
  const data =
    config.calendarOverride === null
      ? BUILT_IN_CALENDAR_DATA
      : mergeCalendarData(BUILT_IN_CALENDAR_DATA, config.calendarOverride);
  return new ExchangeCalendar(data, config.marketHolidays ?? undefined);
}

/** Kite always follows the exchanges; the simulated market its own session clock unless G6_SIM_CLOCK=exchange. */
export function createMarketClock(config: Config, calendar: ExchangeCalendar): MarketClock {
  return config.mockMode && config.simulatedClock === 'SESSION'
    ? createSimulatedSessionClock(calendar)
    : createExchangeClock(calendar);
}
