import { describe, expect, it } from 'vitest';
import { BUILT_IN_CALENDAR_DATA } from '../../../src/domain/calendar/default-calendar.ts';
import { ExchangeCalendar } from '../../../src/domain/calendar/exchange-calendar.ts';
import { listOpenExpiries } from '../../../src/domain/expiry-calendar.ts';
import { INDEX_SPECS, INDEX_SYMBOLS } from '../../../src/domain/indices.ts';
import { toOptionTradingSymbol } from '../../../src/domain/kite-tradingsymbol.ts';
import { readGzipCsv } from '../../helpers/fixtures.ts';

const DUMP = readGzipCsv('kite/nfo_bfo_derivatives_2026-08-18.csv.gz');
const OPTIONS = DUMP.filter((r) => r.instrument_type === 'CE' || r.instrument_type === 'PE');
/** The dump was taken at 00:31 IST on 18 Aug 2026; any instant that morning sees the same listing. */
const DUMP_INSTANT = new Date('2026-08-18T03:45:00Z');
const NO_HOLIDAYS = new ExchangeCalendar(BUILT_IN_CALENDAR_DATA, []);

describe('index specs', () => {
  it('match lot size, tick size, exchange and the modal strike step in Kite’s instruments dump', () => {
    expect(DUMP).toHaveLength(39_941);
    for (const symbol of INDEX_SYMBOLS) {
      const spec = INDEX_SPECS[symbol];
      const rows = OPTIONS.filter((r) => r.name === symbol);
      expect(rows.length, symbol).toBeGreaterThan(100);
      expect(new Set(rows.map((r) => Number(r.lot_size))), symbol).toEqual(new Set([spec.lotSize]));
      expect(new Set(rows.map((r) => Number(r.tick_size))), symbol).toEqual(new Set([spec.tickSize]));
      expect(new Set(rows.map((r) => r.exchange)), symbol).toEqual(new Set([spec.exchange]));
      const nearest = rows.map((r) => r.expiry).sort()[0];
      const strikes = [...new Set(rows.filter((r) => r.expiry === nearest).map((r) => Number(r.strike)))].sort(
        (a, b) => a - b,
      );
      const gaps = new Map<number, number>();
      for (let i = 1; i < strikes.length; i++) {
        const gap = strikes[i]! - strikes[i - 1]!;
        gaps.set(gap, (gaps.get(gap) ?? 0) + 1);
      }
      const modal = [...gaps.entries()].sort((a, b) => b[1] - a[1])[0]![0];
      expect(modal, symbol).toBe(spec.strikeStep);
    }
  });
});

describe('listOpenExpiries', () => {
  it('lists exactly the weekly and monthly expiries Kite listed on 18 Aug 2026, for every index', () => {
    for (const symbol of INDEX_SYMBOLS) {
      const ours = listOpenExpiries(INDEX_SPECS[symbol], DUMP_INSTANT, NO_HOLIDAYS);
      const last = ours.at(-1)!.date;
      const listed = [...new Set(OPTIONS.filter((r) => r.name === symbol).map((r) => String(r.expiry)))]
        .sort()
        .filter((d) => d <= last);
      expect(
        ours.map((e) => e.date),
        symbol,
      ).toEqual(listed);
    }
  });

  it('labels monthlies by the monthly trading-symbol format used in the dump', () => {
    for (const symbol of INDEX_SYMBOLS) {
      for (const expiry of listOpenExpiries(INDEX_SPECS[symbol], DUMP_INSTANT, NO_HOLIDAYS)) {
        const row = OPTIONS.find((r) => r.name === symbol && r.expiry === expiry.date && r.instrument_type === 'CE')!;
        const ours = toOptionTradingSymbol(symbol, expiry.date, expiry.kind, Number(row.strike), 'CE');
        expect(ours).toBe(row.tradingsymbol);
      }
    }
  });

  it("drops an expiry at its exchange's cut-off (NSE 15:40 IST from 3 Aug 2026, BSE 15:30), not before", () => {
    const spec = INDEX_SPECS.NIFTY;
    const before = listOpenExpiries(spec, new Date('2026-08-18T10:09:59.999Z'), NO_HOLIDAYS);
    const after = listOpenExpiries(spec, new Date('2026-08-18T10:10:00.000Z'), NO_HOLIDAYS);
    expect(before[0]?.date).toBe('2026-08-18');
    expect(after[0]?.date).toBe('2026-08-25');
    expect(NO_HOLIDAYS.expiryCutoff('NSE_FO', '2026-08-18').toISOString()).toBe('2026-08-18T10:10:00.000Z');
    expect(NO_HOLIDAYS.expiryCutoff('NSE_FO', '2026-07-28').toISOString()).toBe('2026-07-28T10:00:00.000Z');
    expect(NO_HOLIDAYS.expiryCutoff('BSE_FO', '2026-08-20').toISOString()).toBe('2026-08-20T10:00:00.000Z');
    const sensexBefore = listOpenExpiries(INDEX_SPECS.SENSEX, new Date('2026-08-20T09:59:59.999Z'), NO_HOLIDAYS);
    const sensexAfter = listOpenExpiries(INDEX_SPECS.SENSEX, new Date('2026-08-20T10:00:00.000Z'), NO_HOLIDAYS);
    expect(sensexBefore[0]?.date).toBe('2026-08-20');
    expect(sensexAfter[0]?.date).toBe('2026-08-27');
  });

  it('moves an expiry on a holiday to the previous trading day', () => {
    // 2026-11-24 (Tuesday) is Guru Nanak Jayanti in the default list: the weekly moves to Monday.
    const gurpurb = new ExchangeCalendar(BUILT_IN_CALENDAR_DATA, ['2026-11-24']);
    expect(gurpurb.shiftToTradingDay('NSE_FO', '2026-11-24')).toBe('2026-11-23');
    // A holiday on Monday too skips back over the weekend to Friday.
    const both = new ExchangeCalendar(BUILT_IN_CALENDAR_DATA, ['2026-11-24', '2026-11-23']);
    expect(both.shiftToTradingDay('NSE_FO', '2026-11-24')).toBe('2026-11-20');
    const expiries = listOpenExpiries(INDEX_SPECS.NIFTY, new Date('2026-11-20T04:00:00Z'), gurpurb);
    expect(expiries[0]?.date).toBe('2026-11-23');
    // The built-in calendar has it too, and the 15 Jan 2026 election holiday moved SENSEX's weekly to 14 Jan.
    const builtIn = new ExchangeCalendar(BUILT_IN_CALENDAR_DATA);
    expect(listOpenExpiries(INDEX_SPECS.NIFTY, new Date('2026-11-20T04:00:00Z'), builtIn)[0]?.date).toBe('2026-11-23');
    expect(listOpenExpiries(INDEX_SPECS.SENSEX, new Date('2026-01-12T04:00:00Z'), builtIn)[0]?.date).toBe('2026-01-14');
  });
});
