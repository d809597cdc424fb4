import { describe, expect, it } from 'vitest';
import { black76, blackScholes } from '../../../src/analytics/black-scholes.ts';
import { DEFAULT_EXCHANGE_CALENDAR } from '../../../src/domain/calendar/default-calendar.ts';
import { timeToExpiryYears } from '../../../src/domain/time-to-expiry.ts';
import { exactBlackScholes } from '../../helpers/exact-black.ts';

/** Minutes before the cut-off, on an NSE expiry day (Tuesday 8 Dec 2026, cut-off 15:40 IST). */
const MINUTES_BEFORE_CUTOFF = [1, 2, 5, 10, 30, 120, 375];
const CUTOFF = DEFAULT_EXCHANGE_CALENDAR.expiryCutoff('NSE_FO', '2026-12-08');
const VOLATILITIES = [0.08, 0.13, 0.3];
const SPOT = 24613.35;
/** Strikes within ±2 % of spot, where expiry-day theta matters (further out it underflows towards 0). */
const STRIKES = Array.from({ length: 21 }, (_, i) => 24100 + 50 * i);

function worstRelativeError(model: 'BLACK_SCHOLES' | 'BLACK_76'): { error: number; at: string } {
  let worst = { error: 0, at: '' };
  for (const minutes of MINUTES_BEFORE_CUTOFF) {
    const observedAt = new Date(CUTOFF.getTime() - minutes * 60_000);
    const T = timeToExpiryYears(observedAt, '2026-12-08', 'CALENDAR_365', DEFAULT_EXCHANGE_CALENDAR, 'NSE_FO');
    for (const volatility of VOLATILITIES) {
      for (const strike of STRIKES) {
        for (const right of ['C', 'P'] as const) {
          const rate = 0.065;
          const dividendYield = model === 'BLACK_76' ? rate : 0.012;
          const got =
            model === 'BLACK_76'
              ? black76({ right, forward: SPOT, strike, timeToExpiryYears: T, rate, volatility }).thetaPerDay
              : blackScholes({ right, spot: SPOT, strike, timeToExpiryYears: T, rate, dividendYield, volatility })
                  .thetaPerDay;
          const exact = exactBlackScholes({
            right,
            spot: SPOT,
            strike,
            timeToExpiryYears: T,
            rate,
            dividendYield,
            volatility,
          }).thetaPerDay;
          const error = Math.abs(got - exact) / Math.abs(exact);
          if (error > worst.error) {
            worst = { error, at: `${minutes} min before, σ ${volatility}, K ${strike} ${right}: ${got} vs ${exact}` };
          }
        }
      }
    }
  }
  return worst;
}

describe('theta on expiry day', () => {
  // ln(F/K) divided by a tiny σ√T magnified the rounding of ln(S·e^−qT / K·e^−rT): 6.6e-12 one minute out.
  it('Black-Scholes theta stays within 1e-12 relative of the 60-digit model value down to one minute before the cut-off', () => {
    const worst = worstRelativeError('BLACK_SCHOLES');
    expect(worst.error, worst.at).toBeLessThan(1e-12);
  });

  it('Black-76 theta stays within 1e-12 relative of the 60-digit model value down to one minute before the cut-off', () => {
    const worst = worstRelativeError('BLACK_76');
    expect(worst.error, worst.at).toBeLessThan(1e-12);
  });
});
