/**
 * The `graphql()` tag for G6. Types come from graphql-env.d.ts (generated from schema.graphql by
 * generate-graphql-env.ts): a document's result and variables are inferred as it is written, no codegen.
 */
import { initGraphQLTada } from 'gql.tada';
import type { introspection } from './graphql-env.d.ts';

export const graphql = initGraphQLTada<{
  introspection: introspection;
  scalars: {
    /** `YYYY-MM-DD` (an expiry date). */
    Date: string;
    /** ISO 8601 UTC instant, e.g. `2026-08-18T04:00:00.000Z`. */
    DateTime: string;
  };
}>();

export type { FragmentOf, ResultOf, VariablesOf } from 'gql.tada';
export { readFragment } from 'gql.tada';
