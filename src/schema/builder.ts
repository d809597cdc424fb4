import SchemaBuilder from '@pothos/core';
import type { GraphQLContext } from './context.ts';

// Fields are non-null unless marked `nullable: true`, so clients' generated types carry no needless nulls.
export const builder = new SchemaBuilder<{
  DefaultFieldNullability: false;
  Context: GraphQLContext;
  Scalars: {
    Date: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date };
  };
}>({ defaultFieldNullability: false });

builder.queryType({ description: 'Latest snapshots collected by the server.' });
builder.subscriptionType({ description: 'Snapshots pushed once per collection cycle; the current value first.' });
