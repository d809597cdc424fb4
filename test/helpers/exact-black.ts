import { Decimal } from 'decimal.js';
import type { BlackScholesInput } from '../../src/analytics/black-scholes.ts';

/**
 * Black-Scholes-Merton price and theta in 60-digit decimal arithmetic (decimal.js), from the same double
 * inputs the fast code sees: the "exact model value" precision tests compare against. Φ comes from its
 * Taylor series around 0, Φ(x) = ½ + φ(x)·Σ x^(2n+1)/(1·3·…·(2n+1)), for |x| < 5 (it loses about
 * x²/(2·ln 10) digits of the 60), and from the continued fraction of the tail beyond.
 */
const D = Decimal.clone({ precision: 60 });
const HALF = new D(0.5);
const SQRT_2PI = D.sqrt(D.acos(-1).times(2));

/**
 * The double's own binary value (`new Decimal(0.1)` would read the shortest decimal, 0.1, instead):
 * toPrecision(100) writes its exact expansion to 100 digits, beyond any difference that matters here.
 */
function exact(value: number): Decimal {
  return new D(value.toPrecision(100));
}

function pdf(x: Decimal): Decimal {
  return D.exp(x.times(x).times(-0.5)).div(SQRT_2PI);
}

/** Upper tail Q(x) = φ(x)/(x + 1/(x + 2/(x + 3/(x + …)))) for x ≥ 5, evaluated from the back. */
function upperTail(x: Decimal): Decimal {
  let fraction = x;
  for (let k = 400; k >= 1; k -= 1) {
    fraction = x.plus(new D(k).div(fraction));
  }
  return pdf(x).div(fraction);
}

function cdf(x: Decimal): Decimal {
  if (x.gte(5)) {
    return new D(1).minus(upperTail(x));
  }
  if (x.lte(-5)) {
    return upperTail(x.neg());
  }
  let term = x;
  let sum = x;
  const x2 = x.times(x);
  for (let k = 1; k < 2000; k += 1) {
    term = term.times(x2).div(2 * k + 1);
    sum = sum.plus(term);
    if (term.abs().lt(sum.abs().times('1e-58'))) {
      break;
    }
  }
  return HALF.plus(pdf(x).times(sum));
}

/** Price and theta per calendar day (per year / 365), as decimal strings' numbers. */
export function exactBlackScholes(input: BlackScholesInput): { price: number; thetaPerDay: number } {
  const S = exact(input.spot);
  const K = exact(input.strike);
  const T = exact(input.timeToExpiryYears);
  const r = exact(input.rate);
  const q = exact(input.dividendYield);
  const sigma = exact(input.volatility);
  const sqrtT = T.sqrt();
  const stdDev = sigma.times(sqrtT);
  const d1 = D.ln(S.div(K)).plus(r.minus(q).times(T)).div(stdDev).plus(stdDev.div(2));
  const d2 = d1.minus(stdDev);
  const sign = input.right === 'C' ? 1 : -1;
  const Sq = S.times(D.exp(q.neg().times(T)));
  const Kr = K.times(D.exp(r.neg().times(T)));
  const n1 = cdf(d1.times(sign));
  const n2 = cdf(d2.times(sign));
  const price = Sq.times(n1).minus(Kr.times(n2)).times(sign);
  const theta = Sq.times(pdf(d1))
    .times(sigma)
    .div(sqrtT.times(2))
    .neg()
    .plus(q.times(Sq).times(n1).minus(r.times(Kr).times(n2)).times(sign));
  return { price: price.toNumber(), thetaPerDay: theta.div(365).toNumber() };
}
