import { addDays, isoWeekday, istWallClockToInstant, toIstDateString } from '../ist-time.ts';
import type { CalendarData, Holiday, Segment, SessionTimes, SpecialSession } from './calendar-data.ts';

/**
 * Where a segment stands at an instant. PRE_OPEN is the pre-open call auction (futures only on F&O since
 * Dec 2025; options trade from `sessionOpensAt`). HOLIDAY is a listed trading holiday (weekend ones too),
 * CLOSED any other time outside a session; SPECIAL_SESSION is a session on a day that has none normally
 * (Budget Sunday, Muhurat trading).
 */
export const MARKET_STATES = ['PRE_OPEN', 'OPEN', 'CLOSED', 'HOLIDAY', 'SPECIAL_SESSION'] as const;
export type MarketState = (typeof MARKET_STATES)[number];

export interface TradingSession {
  readonly segment: Segment;
  /** IST date, `YYYY-MM-DD`. */
  readonly date: string;
  /** Name of a special session (null for a regular one). */
  readonly specialName: string | null;
  readonly preOpenAt: Date | null;
  readonly opensAt: Date;
  readonly closesAt: Date;
  /**
   * Length of the regular session in effect on this date. TRADING_252 counts time in these units, so a
   * regular session is one trading day whatever its length and a one-hour Muhurat session a fraction.
   */
  readonly regularLengthMs: number;
}

export interface MarketStatus {
  readonly segment: Segment;
  readonly state: MarketState;
  /** The instant this status describes. */
  readonly at: Date;
  /** The session in progress (PRE_OPEN, OPEN, SPECIAL_SESSION), else the next one. */
  readonly session: TradingSession;
  /** Opening of the next session to start after `at` (the current one's when PRE_OPEN or before it). */
  readonly nextOpenAt: Date;
  /** The latest session close at or before `at`; null when none is known. */
  readonly lastCloseAt: Date | null;
  /** The session this instant's prices belong to: the current one, else the last one that closed. */
  readonly tradingDay: string;
  readonly holidayName: string | null;
  /** False when the year of `at` is not in the calendar (weekdays then count as regular sessions). */
  readonly calendarKnown: boolean;
}

const MINUTE_MS = 60_000;
/** A gap longer than this between sessions means the data is wrong; calendars never close that long. */
const MAX_SEARCH_DAYS = 60;

function parseWallClock(text: string): { hours: number; minutes: number } {
  return { hours: Number(text.slice(0, 2)), minutes: Number(text.slice(3, 5)) };
}

function at(date: string, wallClock: string): Date {
  const { hours, minutes } = parseWallClock(wallClock);
  return istWallClockToInstant(date, hours, minutes);
}

function minutesOf(wallClock: string): number {
  const { hours, minutes } = parseWallClock(wallClock);
  return hours * 60 + minutes;
}

/**
 * The exchanges' calendar as data: holidays, special sessions and effective-dated session times per
 * segment (see `src/domain/calendar/*.json`). Pure: every answer is a function of the data and the
 * instant or date asked about. Years the data does not cover count weekdays as regular sessions
 * (`isYearKnown` tells; the server warns about them at start-up).
 */
export class ExchangeCalendar {
  readonly #sessions = new Map<Segment, readonly SessionTimes[]>();
  readonly #holidays = new Map<Segment, Map<string, Holiday>>();
  readonly #specials = new Map<Segment, Map<string, SpecialSession>>();
  readonly #knownYears = new Map<Segment, Set<number>>();
  readonly #sessionCache = new Map<string, TradingSession | null>();

  /**
   * @param holidayOverride replaces every segment's holidays (G6_MARKET_HOLIDAYS); special sessions and
   *   session times stay.
   */
  constructor(data: CalendarData, holidayOverride?: readonly string[]) {
    for (const [segment, times] of Object.entries(data.sessions) as Array<[Segment, readonly SessionTimes[]]>) {
      this.#sessions.set(
        segment,
        [...times].sort((a, b) => a.from.localeCompare(b.from)),
      );
    }
    for (const year of data.years) {
      for (const [segment, entry] of Object.entries(year.segments) as Array<
        [Segment, NonNullable<(typeof year.segments)[Segment]>]
      >) {
        this.#knownYears.set(segment, (this.#knownYears.get(segment) ?? new Set()).add(year.year));
        const holidays = this.#holidays.get(segment) ?? new Map<string, Holiday>();
        if (holidayOverride === undefined) {
          for (const holiday of entry.holidays) {
            holidays.set(holiday.date, holiday);
          }
        }
        this.#holidays.set(segment, holidays);
        const specials = this.#specials.get(segment) ?? new Map<string, SpecialSession>();
        for (const special of entry.specialSessions) {
          specials.set(special.date, special);
        }
        this.#specials.set(segment, specials);
      }
    }
    if (holidayOverride !== undefined) {
      for (const segment of this.#sessions.keys()) {
        this.#holidays.set(
          segment,
          new Map(holidayOverride.map((date) => [date, { date, name: 'holiday (G6_MARKET_HOLIDAYS)' }])),
        );
      }
    }
  }

  /** The session times in effect on `date` (the last entry taking effect on or before it). */
  sessionTimes(segment: Segment, date: string): SessionTimes {
    const table = this.#sessions.get(segment);
    if (table === undefined || table.length === 0) {
      throw new Error(`the calendar has no session times for ${segment}`);
    }
    let chosen = table[0]!;
    for (const entry of table) {
      if (entry.from <= date) {
        chosen = entry;
      }
    }
    return chosen;
  }

  isYearKnown(segment: Segment, year: number): boolean {
    return this.#knownYears.get(segment)?.has(year) ?? false;
  }

  holiday(segment: Segment, date: string): Holiday | null {
    return this.#holidays.get(segment)?.get(date) ?? null;
  }

  /** A weekday that is not a holiday: the days expiries and regular sessions fall on. */
  isTradingDay(segment: Segment, date: string): boolean {
    return isoWeekday(date) <= 5 && this.holiday(segment, date) === null;
  }

  /** An expiry that falls on a non-trading day moves to the previous trading day, as the exchanges do. */
  shiftToTradingDay(segment: Segment, date: string): string {
    let day = date;
    for (let i = 0; i < MAX_SEARCH_DAYS && !this.isTradingDay(segment, day); i += 1) {
      day = addDays(day, -1);
    }
    return day;
  }

  /** When options expiring on `date` stop trading: the end of their time to expiry. */
  expiryCutoff(segment: Segment, date: string): Date {
    return at(date, this.sessionTimes(segment, date).expiryCutoff);
  }

  /** The day's session: a special one where listed, else the regular one on trading days, else null. */
  session(segment: Segment, date: string): TradingSession | null {
    const key = `${segment}|${date}`;
    const cached = this.#sessionCache.get(key);
    if (cached !== undefined) {
      return cached;
    }
    const regular = this.sessionTimes(segment, date);
    const regularLengthMs = (minutesOf(regular.close) - minutesOf(regular.open)) * MINUTE_MS;
    const special = this.#specials.get(segment)?.get(date);
    let session: TradingSession | null = null;
    if (special !== undefined) {
      session = {
        segment,
        date,
        specialName: special.name,
        preOpenAt: special.preOpen === null ? null : at(date, special.preOpen),
        opensAt: at(date, special.open),
        closesAt: at(date, special.close),
        regularLengthMs,
      };
    } else if (this.isTradingDay(segment, date)) {
      session = {
        segment,
        date,
        specialName: null,
        preOpenAt: regular.preOpen === null ? null : at(date, regular.preOpen),
        opensAt: at(date, regular.open),
        closesAt: at(date, regular.close),
        regularLengthMs,
      };
    }
    this.#sessionCache.set(key, session);
    return session;
  }

  /** The first session on a date after `date`. */
  nextSession(segment: Segment, date: string): TradingSession {
    let day = date;
    for (let i = 0; i < MAX_SEARCH_DAYS; i += 1) {
      day = addDays(day, 1);
      const session = this.session(segment, day);
      if (session !== null) {
        return session;
      }
    }
    throw new Error(`no ${segment} session within ${MAX_SEARCH_DAYS} days after ${date}`);
  }

  /** The last session on a date before `date`, or null when none is found. */
  previousSession(segment: Segment, date: string): TradingSession | null {
    let day = date;
    for (let i = 0; i < MAX_SEARCH_DAYS; i += 1) {
      day = addDays(day, -1);
      const session = this.session(segment, day);
      if (session !== null) {
        return session;
      }
    }
    return null;
  }

  status(segment: Segment, instant: Date): MarketStatus {
    const t = instant.getTime();
    const date = toIstDateString(instant);
    const today = this.session(segment, date);
    const holidayName = this.holiday(segment, date)?.name ?? null;
    const calendarKnown = this.isYearKnown(segment, Number(date.slice(0, 4)));
    const base = { segment, at: instant, holidayName, calendarKnown };
    const closedState = holidayName !== null ? 'HOLIDAY' : 'CLOSED';
    const previous = () => this.previousSession(segment, date);

    if (today !== null && t < today.closesAt.getTime()) {
      if (t >= today.opensAt.getTime()) {
        return {
          ...base,
          state: today.specialName === null ? 'OPEN' : 'SPECIAL_SESSION',
          session: today,
          nextOpenAt: this.nextSession(segment, date).opensAt,
          lastCloseAt: previous()?.closesAt ?? null,
          tradingDay: date,
        };
      }
      const last = previous();
      const preOpen = today.preOpenAt !== null && t >= today.preOpenAt.getTime();
      return {
        ...base,
        state: preOpen ? 'PRE_OPEN' : closedState,
        session: today,
        nextOpenAt: today.opensAt,
        lastCloseAt: last?.closesAt ?? null,
        tradingDay: preOpen || last === null ? date : last.date,
      };
    }
    const next = this.nextSession(segment, date);
    const last = today ?? previous();
    return {
      ...base,
      state: closedState,
      session: next,
      nextOpenAt: next.opensAt,
      lastCloseAt: last?.closesAt ?? null,
      tradingDay: last?.date ?? date,
    };
  }

  /**
   * Trading time from `from` to the expiry cut-off of `expiry`, in sessions (see
   * `TradingSession.regularLengthMs`): the rest of today's session, then every session up to the expiry
   * date, that day's ending at the cut-off. 0 once the cut-off has passed.
   */
  tradingSessionsUntilExpiry(segment: Segment, from: Date, expiry: string): number {
    const end = this.expiryCutoff(segment, expiry).getTime();
    const now = from.getTime();
    if (end <= now) {
      return 0;
    }
    let sessions = 0;
    for (let day = toIstDateString(from); day <= expiry; day = addDays(day, 1)) {
      const session = this.session(segment, day);
      if (session === null) {
        continue;
      }
      const close = day === expiry ? Math.min(session.closesAt.getTime(), end) : session.closesAt.getTime();
      sessions += Math.max(0, close - Math.max(session.opensAt.getTime(), now)) / session.regularLengthMs;
    }
    return sessions;
  }

  /** Months among the one containing `instant` and the next whose year the calendar lacks, as `YYYY-MM`. */
  unknownMonths(segment: Segment, instant: Date): string[] {
    const date = toIstDateString(instant);
    const year = Number(date.slice(0, 4));
    const month = Number(date.slice(5, 7));
    const nextYear = month === 12 ? year + 1 : year;
    const nextMonth = month === 12 ? 1 : month + 1;
    return [
      [year, month],
      [nextYear, nextMonth],
    ]
      .filter(([y]) => !this.isYearKnown(segment, y!))
      .map(([y, m]) => `${y}-${String(m).padStart(2, '0')}`);
  }
}
