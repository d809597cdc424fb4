/**
 * Indian Standard Time helpers. IST is UTC+05:30 all year (no daylight saving), so a fixed offset is exact
 * and no timezone database is needed.
 */
export const IST_OFFSET_MS = 5.5 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

// By IST day number: history reads name the day of every stored row (22,500 rows for a month's chart),
// and formatting a Date each time cost more than decoding the row. A store spans a few thousand days.
const MAX_REMEMBERED_DAYS = 20_000;
const dateStrings = new Map<number, { readonly iso: string; readonly compact: string }>();

function istDay(instant: Date): { readonly iso: string; readonly compact: string } {
  const shiftedMs = instant.getTime() + IST_OFFSET_MS;
  const day = Math.floor(shiftedMs / DAY_MS);
  let names = dateStrings.get(day);
  if (names === undefined) {
    // Throws a RangeError for an invalid Date, as toISOString does.
    const iso = new Date(shiftedMs).toISOString().slice(0, 10);
    names = { iso, compact: iso.replaceAll('-', '') };
    if (dateStrings.size < MAX_REMEMBERED_DAYS) {
      dateStrings.set(day, names);
    }
  }
  return names;
}

/** `YYYY-MM-DD` of the IST calendar day containing the instant. */
export function toIstDateString(instant: Date): string {
  return istDay(instant).iso;
}

/** `YYYYMMDD` of the IST calendar day containing the instant (the CSV folder name). */
export function toIstCompactDate(instant: Date): string {
  return istDay(instant).compact;
}

/** The instant of a wall-clock time in IST on a `YYYY-MM-DD` date. */
export function istWallClockToInstant(isoDate: string, hours: number, minutes: number): Date {
  const midnightUtcMs = Date.parse(`${isoDate}T00:00:00Z`);
  return new Date(midnightUtcMs + (hours * 60 + minutes) * 60_000 - IST_OFFSET_MS);
}

/** Days between two `YYYY-MM-DD` dates (b − a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);
}

export function addDays(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** ISO weekday (1 = Monday … 7 = Sunday) of a `YYYY-MM-DD` date. */
export function isoWeekday(isoDate: string): number {
  const day = new Date(`${isoDate}T00:00:00Z`).getUTCDay();
  return day === 0 ? 7 : day;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written `YYYY-MM-DD`. */
export function isIsoDate(value: string): boolean {
  const match = ISO_DATE.exec(value);
  if (!match) {
    return false;
  }
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value;
}
