import type { ExpiryKind } from './expiry-calendar.ts';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKLY_MONTH_CODES = ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'O', 'N', 'D'];

/**
 * Kite/NSE option trading symbol: monthly `NIFTY26AUG24350CE` (YY + MON), weekly `NIFTY2681824350CE`
 * (YY + one-character month + DD), as in Kite's instruments dump.
 */
export function toOptionTradingSymbol(
  name: string,
  expiry: string,
  kind: ExpiryKind,
  strike: number,
  right: 'CE' | 'PE',
): string {
  const yy = expiry.slice(2, 4);
  const monthIndex = Number(expiry.slice(5, 7)) - 1;
  const dd = expiry.slice(8, 10);
  const expiryCode = kind === 'MONTHLY' ? `${yy}${MONTHS[monthIndex]}` : `${yy}${WEEKLY_MONTH_CODES[monthIndex]}${dd}`;
  return `${name}${expiryCode}${strike}${right}`;
}
