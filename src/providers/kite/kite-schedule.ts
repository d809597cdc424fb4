/** Kite's daily schedule, in IST: when tokens die and when the instruments dump is regenerated. */
import { addDays, istWallClockToInstant, toIstDateString } from '../../domain/ist-time.ts';

/** Kite access tokens die at 06:00 IST (a regulatory rule), the first such instant after the login. */
export function tokenExpiresAt(loginTime: Date): Date {
  const today = toIstDateString(loginTime);
  const sixToday = istWallClockToInstant(today, 6, 0);
  return sixToday.getTime() > loginTime.getTime() ? sixToday : istWallClockToInstant(addDays(today, 1), 6, 0);
}

/** The instrument dump is regenerated daily: a copy fetched before the latest 08:00 IST is stale. */
export function latestInstrumentRefreshAt(now: Date): Date {
  const today = toIstDateString(now);
  const eightToday = istWallClockToInstant(today, 8, 0);
  return eightToday.getTime() <= now.getTime() ? eightToday : istWallClockToInstant(addDays(today, -1), 8, 0);
}
