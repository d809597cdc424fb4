import SchemaBuilder from '@pothos/core';
import type { GraphQLContext } from './context.ts';

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  Scalars: {
    Date: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date };
  };
}>({});

builder.queryType({ description: 'Latest snapshots collected by the server.' });
builder.subscriptionType({ description: 'Snapshots pushed once per collection cycle; the current value first.' });
