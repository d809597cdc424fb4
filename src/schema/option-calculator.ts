import { GraphQLError } from 'graphql';
import { black76, blackScholes, type OptionGreeks } from '../analytics/black-scholes.ts';
import { impliedVolatility, impliedVolatilityBlack76 } from '../analytics/implied-volatility.ts';
import { segmentOf } from '../domain/calendar/calendar-data.ts';
import { ERROR_CODES } from '../domain/errors.ts';
import { INDEX_SPECS } from '../domain/indices.ts';
import type { IvStatus, PricingModel } from '../domain/snapshot.ts';
import { timeToExpiryYears } from '../domain/time-to-expiry.ts';
import { builder } from './builder.ts';
import { IndexSymbolEnum, IvStatusEnum, OptionRightEnum, PricingModelEnum } from './enums.ts';
import { RATE_RANGE } from './pricing-inputs.ts';

const OptionCalculatorInput = builder.inputType('OptionCalculatorInput', {
  description:
    'One European option. Give `volatility` for price and Greeks, or `price` for implied volatility (and the Greeks ' +
    "at it). Give `timeToExpiryYears`, or `expiry` to measure from now to that date's expiry cut-off (CALENDAR_365) " +
    'on the exchange of `index` (NSE when not given).',
  fields: (t) => ({
    model: t.field({ type: PricingModelEnum, required: false, description: "Default: the server's." }),
    right: t.field({ type: OptionRightEnum, required: true }),
    spot: t.float({ required: false, description: 'Index level (BLACK_SCHOLES).' }),
    forward: t.float({ required: false, description: 'Forward or futures price (BLACK_76).' }),
    strike: t.float({ required: true }),
    timeToExpiryYears: t.float({ required: false }),
    expiry: t.field({ type: 'Date', required: false }),
    index: t.field({
      type: IndexSymbolEnum,
      required: false,
      description:
        "Whose exchange's expiry cut-off `expiry` is measured to (NSE 15:40 IST from 3 Aug 2026, 15:30 before; " +
        'BSE 15:30). Default: NIFTY.',
    }),
    rate: t.float({ required: false, description: "Decimal; default: the server's G6_RISK_FREE_RATE." }),
    dividendYield: t.float({ required: false, description: "Decimal; BLACK_SCHOLES only; default: the server's." }),
    volatility: t.float({ required: false, description: 'Decimal (0.15 = 15 %).' }),
    price: t.float({ required: false, description: 'Premium to solve implied volatility from.' }),
  }),
});

interface CalculatorResult extends Partial<OptionGreeks> {
  readonly model: PricingModel;
  readonly timeToExpiryYears: number;
  readonly volatility: number | null;
  readonly ivStatus: IvStatus | null;
}

/** Extreme inputs (a volatility of 1e-320, a century to expiry) overflow a Greek: null, not a Float error. */
function finiteOrNull(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}

const OptionCalculatorResultRef = builder.objectRef<CalculatorResult>('OptionCalculatorResult').implement({
  description:
    'Price and Greeks (units as on OptionQuote; theta and charm per calendar day). A value that overflows double precision for extreme inputs is null.',
  fields: (t) => ({
    model: t.field({ type: PricingModelEnum, resolve: (r) => r.model }),
    timeToExpiryYears: t.float({ resolve: (r) => r.timeToExpiryYears }),
    volatility: t.float({
      nullable: true,
      description: 'The input volatility, or the implied one; null when it could not be solved (see ivStatus).',
      resolve: (r) => r.volatility,
    }),
    ivStatus: t.field({
      type: IvStatusEnum,
      nullable: true,
      description: 'Set when solving from a price.',
      resolve: (r) => r.ivStatus,
    }),
    price: t.float({ nullable: true, resolve: (r) => finiteOrNull(r.price) }),
    delta: t.float({ nullable: true, resolve: (r) => finiteOrNull(r.delta) }),
    gamma: t.float({ nullable: true, resolve: (r) => finiteOrNull(r.gamma) }),
    thetaPerDay: t.float({ nullable: true, resolve: (r) => finiteOrNull(r.thetaPerDay) }),
    vegaPerVolPoint: t.float({ nullable: true, resolve: (r) => finiteOrNull(r.vegaPerVolPoint) }),
    rhoPerRatePoint: t.float({ nullable: true, resolve: (r) => finiteOrNull(r.rhoPerRatePoint) }),
    vanna: t.float({ nullable: true, resolve: (r) => finiteOrNull(r.vanna) }),
    volga: t.float({ nullable: true, resolve: (r) => finiteOrNull(r.volga) }),
    charm: t.float({ nullable: true, resolve: (r) => finiteOrNull(r.charm) }),
  }),
});

function badInput(message: string, argument: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ERROR_CODES.BAD_USER_INPUT, argument } });
}

function positive(value: number | null | undefined, argument: string): number {
  if (value === null || value === undefined || !(Number.isFinite(value) && value > 0)) {
    throw badInput(`${argument} must be a positive number`, argument);
  }
  return value;
}

builder.queryField('optionCalculator', (t) =>
  t.field({
    type: OptionCalculatorResultRef,
    description: 'Price and Greeks from inputs, or implied volatility from a price. Touches no market data.',
    args: { input: t.arg({ type: OptionCalculatorInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const model = input.model ?? ctx.analysis.conventions.model;
      const right = input.right === 'CE' ? 'C' : 'P';
      const strike = positive(input.strike, 'input.strike');
      const underlying =
        model === 'BLACK_SCHOLES' ? positive(input.spot, 'input.spot') : positive(input.forward, 'input.forward');
      if ((input.timeToExpiryYears == null) === (input.expiry == null)) {
        throw badInput('give exactly one of input.timeToExpiryYears and input.expiry', 'input.timeToExpiryYears');
      }
      const T =
        input.expiry != null
          ? timeToExpiryYears(
              ctx.now(),
              input.expiry,
              'CALENDAR_365',
              ctx.analysis.clock.calendar,
              segmentOf(INDEX_SPECS[input.index ?? 'NIFTY']),
            )
          : positive(input.timeToExpiryYears, 'input.timeToExpiryYears');
      if (!(T > 0)) {
        throw badInput(`input.expiry ${input.expiry} has passed (its expiry cut-off)`, 'input.expiry');
      }
      const rate = input.rate ?? ctx.analysis.conventions.rate;
      const dividendYield = input.dividendYield ?? ctx.analysis.conventions.dividendYield;
      for (const [value, name] of [
        [rate, 'input.rate'],
        [dividendYield, 'input.dividendYield'],
      ] as const) {
        if (!(Number.isFinite(value) && value >= RATE_RANGE[0] && value <= RATE_RANGE[1])) {
          throw badInput(`${name} must be from ${RATE_RANGE[0]} to ${RATE_RANGE[1]}`, name);
        }
      }
      if ((input.volatility == null) === (input.price == null)) {
        throw badInput('give exactly one of input.volatility and input.price', 'input.volatility');
      }
      let volatility: number;
      let ivStatus: IvStatus | null = null;
      if (input.price != null) {
        const price = input.price;
        const solved =
          model === 'BLACK_SCHOLES'
            ? impliedVolatility({ right, price, spot: underlying, strike, timeToExpiryYears: T, rate, dividendYield })
            : impliedVolatilityBlack76({ right, price, forward: underlying, strike, timeToExpiryYears: T, rate });
        if (!solved.ok) {
          return { model, timeToExpiryYears: T, volatility: null, ivStatus: solved.reason };
        }
        volatility = solved.volatility;
        ivStatus = 'OK';
      } else {
        volatility = positive(input.volatility, 'input.volatility');
      }
      const greeks =
        model === 'BLACK_SCHOLES'
          ? blackScholes({ right, spot: underlying, strike, timeToExpiryYears: T, rate, dividendYield, volatility })
          : black76({ right, forward: underlying, strike, timeToExpiryYears: T, rate, volatility });
      return { model, timeToExpiryYears: T, volatility, ivStatus, ...greeks };
    },
  }),
);
