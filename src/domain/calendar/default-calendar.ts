import Y2025 from './2025.json' with { type: 'json' };
import Y2026 from './2026.json' with { type: 'json' };
import { CALENDAR_YEAR, type CalendarData, SESSION_TABLE } from './calendar-data.ts';
import { ExchangeCalendar } from './exchange-calendar.ts';
import SESSIONS from './sessions.json' with { type: 'json' };

/**
 * The calendar G6 ships: one JSON file per published year and the session-times table. Adding a year is
 * adding its file here; the files are validated on load, so a typo fails every test rather than a session.
 */
export const BUILT_IN_CALENDAR_DATA: CalendarData = Object.freeze({
  sessions: SESSION_TABLE.parse(SESSIONS).segments,
  years: [CALENDAR_YEAR.parse(Y2025), CALENDAR_YEAR.parse(Y2026)],
});

export const DEFAULT_EXCHANGE_CALENDAR = new ExchangeCalendar(BUILT_IN_CALENDAR_DATA);
