import { describe, expect, it } from 'vitest';
import { BUILT_IN_CALENDAR_DATA } from '../../../src/domain/calendar/default-calendar.ts';
import { ExchangeCalendar } from '../../../src/domain/calendar/exchange-calendar.ts';
import { listOpenExpiries } from '../../../src/domain/expiry-calendar.ts';
import { formatExpiryTags, parseExpiryTags, resolveExpiryTags, tagsByExpiry } from '../../../src/domain/expiry-tags.ts';
import { INDEX_SPECS } from '../../../src/domain/indices.ts';

const calendar = new ExchangeCalendar(BUILT_IN_CALENDAR_DATA);
const listed = (index: keyof typeof INDEX_SPECS, iso: string) =>
  listOpenExpiries(INDEX_SPECS[index], new Date(iso), calendar).map((e) => ({ expiry: e.date, kind: e.kind }));

describe('expiry tags', () => {
  it('a weekly index in an ordinary week: the two nearest are the weeks, the monthlies are the months', () => {
    const expiries = listed('NIFTY', '2026-12-01T05:00:00Z');
    const tags = resolveExpiryTags(expiries);
    const sorted = expiries.map((e) => e.expiry).sort();
    const monthlies = expiries
      .filter((e) => e.kind === 'MONTHLY')
      .map((e) => e.expiry)
      .sort();
    expect(tags.get('THIS_WEEK')).toBe(sorted[0]);
    expect(tags.get('NEXT_WEEK')).toBe(sorted[1]);
    expect(tags.get('THIS_MONTH')).toBe(monthlies[0]);
    expect(tags.get('NEXT_MONTH')).toBe(monthlies[1]);
    expect(tags.get('THIS_WEEK')).not.toBe(tags.get('THIS_MONTH'));
  });

  it('in the week the weekly is the monthly, that expiry is both THIS_WEEK and THIS_MONTH', () => {
    // NIFTY's December 2026 monthly is the last Tuesday, 29 Dec; on the 28th it is the nearest expiry.
    const expiries = listed('NIFTY', '2026-12-28T05:00:00Z');
    const nearest = [...expiries].sort((a, b) => a.expiry.localeCompare(b.expiry))[0]!;
    expect(nearest.kind).toBe('MONTHLY');
    const byExpiry = tagsByExpiry(expiries);
    expect(byExpiry.get(nearest.expiry)).toEqual(['THIS_WEEK', 'THIS_MONTH']);
    const tags = resolveExpiryTags(expiries);
    expect(tags.get('NEXT_WEEK')! > nearest.expiry).toBe(true);
    expect(tags.get('NEXT_MONTH')!.slice(0, 7)).toBe('2027-01');
  });

  it('a monthly-only index: THIS_WEEK is THIS_MONTH and NEXT_WEEK is NEXT_MONTH', () => {
    const expiries = listed('BANKNIFTY', '2026-12-01T05:00:00Z');
    expect(expiries.every((e) => e.kind === 'MONTHLY')).toBe(true);
    const tags = resolveExpiryTags(expiries);
    expect(tags.get('THIS_WEEK')).toBe(tags.get('THIS_MONTH'));
    expect(tags.get('NEXT_WEEK')).toBe(tags.get('NEXT_MONTH'));
    expect(tags.get('THIS_WEEK')! < tags.get('NEXT_WEEK')!).toBe(true);
  });

  it('on expiry day the expiring series stays THIS_WEEK until its cut-off, then the next one is', () => {
    const expiries = listed('NIFTY', '2026-12-01T05:00:00Z');
    const thisWeek = resolveExpiryTags(expiries).get('THIS_WEEK')!;
    const before = resolveExpiryTags(listed('NIFTY', `${thisWeek}T09:00:00Z`)).get('THIS_WEEK');
    const after = resolveExpiryTags(listed('NIFTY', `${thisWeek}T10:30:00Z`)).get('THIS_WEEK');
    expect(before).toBe(thisWeek);
    expect(after! > thisWeek).toBe(true);
  });

  it('too few expiries leave tags unresolved; the stored form round-trips', () => {
    const tags = resolveExpiryTags([{ expiry: '2026-12-08', kind: 'WEEKLY' }]);
    expect([...tags.keys()]).toEqual(['THIS_WEEK']);
    expect(formatExpiryTags([])).toBeNull();
    expect(parseExpiryTags(formatExpiryTags(['THIS_WEEK', 'THIS_MONTH']))).toEqual(['THIS_WEEK', 'THIS_MONTH']);
    expect(parseExpiryTags('THIS_WEEK|BOGUS')).toEqual(['THIS_WEEK']);
  });
});
