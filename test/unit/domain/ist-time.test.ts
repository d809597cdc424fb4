import { describe, expect, it } from 'vitest';
import { toIstCompactDate, toIstDateString } from '../../../src/domain/ist-time.ts';

describe('IST dates of instants', () => {
  it('turns the day at 18:30 UTC, every time it is asked (remembered days included)', () => {
    for (let pass = 0; pass < 2; pass++) {
      expect(toIstDateString(new Date('2026-12-03T18:29:59.999Z'))).toBe('2026-12-03');
      expect(toIstDateString(new Date('2026-12-03T18:30:00.000Z'))).toBe('2026-12-04');
      expect(toIstCompactDate(new Date('2026-12-03T18:30:00.000Z'))).toBe('20261204');
      expect(toIstCompactDate(new Date('2026-12-04T03:45:00.000Z'))).toBe('20261204');
    }
  });

  it('agrees with formatting each instant, before 1970 and after 2100 too', () => {
    const format = (ms: number) => new Date(ms + 5.5 * 3_600_000).toISOString().slice(0, 10);
    for (const ms of [-86_400_000 * 400 - 1, -1, 0, 19_799_999, 19_800_000, Date.UTC(2101, 0, 1, 18, 29, 59, 999)]) {
      expect(toIstDateString(new Date(ms))).toBe(format(ms));
      expect(toIstCompactDate(new Date(ms))).toBe(format(ms).replaceAll('-', ''));
    }
  });

  it('refuses an invalid date as toISOString does', () => {
    expect(() => toIstDateString(new Date(Number.NaN))).toThrow(RangeError);
    expect(() => toIstCompactDate(new Date(Number.NaN))).toThrow(RangeError);
  });
});
