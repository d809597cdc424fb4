import { GraphQLError } from 'graphql';
import type { Scenario } from '../analytics/analyze-chain.ts';
import { ERROR_CODES } from '../domain/errors.ts';
import type { PricingConventions } from '../domain/snapshot.ts';
import { builder } from './builder.ts';
import { ForwardSourceEnum, PriceRuleEnum, PricingModelEnum, TimeBasisEnum } from './enums.ts';

export const ConventionsInput = builder.inputType('ConventionsInput', {
  description:
    "Recompute under other conventions (unset fields keep the server's, see Methodology). NSE's page: " +
    '{model: BLACK_SCHOLES, rate: 0.10, priceRule: LAST}; Sensibull/Kite: {model: BLACK_76, forwardSource: FUTURES, ' +
    'timeBasis: TRADING_252}; OpenAlgo: {model: BLACK_76, forwardSource: PUT_CALL_PARITY, rate: 0}.',
  fields: (t) => ({
    model: t.field({ type: PricingModelEnum, required: false }),
    forwardSource: t.field({ type: ForwardSourceEnum, required: false }),
    rate: t.float({ required: false, description: 'Continuously compounded annual rate, decimal (−0.05 to 0.5).' }),
    dividendYield: t.float({ required: false, description: 'Annual, decimal (−0.05 to 0.5); BLACK_SCHOLES only.' }),
    timeBasis: t.field({ type: TimeBasisEnum, required: false }),
    priceRule: t.field({ type: PriceRuleEnum, required: false }),
  }),
});

export const ScenarioInput = builder.inputType('ScenarioInput', {
  description:
    "What-if: Greeks and theoretical values repriced from each contract's market IV (sticky strike) at a shifted " +
    'spot, volatility, date and rate. IVs, OI and chain metrics stay those of the market.',
  fields: (t) => ({
    spotShiftPct: t.float({ required: false, description: 'Percent, −50 to 50 (−2 = spot 2 % lower).' }),
    volShiftPts: t.float({ required: false, description: 'Vol points added to every IV, −50 to 100 (1 = 0.01).' }),
    daysForward: t.float({ required: false, description: 'Days of the time basis to roll forward, 0 to 366.' }),
    rate: t.float({ required: false, description: 'Replaces the rate, decimal (−0.05 to 0.5).' }),
  }),
});

type Range = readonly [number, number];

function checkRange(value: number | null | undefined, [min, max]: Range, argument: string): void {
  if (value !== null && value !== undefined && !(Number.isFinite(value) && value >= min && value <= max)) {
    throw new GraphQLError(`${argument} must be from ${min} to ${max}`, {
      extensions: { code: ERROR_CODES.BAD_USER_INPUT, argument },
    });
  }
}

export const RATE_RANGE: Range = [-0.05, 0.5];

export function resolveConventions(
  base: PricingConventions,
  input: {
    model?: PricingConventions['model'] | null;
    forwardSource?: PricingConventions['forwardSource'] | null;
    rate?: number | null;
    dividendYield?: number | null;
    timeBasis?: PricingConventions['timeBasis'] | null;
    priceRule?: PricingConventions['priceRule'] | null;
  },
): PricingConventions {
  checkRange(input.rate, RATE_RANGE, 'conventions.rate');
  checkRange(input.dividendYield, RATE_RANGE, 'conventions.dividendYield');
  return {
    model: input.model ?? base.model,
    forwardSource: input.forwardSource ?? base.forwardSource,
    rate: input.rate ?? base.rate,
    dividendYield: input.dividendYield ?? base.dividendYield,
    timeBasis: input.timeBasis ?? base.timeBasis,
    priceRule: input.priceRule ?? base.priceRule,
  };
}

export function resolveScenario(input: {
  spotShiftPct?: number | null;
  volShiftPts?: number | null;
  daysForward?: number | null;
  rate?: number | null;
}): Scenario {
  checkRange(input.spotShiftPct, [-50, 50], 'scenario.spotShiftPct');
  checkRange(input.volShiftPts, [-50, 100], 'scenario.volShiftPts');
  checkRange(input.daysForward, [0, 366], 'scenario.daysForward');
  checkRange(input.rate, RATE_RANGE, 'scenario.rate');
  return {
    spotShiftPct: input.spotShiftPct ?? 0,
    volShiftPts: input.volShiftPts ?? 0,
    daysForward: input.daysForward ?? 0,
    rate: input.rate ?? null,
  };
}
