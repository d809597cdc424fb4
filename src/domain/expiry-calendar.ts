import { segmentOf } from './calendar/calendar-data.ts';
import type { ExchangeCalendar } from './calendar/exchange-calendar.ts';
import type { IndexSpec } from './indices.ts';
import { addDays, isoWeekday, toIstDateString } from './ist-time.ts';

export type ExpiryKind = 'WEEKLY' | 'MONTHLY';

export interface Expiry {
  /** `YYYY-MM-DD`, the (holiday-shifted) last trading day. */
  readonly date: string;
  readonly kind: ExpiryKind;
}

function lastWeekdayOfMonth(year: number, monthIndex: number, weekday: number): string {
  const lastDay = new Date(Date.UTC(year, monthIndex + 1, 0)).toISOString().slice(0, 10);
  const back = (isoWeekday(lastDay) - weekday + 7) % 7;
  return addDays(lastDay, -back);
}

/**
 * Expiries listed and still open at `asOf` (the calendar's expiry cut-off not yet passed), nearest first: the
 * next `spec.listedMonthlies` monthlies and the next `spec.listedWeeklies` weeklies, a week whose expiry
 * is the monthly one not counting as a weekly (the exchanges' listing rule, checked against Kite's dump).
 */
export function listOpenExpiries(spec: IndexSpec, asOf: Date, calendar: ExchangeCalendar): Expiry[] {
  const segment = segmentOf(spec);
  const isOpen = (date: string) => calendar.expiryCutoff(segment, date).getTime() > asOf.getTime();
  const today = toIstDateString(asOf);
  const byDate = new Map<string, ExpiryKind>();

  const [yearText, monthText] = today.split('-');
  let year = Number(yearText);
  let month = Number(monthText) - 1;
  let monthlies = 0;
  while (monthlies < spec.listedMonthlies) {
    const date = calendar.shiftToTradingDay(segment, lastWeekdayOfMonth(year, month, spec.monthlyExpiryWeekday));
    if (isOpen(date)) {
      byDate.set(date, 'MONTHLY');
      monthlies += 1;
    }
    month += 1;
    if (month === 12) {
      month = 0;
      year += 1;
    }
  }

  if (spec.weeklyExpiryWeekday !== null && spec.listedWeeklies > 0) {
    let nominal = addDays(today, (spec.weeklyExpiryWeekday - isoWeekday(today) + 7) % 7);
    let weeklies = 0;
    while (weeklies < spec.listedWeeklies) {
      const date = calendar.shiftToTradingDay(segment, nominal);
      if (isOpen(date) && !byDate.has(date)) {
        byDate.set(date, 'WEEKLY');
        weeklies += 1;
      }
      nominal = addDays(nominal, 7);
    }
  }

  return [...byDate.entries()].map(([date, kind]) => ({ date, kind })).sort((a, b) => a.date.localeCompare(b.date));
}
