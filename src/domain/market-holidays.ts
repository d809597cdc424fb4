/**
 * NSE/BSE equity-derivatives trading holidays on weekdays (weekends are closed anyway). Used to shift an
 * expiry that falls on a holiday to the previous trading day, as the exchanges do. The 2026 dates follow
 * the exchanges' December 2025 circular as recorded here; exchanges amend these lists during the year, so
 * operators can replace the whole list with `G6_MARKET_HOLIDAYS`. A provider with a real instruments
 * dump (Kite) takes expiries from the dump instead.
 */
export const DEFAULT_MARKET_HOLIDAYS: readonly string[] = [
  '2025-02-26',
  '2025-03-14',
  '2025-03-31',
  '2025-04-10',
  '2025-04-14',
  '2025-04-18',
  '2025-05-01',
  '2025-08-15',
  '2025-08-27',
  '2025-10-02',
  '2025-10-21',
  '2025-10-22',
  '2025-11-05',
  '2025-12-25',
  '2026-01-26',
  '2026-03-03',
  '2026-03-26',
  '2026-03-31',
  '2026-04-03',
  '2026-04-14',
  '2026-05-01',
  '2026-05-28',
  '2026-06-26',
  '2026-09-14',
  '2026-10-02',
  '2026-10-20',
  '2026-11-10',
  '2026-11-24',
  '2026-12-25',
];
