import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.ts';
import './scalars.ts';
import './enums.ts';
import './index-info.ts';
import './option-quote.ts';
import './overview.ts';
import './option-chain.ts';
import './server-info.ts';
import './market-status.ts';
import './volatility.ts';
import './option-calculator.ts';
import './history.ts';
import './expiry.ts';
import './contract.ts';
import './health.ts';
import './straddle.ts';
import './weekday-profile.ts';

export const schema = builder.toSchema();

/** The SDL committed as `schema.graphql`: sorted, so diffs show real changes only. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
