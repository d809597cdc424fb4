import { describe, expect, it } from 'vitest';
import { expiryInstant, listOpenExpiries, shiftToTradingDay } from '../../../src/domain/expiry-calendar.ts';
import { INDEX_SPECS, INDEX_SYMBOLS } from '../../../src/domain/indices.ts';
import { toOptionTradingSymbol } from '../../../src/domain/kite-tradingsymbol.ts';
import { readGzipCsv } from '../../helpers/fixtures.ts';

const DUMP = readGzipCsv('kite/nfo_bfo_derivatives_2026-08-18.csv.gz');
const OPTIONS = DUMP.filter((r) => r.instrument_type === 'CE' || r.instrument_type === 'PE');
/** The dump was taken at 00:31 IST on 18 Aug 2026; any instant that morning sees the same listing. */
const DUMP_INSTANT = new Date('2026-08-18T03:45:00Z');
const NO_HOLIDAYS = new Set<string>();

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

  it('drops an expiry at 15:30 IST on its day, not before', () => {
    const spec = INDEX_SPECS.NIFTY;
    const before = listOpenExpiries(spec, new Date('2026-08-18T09:59:59.999Z'), NO_HOLIDAYS);
    const after = listOpenExpiries(spec, new Date('2026-08-18T10:00:00.000Z'), NO_HOLIDAYS);
    expect(before[0]?.date).toBe('2026-08-18');
    expect(after[0]?.date).toBe('2026-08-25');
    expect(expiryInstant('2026-08-18').toISOString()).toBe('2026-08-18T10:00:00.000Z');
  });

  it('moves an expiry on a holiday to the previous trading day', () => {
    // 2026-11-24 (Tuesday) is Guru Nanak Jayanti in the default list: the weekly moves to Monday.
    expect(shiftToTradingDay('2026-11-24', new Set(['2026-11-24']))).toBe('2026-11-23');
    // A holiday on Monday too skips back over the weekend to Friday.
    expect(shiftToTradingDay('2026-11-24', new Set(['2026-11-24', '2026-11-23']))).toBe('2026-11-20');
    const expiries = listOpenExpiries(INDEX_SPECS.NIFTY, new Date('2026-11-20T04:00:00Z'), new Set(['2026-11-24']));
    expect(expiries[0]?.date).toBe('2026-11-23');
  });
});
