import type { BlackScholesInput } from '../analytics/black-scholes.ts';

/**
 * One Black-Scholes-Merton reference option: inputs and the exact values in the units of the reference
 * table (vega per 1.00 of volatility, theta per year, rho per 1.00 of rate).
 */
export interface ReferenceOption extends BlackScholesInput {
  /** Data row of the table these values were copied from (1 = the first row after the header). */
  readonly row: number;
  readonly price: number;
  readonly delta: number;
  readonly gamma: number;
  readonly vega: number;
  readonly theta: number;
  readonly rho: number;
}

/**
 * Eight rows of the repository's 40-digit reference table (each cross-checked against QuantLib 1.29),
 * copied here because the installed program must carry its own: near-the-money index options from 10
 * minutes to 10 months, calls and puts, a far out-of-the-money put worth 0.0015 and an 86 % volatility.
 * Every row is one whose implied volatility is well conditioned, so the price gives the volatility back.
 */
export const REFERENCE_OPTIONS: readonly ReferenceOption[] = [
  {
    row: 9,
    right: 'P',
    spot: 56010.134647466,
    strike: 55200.0,
    timeToExpiryYears: 0.0016503512900026428,
    rate: 0.07159961174246288,
    dividendYield: 0.004176315967708457,
    volatility: 0.3795191367559391,
    price: 78.15934589076288,
    delta: -0.16854679825921717,
    gamma: 0.00029142673966240404,
    vega: 572.6281681250175,
    theta: -65199.44788679273,
    rho: -15.708849297550252,
  },
  {
    row: 39,
    right: 'C',
    spot: 17210.612395985987,
    strike: 16900.0,
    timeToExpiryYears: 0.14545460758772064,
    rate: 0.0545739471914375,
    dividendYield: 0.005029991758796566,
    volatility: 0.14496768429180773,
    price: 629.2377888198317,
    delta: 0.686508523973343,
    gamma: 0.0003720289729722013,
    vega: 2323.635995992223,
    theta: -1708.9620438040577,
    rho: 1627.0544148505564,
  },
  {
    row: 45,
    right: 'P',
    spot: 20165.43055763401,
    strike: 18150.0,
    timeToExpiryYears: 0.5990755343332279,
    rate: 0.07293350380393968,
    dividendYield: 0.006156525812462595,
    volatility: 0.04421575276230131,
    price: 0.0014945822305374068,
    delta: -1.005221326383701e-5,
    gamma: 6.520892029024922e-8,
    vega: 0.702393711459549,
    theta: -0.0122754802527142,
    rho: -0.12233229690713758,
  },
  {
    row: 80,
    right: 'C',
    spot: 26109.743100517917,
    strike: 26000.0,
    timeToExpiryYears: 0.01193279824827754,
    rate: 0.07499684398154051,
    dividendYield: 0.0005735399498891119,
    volatility: 0.07722494639121595,
    price: 169.6036683940055,
    delta: 0.7286634052574938,
    gamma: 0.001504857255299869,
    vega: 945.3669543886169,
    theta: -4462.243678689475,
    rho: 225.00019773008117,
  },
  {
    row: 93,
    right: 'P',
    spot: 27399.06901051514,
    strike: 27700.0,
    timeToExpiryYears: 0.12452586085208403,
    rate: 0.05657169159797323,
    dividendYield: 0.007590104591555801,
    volatility: 0.14124610320356656,
    price: 614.2985130811333,
    delta: -0.5281438757379392,
    gamma: 0.00029109598416357486,
    vega: 3843.650177871067,
    theta: -1436.3236035144432,
    rho: -1878.4662616173719,
  },
  {
    row: 125,
    right: 'C',
    spot: 27434.839964081115,
    strike: 27650.0,
    timeToExpiryYears: 1.9025875190258754e-5,
    rate: 0.06748841058621183,
    dividendYield: 0.01740525758232716,
    volatility: 0.8584777187427326,
    price: 0.6934049138972269,
    delta: 0.01857577870789164,
    gamma: 0.0004426270563094171,
    vega: 5.4414731548158395,
    theta: -122789.43409888571,
    rho: 0.009682840775214906,
  },
  {
    row: 146,
    right: 'C',
    spot: 66317.37179889577,
    strike: 66400.0,
    timeToExpiryYears: 0.004957356701599092,
    rate: 0.07208329805185971,
    dividendYield: 0.010299589054734644,
    volatility: 0.08361487653661168,
    price: 126.65335013147684,
    delta: 0.43778267306530194,
    gamma: 0.0010093250064947376,
    vega: 1840.0065471659796,
    theta: -17302.14769861695,
    rho: 143.2970699826391,
  },
  {
    row: 167,
    right: 'P',
    spot: 20436.805334022483,
    strike: 20550.0,
    timeToExpiryYears: 0.8421737076653805,
    rate: 0.05900248017818655,
    dividendYield: 0.0006082186004498646,
    volatility: 0.17169384071581098,
    price: 866.7559078516366,
    delta: -0.36079446988546965,
    gamma: 0.00011623128673898257,
    vega: 7019.488333354396,
    theta: -233.82103332222061,
    rho: -6939.71537152715,
  },
];

/**
 * A value passes when it is within this fraction of the reference, or within `REFERENCE_ABSOLUTE_TOLERANCE`
 * of it (for values near zero). The analytics agree with the table to 1e-12; 1e-9 leaves room for another
 * platform's `Math.exp` while still catching any wrong formula, unit or build.
 */
export const REFERENCE_RELATIVE_TOLERANCE = 1e-9;
export const REFERENCE_ABSOLUTE_TOLERANCE = 1e-10;
