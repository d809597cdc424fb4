import type { SmilePoint, TermStructurePoint, VolatilitySurfaceRow } from '../domain/snapshot.ts';
import { builder } from './builder.ts';
import { ExpiryTagEnum, IndexSymbolEnum } from './enums.ts';
import { EXPIRY_TAG_DESCRIPTION, findChain, requireConfiguredIndex } from './inputs.ts';

export const SmilePointRef = builder.objectRef<SmilePoint>('SmilePoint').implement({
  description:
    'One strike of the smile: the OTM leg IV (calls at/above the forward, puts below; both averaged at ATM).',
  fields: (t) => ({
    strike: t.float({ resolve: (p) => p.strike }),
    logMoneyness: t.float({ description: 'ln(K / F).', resolve: (p) => p.logMoneyness }),
    callDelta: t.float({
      description: 'Undiscounted call delta at this IV (a put delta d is call delta 1 + d).',
      resolve: (p) => p.callDelta,
    }),
    iv: t.float({ resolve: (p) => p.iv }),
    callIv: t.float({ nullable: true, resolve: (p) => p.callIv }),
    putIv: t.float({ nullable: true, resolve: (p) => p.putIv }),
    totalVariance: t.float({ description: 'iv²·T.', resolve: (p) => p.totalVariance }),
  }),
});

const SmileRef = builder
  .objectRef<{ expiry: string; timestamp: Date; points: readonly SmilePoint[] }>('Smile')
  .implement({
    fields: (t) => ({
      expiry: t.field({ type: 'Date', resolve: (s) => s.expiry }),
      timestamp: t.field({ type: 'DateTime', resolve: (s) => s.timestamp }),
      points: t.field({ type: [SmilePointRef], description: 'Ascending by strike.', resolve: (s) => s.points }),
    }),
  });

const TermStructurePointRef = builder.objectRef<TermStructurePoint>('TermStructurePoint').implement({
  fields: (t) => ({
    expiry: t.field({ type: 'Date', resolve: (p) => p.expiry }),
    timeToExpiryYears: t.float({ resolve: (p) => p.timeToExpiryYears }),
    atmIv: t.float({ nullable: true, resolve: (p) => p.atmIv }),
    atmTotalVariance: t.float({ nullable: true, description: 'atmIv²·T.', resolve: (p) => p.atmTotalVariance }),
    forwardVolatility: t.float({
      nullable: true,
      description: 'Volatility between the previous expiry and this one: √((w₂ − w₁)/(T₂ − T₁)).',
      resolve: (p) => p.forwardVolatility,
    }),
    calendarArbitrage: t.boolean({
      description: 'ATM total variance fell from the previous expiry.',
      resolve: (p) => p.calendarArbitrage,
    }),
  }),
});

const SurfaceRowRef = builder.objectRef<VolatilitySurfaceRow>('VolatilitySurfaceRow').implement({
  fields: (t) => ({
    expiry: t.field({ type: 'Date', resolve: (r) => r.expiry }),
    timeToExpiryYears: t.float({ resolve: (r) => r.timeToExpiryYears }),
    iv: t.floatList({
      nullable: { list: false, items: true },
      description: 'IV per logMoneyness column; null outside the strikes quoted for this expiry.',
      resolve: (r) => [...r.iv],
    }),
    calendarArbitrage: t.booleanList({
      description: "Per column: total variance below the previous expiry's.",
      resolve: (r) => [...r.calendarArbitrage],
    }),
    butterflyArbitrageStrikes: t.floatList({
      description: 'Strikes where call prices from the smile break monotonicity or convexity in strike.',
      resolve: (r) => [...r.butterflyArbitrageStrikes],
    }),
  }),
});

const SurfaceRef = builder
  .objectRef<{ timestamp: Date; logMoneyness: readonly number[]; rows: readonly VolatilitySurfaceRow[] }>(
    'VolatilitySurface',
  )
  .implement({
    description: 'IV on a ln(K/F) grid × open expiries, interpolated linearly in total variance, no extrapolation.',
    fields: (t) => ({
      timestamp: t.field({ type: 'DateTime', resolve: (s) => s.timestamp }),
      logMoneyness: t.floatList({ resolve: (s) => [...s.logMoneyness] }),
      rows: t.field({ type: [SurfaceRowRef], description: 'Ascending by expiry.', resolve: (s) => s.rows }),
    }),
  });

builder.queryField('smile', (t) =>
  t.field({
    type: SmileRef,
    nullable: true,
    description: 'IV by strike, moneyness and delta for one expiry (null: nearest). Null before the first collection.',
    args: {
      index: t.arg({ type: IndexSymbolEnum, required: true }),
      expiry: t.arg({ type: 'Date', required: false }),
      expiryTag: t.arg({ type: ExpiryTagEnum, required: false, description: EXPIRY_TAG_DESCRIPTION }),
    },
    resolve: (_root, args, ctx) => {
      const chain = findChain(ctx, args.index, args.expiry, args.expiryTag);
      return chain === undefined ? null : { expiry: chain.expiry, timestamp: chain.observedAt, points: chain.smile };
    },
  }),
);

builder.queryField('termStructure', (t) =>
  t.field({
    type: [TermStructurePointRef],
    nullable: true,
    description: 'ATM IV across the open expiries. Null before the first collection.',
    args: { index: t.arg({ type: IndexSymbolEnum, required: true }) },
    resolve: (_root, args, ctx) => {
      requireConfiguredIndex(ctx, args.index);
      return ctx.store.getIndex(args.index)?.termStructure ?? null;
    },
  }),
);

builder.queryField('volSurface', (t) =>
  t.field({
    type: SurfaceRef,
    nullable: true,
    description: 'The implied-volatility surface with arbitrage flags. Null before the first collection.',
    args: { index: t.arg({ type: IndexSymbolEnum, required: true }) },
    resolve: (_root, args, ctx) => {
      requireConfiguredIndex(ctx, args.index);
      const snapshot = ctx.store.getIndex(args.index);
      return snapshot === undefined ? null : { timestamp: snapshot.observedAt, ...snapshot.surface };
    },
  }),
);
