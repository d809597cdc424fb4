import type { IndexSpec } from './indices.ts';
import { addDays, isoWeekday, istWallClockToInstant, toIstDateString } from './ist-time.ts';

export type ExpiryKind = 'WEEKLY' | 'MONTHLY';

export interface Expiry {
  /** `YYYY-MM-DD`, the (holiday-shifted) last trading day. */
  readonly date: string;
  readonly kind: ExpiryKind;
}

/** Options stop trading and settle at 15:30 IST on the expiry date (NSE and BSE). */
export const EXPIRY_CUTOFF_IST = { hours: 15, minutes: 30 } as const;

export function expiryInstant(expiryDate: string): Date {
  return istWallClockToInstant(expiryDate, EXPIRY_CUTOFF_IST.hours, EXPIRY_CUTOFF_IST.minutes);
}

export function isTradingDay(isoDate: string, holidays: ReadonlySet<string>): boolean {
  return isoWeekday(isoDate) <= 5 && !holidays.has(isoDate);
}

/** An expiry that falls on a non-trading day moves to the previous trading day. */
export function shiftToTradingDay(isoDate: string, holidays: ReadonlySet<string>): string {
  let date = isoDate;
  while (!isTradingDay(date, holidays)) {
    date = addDays(date, -1);
  }
  return date;
}

function lastWeekdayOfMonth(year: number, monthIndex: number, weekday: number): string {
  const lastDay = new Date(Date.UTC(year, monthIndex + 1, 0)).toISOString().slice(0, 10);
  const back = (isoWeekday(lastDay) - weekday + 7) % 7;
  return addDays(lastDay, -back);
}

/**
 * Expiries listed and still open at `asOf` (their 15:30 IST cut-off not yet passed), nearest first: the
 * next `spec.listedMonthlies` monthlies and the next `spec.listedWeeklies` weeklies, a week whose expiry
 * is the monthly one not counting as a weekly (the exchanges' listing rule, checked against Kite's dump).
 */
export function listOpenExpiries(spec: IndexSpec, asOf: Date, holidays: ReadonlySet<string>): Expiry[] {
  const isOpen = (date: string) => expiryInstant(date).getTime() > asOf.getTime();
  const today = toIstDateString(asOf);
  const byDate = new Map<string, ExpiryKind>();

  const [yearText, monthText] = today.split('-');
  let year = Number(yearText);
  let month = Number(monthText) - 1;
  let monthlies = 0;
  while (monthlies < spec.listedMonthlies) {
    const date = shiftToTradingDay(lastWeekdayOfMonth(year, month, spec.monthlyExpiryWeekday), holidays);
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
      const date = shiftToTradingDay(nominal, holidays);
      if (isOpen(date) && !byDate.has(date)) {
        byDate.set(date, 'WEEKLY');
        weeklies += 1;
      }
      nominal = addDays(nominal, 7);
    }
  }

  return [...byDate.entries()].map(([date, kind]) => ({ date, kind })).sort((a, b) => a.date.localeCompare(b.date));
}
