import type { ObjectRef } from '@pothos/core';
import type { ChainSnapshot } from '../domain/snapshot.ts';
import { builder } from './builder.ts';
import { ExpiryTagEnum } from './enums.ts';

type Types = (typeof builder)['$inferSchemaTypes'];

/** Adds `expiryTag` (the first of them) and `expiryTags` to a type that shows one chain. */
export function addExpiryTagFields<T extends { readonly chain: ChainSnapshot }>(ref: ObjectRef<Types, T>): void {
  builder.objectFields(ref, (t) => ({
    expiryTag: t.field({
      type: ExpiryTagEnum,
      nullable: true,
      description:
        'The first role this expiry fills (THIS_WEEK before THIS_MONTH when it is both); null when no tag names it.',
      resolve: (v) => v.chain.expiryTags[0] ?? null,
    }),
    expiryTags: t.field({
      type: [ExpiryTagEnum],
      description:
        'Every role this expiry fills among the open expiries, in THIS_WEEK, NEXT_WEEK, THIS_MONTH, NEXT_MONTH order.',
      resolve: (v) => [...v.chain.expiryTags],
    }),
  }));
}
