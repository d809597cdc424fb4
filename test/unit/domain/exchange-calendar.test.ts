import { afterEach, describe, expect, it } from 'vitest';
import {
  type CalendarOverride,
  mergeCalendarData,
  parseCalendarOverride,
  type Segment,
} from '../../../src/domain/calendar/calendar-data.ts';
import { BUILT_IN_CALENDAR_DATA, DEFAULT_EXCHANGE_CALENDAR } from '../../../src/domain/calendar/default-calendar.ts';
import { ExchangeCalendar, type MarketStatus } from '../../../src/domain/calendar/exchange-calendar.ts';

const CALENDAR = new ExchangeCalendar(BUILT_IN_CALENDAR_DATA);
const MINUTE_MS = 60_000;
/** NSE's regular session from 3 Aug 2026: 09:15-15:40 IST. */
const NSE_LENGTH_FROM_AUG_2026_MS = 385 * MINUTE_MS;

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

function nse(instant: string): MarketStatus {
  return CALENDAR.status('NSE_FO', new Date(instant));
}
function bse(instant: string): MarketStatus {
  return CALENDAR.status('BSE_FO', new Date(instant));
}

/** The parts of a status a test compares, as plain strings. */
function summary(status: MarketStatus) {
  return {
    state: status.state,
    at: iso(status.at),
    sessionDate: status.session.date,
    specialName: status.session.specialName,
    preOpenAt: iso(status.session.preOpenAt),
    opensAt: iso(status.session.opensAt),
    closesAt: iso(status.session.closesAt),
    nextOpenAt: iso(status.nextOpenAt),
    lastCloseAt: iso(status.lastCloseAt),
    tradingDay: status.tradingDay,
    holidayName: status.holidayName,
    calendarKnown: status.calendarKnown,
  };
}

describe('ExchangeCalendar.status on a regular trading day', () => {
  it('NSE_FO Wed 2 Dec 2026 before the pre-open is CLOSED, the trading day still the previous session', () => {
    // 08:59:59 IST Wed 2 Dec 2026
    const status = nse('2026-12-02T03:29:59Z');
    expect(status.state).toBe('CLOSED');
    expect(status.holidayName).toBeNull();
    expect(status.tradingDay).toBe('2026-12-01');
    // today's session is the one to come: 09:15 IST
    expect(status.session.date).toBe('2026-12-02');
    expect(iso(status.nextOpenAt)).toBe('2026-12-02T03:45:00.000Z');
    // Tue 1 Dec closed at 15:40 IST
    expect(iso(status.lastCloseAt)).toBe('2026-12-01T10:10:00.000Z');
    expect(status.calendarKnown).toBe(true);
  });

  it('NSE_FO Wed 2 Dec 2026 from 09:00 IST to 09:14:59 is PRE_OPEN with the session of the day', () => {
    // 09:00:00 IST and 09:14:59 IST
    for (const instant of ['2026-12-02T03:30:00Z', '2026-12-02T03:44:59Z']) {
      const status = nse(instant);
      expect(status.state, instant).toBe('PRE_OPEN');
      expect(status.tradingDay, instant).toBe('2026-12-02');
      expect(status.session.specialName).toBeNull();
      // pre-open 09:00 IST, open 09:15 IST, close 15:40 IST
      expect(iso(status.session.preOpenAt)).toBe('2026-12-02T03:30:00.000Z');
      expect(iso(status.session.opensAt)).toBe('2026-12-02T03:45:00.000Z');
      expect(iso(status.session.closesAt)).toBe('2026-12-02T10:10:00.000Z');
      expect(iso(status.nextOpenAt)).toBe('2026-12-02T03:45:00.000Z');
      expect(iso(status.lastCloseAt)).toBe('2026-12-01T10:10:00.000Z');
    }
  });

  it('NSE_FO Wed 2 Dec 2026 at 09:15:00 IST is OPEN, the next open being Thursday 09:15 IST', () => {
    // 09:15:00 IST
    const status = nse('2026-12-02T03:45:00Z');
    expect(status.state).toBe('OPEN');
    expect(status.tradingDay).toBe('2026-12-02');
    expect(status.session.date).toBe('2026-12-02');
    expect(status.session.regularLengthMs).toBe(NSE_LENGTH_FROM_AUG_2026_MS);
    // Thu 3 Dec 09:15 IST
    expect(iso(status.nextOpenAt)).toBe('2026-12-03T03:45:00.000Z');
    expect(iso(status.lastCloseAt)).toBe('2026-12-01T10:10:00.000Z');
  });

  it('NSE_FO closes at 15:40 IST from Aug 2026: OPEN at 15:39:59, CLOSED at 15:40:00 with that close as lastCloseAt', () => {
    // 15:39:59 IST
    expect(nse('2026-12-02T10:09:59Z').state).toBe('OPEN');
    // 15:40:00 IST
    const closed = nse('2026-12-02T10:10:00Z');
    expect(closed.state).toBe('CLOSED');
    expect(closed.holidayName).toBeNull();
    expect(iso(closed.lastCloseAt)).toBe('2026-12-02T10:10:00.000Z');
    // Thu 3 Dec 09:15 IST, which is also the session reported
    expect(iso(closed.nextOpenAt)).toBe('2026-12-03T03:45:00.000Z');
    expect(closed.session.date).toBe('2026-12-03');
    expect(closed.tradingDay).toBe('2026-12-02');
  });

  it('BSE_FO on the same day closes at 15:30 IST: OPEN at 15:29:59, CLOSED at 15:30:00', () => {
    // 15:29:59 IST
    const open = bse('2026-12-02T09:59:59Z');
    expect(open.state).toBe('OPEN');
    expect(iso(open.session.closesAt)).toBe('2026-12-02T10:00:00.000Z');
    // 15:30:00 IST
    const closed = bse('2026-12-02T10:00:00Z');
    expect(closed.state).toBe('CLOSED');
    expect(iso(closed.lastCloseAt)).toBe('2026-12-02T10:00:00.000Z');
    expect(iso(closed.nextOpenAt)).toBe('2026-12-03T03:45:00.000Z');
    // 15:35 IST: NSE is still open while BSE is closed
    expect(nse('2026-12-02T10:05:00Z').state).toBe('OPEN');
    expect(bse('2026-12-02T10:05:00Z').state).toBe('CLOSED');
  });

  it('NSE_FO before 3 Aug 2026 closes at 15:30 IST (Mon 27 Jul 2026), and at 15:40 from Mon 3 Aug', () => {
    // 15:29:59 IST Mon 27 Jul 2026
    const open = nse('2026-07-27T09:59:59Z');
    expect(open.state).toBe('OPEN');
    expect(iso(open.session.closesAt)).toBe('2026-07-27T10:00:00.000Z');
    expect(open.session.regularLengthMs).toBe(375 * MINUTE_MS);
    // 15:30:00 IST
    expect(nse('2026-07-27T10:00:00Z').state).toBe('CLOSED');
    expect(CALENDAR.sessionTimes('NSE_FO', '2026-08-02').close).toBe('15:30');
    expect(CALENDAR.sessionTimes('NSE_FO', '2026-08-03').close).toBe('15:40');
    // 15:35 IST Mon 3 Aug 2026, the first day of the later close
    expect(nse('2026-08-03T10:05:00Z').state).toBe('OPEN');
  });

  it('NSE_FO before 8 Dec 2025 has no pre-open: 09:05 IST Fri 5 Dec 2025 is CLOSED', () => {
    // 09:05 IST Fri 5 Dec 2025
    const status = nse('2025-12-05T03:35:00Z');
    expect(status.state).toBe('CLOSED');
    expect(status.session.preOpenAt).toBeNull();
    expect(status.tradingDay).toBe('2025-12-04');
    // 09:05 IST Mon 8 Dec 2025, the first day of the pre-open
    expect(nse('2025-12-08T03:35:00Z').state).toBe('PRE_OPEN');
  });
});

describe('ExchangeCalendar.expiryCutoff', () => {
  it('NSE expiries after 3 Aug 2026 stop at 15:40 IST, earlier ones at 15:30 IST, BSE ones at 15:30 IST', () => {
    // Tue 1 Dec 2026 15:40 IST
    expect(iso(CALENDAR.expiryCutoff('NSE_FO', '2026-12-01'))).toBe('2026-12-01T10:10:00.000Z');
    // Tue 28 Jul 2026 15:30 IST
    expect(iso(CALENDAR.expiryCutoff('NSE_FO', '2026-07-28'))).toBe('2026-07-28T10:00:00.000Z');
    // Thu 3 Dec 2026 15:30 IST
    expect(iso(CALENDAR.expiryCutoff('BSE_FO', '2026-12-03'))).toBe('2026-12-03T10:00:00.000Z');
    expect(iso(DEFAULT_EXCHANGE_CALENDAR.expiryCutoff('NSE_FO', '2026-12-01'))).toBe('2026-12-01T10:10:00.000Z');
  });
});

describe('ExchangeCalendar holidays', () => {
  it('Christmas Fri 25 Dec 2026 is a HOLIDAY, opening again Mon 28 Dec 09:15 IST, trading day Thu 24 Dec', () => {
    // 12:00 IST Fri 25 Dec 2026
    for (const segment of ['NSE_FO', 'BSE_FO'] as const) {
      const status = CALENDAR.status(segment, new Date('2026-12-25T06:30:00Z'));
      expect(status.state, segment).toBe('HOLIDAY');
      expect(status.holidayName, segment).toBe('Christmas');
      expect(status.tradingDay, segment).toBe('2026-12-24');
      // Mon 28 Dec 09:15 IST
      expect(iso(status.nextOpenAt), segment).toBe('2026-12-28T03:45:00.000Z');
      expect(status.session.date, segment).toBe('2026-12-28');
    }
    // Thu 24 Dec closed at 15:40 IST (NSE) and 15:30 IST (BSE)
    expect(iso(nse('2026-12-25T06:30:00Z').lastCloseAt)).toBe('2026-12-24T10:10:00.000Z');
    expect(iso(bse('2026-12-25T06:30:00Z').lastCloseAt)).toBe('2026-12-24T10:00:00.000Z');
    expect(CALENDAR.isTradingDay('NSE_FO', '2026-12-25')).toBe(false);
    expect(CALENDAR.session('NSE_FO', '2026-12-25')).toBeNull();
  });

  it('15 Jan 2026 (Maharashtra municipal elections) is a holiday for both segments, shifting that day’s expiry back', () => {
    for (const segment of ['NSE_FO', 'BSE_FO'] as const) {
      expect(CALENDAR.holiday(segment, '2026-01-15')?.name, segment).toBe(
        'Municipal Corporation Elections - Maharashtra',
      );
      expect(CALENDAR.isTradingDay(segment, '2026-01-15'), segment).toBe(false);
      // 11:00 IST Thu 15 Jan 2026
      const status = CALENDAR.status(segment, new Date('2026-01-15T05:30:00Z'));
      expect(status.state, segment).toBe('HOLIDAY');
      expect(status.tradingDay, segment).toBe('2026-01-14');
      // Fri 16 Jan 09:15 IST
      expect(iso(status.nextOpenAt), segment).toBe('2026-01-16T03:45:00.000Z');
    }
    // SENSEX expires on Thursdays: that week's expiry moves to Wed 14 Jan
    expect(CALENDAR.shiftToTradingDay('BSE_FO', '2026-01-15')).toBe('2026-01-14');
  });
});

describe('ExchangeCalendar special sessions', () => {
  it('Budget Sunday 1 Feb 2026 is PRE_OPEN at 09:05 IST and a SPECIAL_SESSION at 10:00 IST', () => {
    // 09:05 IST Sun 1 Feb 2026
    const preOpen = nse('2026-02-01T03:35:00Z');
    expect(preOpen.state).toBe('PRE_OPEN');
    expect(preOpen.tradingDay).toBe('2026-02-01');
    // 10:00 IST
    for (const segment of ['NSE_FO', 'BSE_FO'] as const) {
      const status = CALENDAR.status(segment, new Date('2026-02-01T04:30:00Z'));
      expect(status.state, segment).toBe('SPECIAL_SESSION');
      expect(status.session.specialName, segment).toBe('Union Budget session (Sunday)');
      expect(status.tradingDay, segment).toBe('2026-02-01');
      expect(status.holidayName, segment).toBeNull();
      expect(iso(status.session.closesAt), segment).toBe('2026-02-01T10:00:00.000Z');
      // Mon 2 Feb 09:15 IST
      expect(iso(status.nextOpenAt), segment).toBe('2026-02-02T03:45:00.000Z');
    }
  });

  it('Budget Sunday 1 Feb 2026 after its 15:30 IST close is CLOSED (not HOLIDAY) with that close as lastCloseAt', () => {
    // 16:00 IST Sun 1 Feb 2026
    const status = nse('2026-02-01T10:30:00Z');
    expect(status.state).toBe('CLOSED');
    expect(status.holidayName).toBeNull();
    expect(status.tradingDay).toBe('2026-02-01');
    expect(iso(status.lastCloseAt)).toBe('2026-02-01T10:00:00.000Z');
    expect(iso(status.nextOpenAt)).toBe('2026-02-02T03:45:00.000Z');
    // 08:00 IST that Sunday, before the pre-open: CLOSED, still Friday 30 Jan's prices
    const early = nse('2026-02-01T02:30:00Z');
    expect(early.state).toBe('CLOSED');
    expect(early.tradingDay).toBe('2026-01-30');
  });

  it('Muhurat trading on Diwali Sunday 8 Nov 2026 is a SPECIAL_SESSION on a listed holiday, HOLIDAY outside it', () => {
    // 18:30 IST Sun 8 Nov 2026
    const session = nse('2026-11-08T13:00:00Z');
    expect(session.state).toBe('SPECIAL_SESSION');
    expect(session.session.specialName).toBe('Muhurat trading');
    expect(session.holidayName).toBe('Diwali Laxmi Pujan (Sunday)');
    expect(session.tradingDay).toBe('2026-11-08');
    // 12:00 IST, before the 17:45 IST pre-open
    const before = nse('2026-11-08T06:30:00Z');
    expect(before.state).toBe('HOLIDAY');
    expect(before.tradingDay).toBe('2026-11-06');
    expect(iso(before.nextOpenAt)).toBe('2026-11-08T12:30:00.000Z');
    // 17:50 IST
    expect(nse('2026-11-08T12:20:00Z').state).toBe('PRE_OPEN');
    // 19:30 IST, after the 19:00 IST close
    const after = nse('2026-11-08T14:00:00Z');
    expect(after.state).toBe('HOLIDAY');
    expect(after.tradingDay).toBe('2026-11-08');
    expect(iso(after.lastCloseAt)).toBe('2026-11-08T13:30:00.000Z');
  });
});

describe('ExchangeCalendar weekends and the IST date line', () => {
  it('Sunday 6 Dec 2026 12:00 IST is CLOSED with Friday’s trading day and Monday 09:15 IST next', () => {
    // 12:00 IST Sun 6 Dec 2026
    const status = nse('2026-12-06T06:30:00Z');
    expect(status.state).toBe('CLOSED');
    expect(status.holidayName).toBeNull();
    expect(status.tradingDay).toBe('2026-12-04');
    // Fri 4 Dec 15:40 IST
    expect(iso(status.lastCloseAt)).toBe('2026-12-04T10:10:00.000Z');
    // Mon 7 Dec 09:15 IST
    expect(iso(status.nextOpenAt)).toBe('2026-12-07T03:45:00.000Z');
  });

  it('IST midnight: 23:59:59 and 00:00:00 IST both belong to the session that closed, until the next one starts', () => {
    // 23:59:59 IST Wed 2 Dec 2026, then 00:00:00 IST Thu 3 Dec 2026
    const evening = nse('2026-12-02T18:29:59Z');
    const midnight = nse('2026-12-02T18:30:00Z');
    for (const status of [evening, midnight]) {
      expect(status.state).toBe('CLOSED');
      expect(status.tradingDay).toBe('2026-12-02');
      expect(iso(status.lastCloseAt)).toBe('2026-12-02T10:10:00.000Z');
      expect(iso(status.nextOpenAt)).toBe('2026-12-03T03:45:00.000Z');
      expect(status.session.date).toBe('2026-12-03');
    }
    // Friday night into Saturday 5 Dec: 23:59:59 IST Fri and 00:00:00 IST Sat
    expect(nse('2026-12-04T18:29:59Z').tradingDay).toBe('2026-12-04');
    expect(nse('2026-12-04T18:30:00Z').tradingDay).toBe('2026-12-04');
    expect(iso(nse('2026-12-04T18:30:00Z').nextOpenAt)).toBe('2026-12-07T03:45:00.000Z');
  });
});

describe('ExchangeCalendar years the data lacks', () => {
  it('2027 is not known; its weekdays are regular sessions (Mon 4 Jan 2027 10:00 IST OPEN, calendarKnown false)', () => {
    expect(CALENDAR.isYearKnown('NSE_FO', 2027)).toBe(false);
    expect(CALENDAR.isYearKnown('BSE_FO', 2027)).toBe(false);
    expect(CALENDAR.isYearKnown('NSE_FO', 2026)).toBe(true);
    expect(CALENDAR.isYearKnown('BSE_FO', 2025)).toBe(true);
    // 10:00 IST Mon 4 Jan 2027
    const status = nse('2027-01-04T04:30:00Z');
    expect(status.state).toBe('OPEN');
    expect(status.calendarKnown).toBe(false);
    // the latest session times (15:40 IST) carry on
    expect(iso(status.session.closesAt)).toBe('2027-01-04T10:10:00.000Z');
    // Republic Day 2027 is not listed, so Tue 26 Jan 2027 10:00 IST trades
    expect(nse('2027-01-26T04:30:00Z').state).toBe('OPEN');
    // a known year reports calendarKnown: 10:00 IST Wed 2 Dec 2026
    expect(nse('2026-12-02T04:30:00Z').calendarKnown).toBe(true);
  });

  it('unknownMonths lists the current and next month whose year is unknown, by the IST date', () => {
    // 12:00 IST Tue 15 Dec 2026
    expect(CALENDAR.unknownMonths('NSE_FO', new Date('2026-12-15T06:30:00Z'))).toEqual(['2027-01']);
    // 12:00 IST Sun 15 Nov 2026
    expect(CALENDAR.unknownMonths('NSE_FO', new Date('2026-11-15T06:30:00Z'))).toEqual([]);
    // 00:00 IST Fri 1 Jan 2027 (still 31 Dec in UTC)
    expect(CALENDAR.unknownMonths('BSE_FO', new Date('2026-12-31T18:30:00Z'))).toEqual(['2027-01', '2027-02']);
    // 23:59 IST Thu 31 Dec 2026
    expect(CALENDAR.unknownMonths('BSE_FO', new Date('2026-12-31T18:29:00Z'))).toEqual(['2027-01']);
  });
});

describe('ExchangeCalendar.tradingSessionsUntilExpiry', () => {
  it('counts the rest of a session as a fraction: 12:27:30 IST on an NSE expiry day is half a session', () => {
    // 12:27:30 IST Tue 1 Dec 2026: 192.5 of the 385 minutes to 15:40 IST remain
    expect(CALENDAR.tradingSessionsUntilExpiry('NSE_FO', new Date('2026-12-01T06:57:30Z'), '2026-12-01')).toBeCloseTo(
      0.5,
      12,
    );
    // 12:22:30 IST Thu 3 Dec 2026: 187.5 of BSE's 375 minutes to 15:30 IST remain
    expect(CALENDAR.tradingSessionsUntilExpiry('BSE_FO', new Date('2026-12-03T06:52:30Z'), '2026-12-03')).toBeCloseTo(
      0.5,
      12,
    );
  });

  it('skips holidays and weekends: Wed 23 Dec to Tue 29 Dec 2026 is 4 sessions from before the open', () => {
    // 08:00 IST Wed 23 Dec 2026: 23, 24, 28 and 29 Dec (Christmas and the weekend skipped)
    expect(CALENDAR.tradingSessionsUntilExpiry('NSE_FO', new Date('2026-12-23T02:30:00Z'), '2026-12-29')).toBeCloseTo(
      4,
      12,
    );
    // 12:27:30 IST Wed 23 Dec 2026: half of the 23rd left
    expect(CALENDAR.tradingSessionsUntilExpiry('NSE_FO', new Date('2026-12-23T06:57:30Z'), '2026-12-29')).toBeCloseTo(
      3.5,
      12,
    );
    // without holidays Christmas counts too
    const noHolidays = new ExchangeCalendar(BUILT_IN_CALENDAR_DATA, []);
    expect(noHolidays.tradingSessionsUntilExpiry('NSE_FO', new Date('2026-12-23T02:30:00Z'), '2026-12-29')).toBeCloseTo(
      5,
      12,
    );
  });

  it('counts a special session by its length over the regular one: Muhurat hour = 60/385 of a session', () => {
    // 12:00 IST Sat 7 Nov 2026 to the expiry Mon 9 Nov 2026 (Tue 10 Nov is a holiday): Muhurat + Monday
    const sessions = CALENDAR.tradingSessionsUntilExpiry('NSE_FO', new Date('2026-11-07T06:30:00Z'), '2026-11-09');
    expect(sessions).toBeCloseTo(1 + 60 / 385, 12);
    expect(CALENDAR.session('NSE_FO', '2026-11-08')?.regularLengthMs).toBe(NSE_LENGTH_FROM_AUG_2026_MS);
    // Budget Sunday is a full-length session: 12:00 IST Sat 31 Jan 2026 to Tue 3 Feb 2026 is 3 sessions
    expect(CALENDAR.tradingSessionsUntilExpiry('NSE_FO', new Date('2026-01-31T06:30:00Z'), '2026-02-03')).toBeCloseTo(
      3,
      12,
    );
  });

  it('returns 0 at and after the cut-off, and a positive amount just before it', () => {
    // 15:40:00 IST Tue 1 Dec 2026, the cut-off
    expect(CALENDAR.tradingSessionsUntilExpiry('NSE_FO', new Date('2026-12-01T10:10:00Z'), '2026-12-01')).toBe(0);
    // 18:00 IST
    expect(CALENDAR.tradingSessionsUntilExpiry('NSE_FO', new Date('2026-12-01T12:30:00Z'), '2026-12-01')).toBe(0);
    // 15:39:00 IST: one minute left
    expect(CALENDAR.tradingSessionsUntilExpiry('NSE_FO', new Date('2026-12-01T10:09:00Z'), '2026-12-01')).toBeCloseTo(
      1 / 385,
      12,
    );
  });
});

describe('ExchangeCalendar holidayOverride', () => {
  it('replaces every segment’s holidays: Christmas 2026 trades and the listed date becomes a holiday', () => {
    const calendar = new ExchangeCalendar(BUILT_IN_CALENDAR_DATA, ['2026-12-02']);
    for (const segment of ['NSE_FO', 'BSE_FO'] as const) {
      expect(calendar.holiday(segment, '2026-12-25'), segment).toBeNull();
      expect(calendar.isTradingDay(segment, '2026-12-25'), segment).toBe(true);
      // 12:00 IST Fri 25 Dec 2026
      expect(calendar.status(segment, new Date('2026-12-25T06:30:00Z')).state, segment).toBe('OPEN');
      expect(calendar.isTradingDay(segment, '2026-12-02'), segment).toBe(false);
      // 12:00 IST Wed 2 Dec 2026
      const status = calendar.status(segment, new Date('2026-12-02T06:30:00Z'));
      expect(status.state, segment).toBe('HOLIDAY');
      expect(status.holidayName, segment).toBe('holiday (G6_MARKET_HOLIDAYS)');
      expect(status.tradingDay, segment).toBe('2026-12-01');
    }
    // special sessions stay: 10:00 IST Sun 1 Feb 2026
    expect(calendar.status('NSE_FO', new Date('2026-02-01T04:30:00Z')).state).toBe('SPECIAL_SESSION');
    // the built-in calendar is unaffected
    expect(CALENDAR.holiday('NSE_FO', '2026-12-25')?.name).toBe('Christmas');
    expect(CALENDAR.isTradingDay('NSE_FO', '2026-12-02')).toBe(true);
  });
});

describe('parseCalendarOverride', () => {
  const VALID = {
    sessions: {
      NSE_FO: [{ from: '2026-12-01', preOpen: '09:00', open: '09:15', close: '15:30', expiryCutoff: '15:30' }],
    },
    years: [{ year: 2027, segments: { NSE_FO: { holidays: [{ date: '2027-01-26', name: 'Republic Day' }] } } }],
  };

  it('accepts a valid override, defaulting a year’s special sessions to none', () => {
    const parsed = parseCalendarOverride(JSON.stringify(VALID));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) {
      return;
    }
    expect(parsed.value.sessions?.NSE_FO?.[0]?.close).toBe('15:30');
    expect(parsed.value.years?.[0]?.year).toBe(2027);
    expect(parsed.value.years?.[0]?.segments.NSE_FO?.specialSessions).toEqual([]);
  });

  it('rejects a bad time 25:00 naming its path', () => {
    const bad = structuredClone(VALID);
    bad.sessions.NSE_FO[0]!.close = '25:00';
    const parsed = parseCalendarOverride(JSON.stringify(bad));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) {
      return;
    }
    expect(parsed.errors).toHaveLength(1);
    expect(parsed.errors[0]).toMatch(/^sessions\.NSE_FO\.0\.close: /);
    expect(parsed.errors[0]).toContain('HH:MM');
  });

  it('rejects a bad date 2026-02-30 naming its path', () => {
    const bad = structuredClone(VALID);
    bad.years[0]!.segments.NSE_FO.holidays[0]!.date = '2026-02-30';
    const parsed = parseCalendarOverride(JSON.stringify(bad));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) {
      return;
    }
    expect(parsed.errors).toHaveLength(1);
    expect(parsed.errors[0]).toMatch(/^years\.0\.segments\.NSE_FO\.holidays\.0\.date: /);
    expect(parsed.errors[0]).toContain('YYYY-MM-DD');
  });

  it('rejects text that is not JSON, and unknown top-level keys', () => {
    const notJson = parseCalendarOverride('{ sessions: ');
    expect(notJson.ok).toBe(false);
    if (!notJson.ok) {
      expect(notJson.errors).toHaveLength(1);
      expect(notJson.errors[0]).toMatch(/^not JSON: /);
    }
    const extra = parseCalendarOverride(JSON.stringify({ holidays: [] }));
    expect(extra.ok).toBe(false);
    if (!extra.ok) {
      expect(extra.errors[0]).toMatch(/^\(top level\): /);
    }
  });
});

describe('mergeCalendarData', () => {
  function merged(override: CalendarOverride): ExchangeCalendar {
    return new ExchangeCalendar(mergeCalendarData(BUILT_IN_CALENDAR_DATA, override));
  }

  it('an override session-times entry changes the close from its date on (NSE_FO 15:30 IST from 1 Dec 2026)', () => {
    const calendar = merged({
      sessions: {
        NSE_FO: [{ from: '2026-12-01', preOpen: '09:00', open: '09:15', close: '15:30', expiryCutoff: '15:30' }],
      },
    });
    // Wed 2 Dec 2026 closes 15:30 IST; 15:35 IST is CLOSED
    expect(iso(calendar.session('NSE_FO', '2026-12-02')!.closesAt)).toBe('2026-12-02T10:00:00.000Z');
    expect(calendar.status('NSE_FO', new Date('2026-12-02T10:05:00Z')).state).toBe('CLOSED');
    expect(iso(calendar.expiryCutoff('NSE_FO', '2026-12-01'))).toBe('2026-12-01T10:00:00.000Z');
    // Mon 30 Nov 2026 still closes 15:40 IST; BSE is untouched
    expect(iso(calendar.session('NSE_FO', '2026-11-30')!.closesAt)).toBe('2026-11-30T10:10:00.000Z');
    expect(iso(calendar.session('BSE_FO', '2026-12-02')!.closesAt)).toBe('2026-12-02T10:00:00.000Z');
    // the built-in data is not modified
    expect(BUILT_IN_CALENDAR_DATA.sessions.NSE_FO).toHaveLength(3);
    expect(iso(CALENDAR.session('NSE_FO', '2026-12-02')!.closesAt)).toBe('2026-12-02T10:10:00.000Z');
  });

  it('an entry with an existing from date replaces it (NSE_FO from 3 Aug 2026 back to 15:30 IST)', () => {
    const data = mergeCalendarData(BUILT_IN_CALENDAR_DATA, {
      sessions: {
        NSE_FO: [{ from: '2026-08-03', preOpen: '09:00', open: '09:15', close: '15:30', expiryCutoff: '15:30' }],
      },
    });
    expect(data.sessions.NSE_FO).toHaveLength(3);
    const calendar = new ExchangeCalendar(data);
    expect(iso(calendar.expiryCutoff('NSE_FO', '2026-12-01'))).toBe('2026-12-01T10:00:00.000Z');
  });

  it('an override year (2027 with a holiday) makes 2027 known for that segment with that holiday', () => {
    const calendar = merged({
      years: [
        {
          year: 2027,
          segments: { NSE_FO: { holidays: [{ date: '2027-01-26', name: 'Republic Day' }], specialSessions: [] } },
        },
      ],
    });
    expect(calendar.isYearKnown('NSE_FO', 2027)).toBe(true);
    expect(calendar.isYearKnown('BSE_FO', 2027)).toBe(false);
    // 10:00 IST Tue 26 Jan 2027
    const status = calendar.status('NSE_FO', new Date('2027-01-26T04:30:00Z'));
    expect(status.state).toBe('HOLIDAY');
    expect(status.holidayName).toBe('Republic Day');
    expect(status.calendarKnown).toBe(true);
    expect(calendar.status('BSE_FO', new Date('2027-01-26T04:30:00Z')).state).toBe('OPEN');
    // 12:00 IST Tue 15 Dec 2026
    expect(calendar.unknownMonths('NSE_FO', new Date('2026-12-15T06:30:00Z'))).toEqual([]);
    expect(calendar.unknownMonths('BSE_FO', new Date('2026-12-15T06:30:00Z'))).toEqual(['2027-01']);
    // the built-in 2026 holidays remain
    expect(calendar.holiday('NSE_FO', '2026-12-25')?.name).toBe('Christmas');
  });

  it('an override of a built-in year replaces only the segments it names', () => {
    const calendar = merged({ years: [{ year: 2026, segments: { NSE_FO: { holidays: [], specialSessions: [] } } }] });
    expect(calendar.isTradingDay('NSE_FO', '2026-12-25')).toBe(true);
    expect(calendar.isTradingDay('BSE_FO', '2026-12-25')).toBe(false);
    expect(calendar.session('NSE_FO', '2026-02-01')).toBeNull();
    expect(calendar.session('BSE_FO', '2026-02-01')?.specialName).toBe('Union Budget session (Sunday)');
  });
});

describe('ExchangeCalendar in a process with another time zone', () => {
  const originalTz = process.env.TZ;
  afterEach(() => {
    if (originalTz === undefined) {
      delete process.env.TZ;
    } else {
      process.env.TZ = originalTz;
    }
  });

  const INSTANTS = [
    '2026-12-02T03:29:59Z', // 08:59:59 IST Wed
    '2026-12-02T03:44:59Z', // 09:14:59 IST
    '2026-12-02T03:45:00Z', // 09:15:00 IST
    '2026-12-02T10:09:59Z', // 15:39:59 IST
    '2026-12-02T10:10:00Z', // 15:40:00 IST
    '2026-12-02T18:29:59Z', // 23:59:59 IST Wed
    '2026-12-02T18:30:00Z', // 00:00:00 IST Thu
    '2026-12-06T06:30:00Z', // 12:00 IST Sun
    '2026-12-25T06:30:00Z', // 12:00 IST Christmas
    '2026-02-01T04:30:00Z', // 10:00 IST Budget Sunday
    '2026-11-08T13:00:00Z', // 18:30 IST Muhurat
    '2026-03-08T06:30:00Z', // 12:00 IST Sun 8 Mar 2026, the day New York moves to daylight time
    '2027-01-04T04:30:00Z', // 10:00 IST Mon, unknown year
  ];
  const EXPIRIES: Array<[Segment, string]> = [
    ['NSE_FO', '2026-12-01'],
    ['NSE_FO', '2026-07-28'],
    ['NSE_FO', '2026-03-10'],
    ['BSE_FO', '2026-12-03'],
  ];

  function compute() {
    const calendar = new ExchangeCalendar(BUILT_IN_CALENDAR_DATA);
    return {
      statuses: INSTANTS.flatMap((instant) =>
        (['NSE_FO', 'BSE_FO'] as const).map((segment) => summary(calendar.status(segment, new Date(instant)))),
      ),
      cutoffs: EXPIRIES.map(([segment, date]) => iso(calendar.expiryCutoff(segment, date))),
      sessions: calendar.tradingSessionsUntilExpiry('NSE_FO', new Date('2026-12-23T06:57:30Z'), '2026-12-29'),
      unknown: calendar.unknownMonths('NSE_FO', new Date('2026-12-31T18:30:00Z')),
    };
  }

  it('TZ=America/New_York gives the same statuses and cut-offs as the process’s own zone', () => {
    const baseline = compute();
    process.env.TZ = 'America/New_York';
    // the zone took effect: New York is UTC-5 in December
    expect(new Date('2026-12-02T03:45:00Z').getTimezoneOffset()).toBe(300);
    const inNewYork = compute();
    expect(inNewYork).toEqual(baseline);
    // and the values are the IST ones, not New York's
    expect(inNewYork.cutoffs).toEqual([
      '2026-12-01T10:10:00.000Z',
      '2026-07-28T10:00:00.000Z',
      '2026-03-10T10:00:00.000Z',
      '2026-12-03T10:00:00.000Z',
    ]);
    expect(inNewYork.sessions).toBeCloseTo(3.5, 12);
    expect(inNewYork.unknown).toEqual(['2027-01', '2027-02']);
    const midnight = inNewYork.statuses[2 * 6]!;
    expect(midnight.at).toBe('2026-12-02T18:30:00.000Z');
    expect(midnight.state).toBe('CLOSED');
    expect(midnight.tradingDay).toBe('2026-12-02');
  });
});
