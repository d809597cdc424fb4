import { constantMaturityIv, IV30_YEARS, ivPercentile, ivRank } from '../analytics/iv-rank.ts';
import { RISK_BAND_EDGES_PERCENT, type RiskBand, riskBands } from '../analytics/risk-bands.ts';
import type { ChainSnapshot, DataQuality, IndexSnapshot, SnapshotMarket } from '../domain/snapshot.ts';
import { builder } from './builder.ts';
import { reanalyzeChain } from './chain-reanalysis.ts';
import type { GraphQLContext } from './context.ts';
import { ExpiryKindEnum, ExpiryTagEnum, IndexSymbolEnum } from './enums.ts';
import { addExpiryTagFields } from './expiry-tag-fields.ts';
import { MAX_AGE_DESCRIPTION, requireFresh } from './freshness.ts';
import { ivHistory } from './history.ts';
import { IndexDayRef } from './index-day.ts';
import { EXPIRY_TAG_DESCRIPTION, findChain, selectChain } from './inputs.ts';
import { MarketStateEnum } from './market-status.ts';
import { MethodologyRef } from './option-quote.ts';
import { ConventionsInput, resolveConventions } from './pricing-inputs.ts';
import { snapshotStream } from './snapshot-stream.ts';

/** iv30 of the snapshot the chain belongs to (the chain alone when that snapshot has been replaced). */
function iv30Of(ctx: GraphQLContext, view: ChainView): number | null {
  const snapshot = ctx.store.getIndex(view.chain.index);
  const points =
    snapshot !== undefined && snapshot.seq === view.seq
      ? snapshot.termStructure.map((p) => ({ timeToExpiryYears: p.timeToExpiryYears, iv: p.atmIv ?? Number.NaN }))
      : [{ timeToExpiryYears: view.chain.timeToExpiryYears, iv: view.chain.summary.atmIv ?? Number.NaN }];
  return constantMaturityIv(points, IV30_YEARS);
}

export interface ChainView {
  readonly chain: ChainSnapshot;
  readonly seq: number;
  readonly market: SnapshotMarket;
}

const DataQualityRef = builder.objectRef<DataQuality>('DataQuality').implement({
  description: 'How trustworthy a chain is, and why (docs/analytics.md gives the formula).',
  fields: (t) => ({
    score: t.float({ description: '1 − weighted issues / contract slots, in [0, 1].', resolve: (q) => q.score }),
    contractSlots: t.int({ description: 'Two per strike.', resolve: (q) => q.contractSlots }),
    missingQuotes: t.int({ resolve: (q) => q.missingQuotes }),
    staleQuotes: t.int({ resolve: (q) => q.staleQuotes }),
    crossedQuotes: t.int({ resolve: (q) => q.crossedQuotes }),
    ivFailures: t.int({ resolve: (q) => q.ivFailures }),
    parityViolations: t.int({ resolve: (q) => q.parityViolations }),
  }),
});

const RiskBandRef = builder.objectRef<RiskBand>('RiskBand').implement({
  description:
    'Open interest turned into delta and vega notionals over one band of strike distance from the forward (K/F − 1, percent).',
  fields: (t) => ({
    fromPercent: t.exposeFloat('fromPercent', { nullable: true, description: 'Inclusive; null for the lowest band.' }),
    toPercent: t.exposeFloat('toPercent', { nullable: true, description: 'Exclusive; null for the highest band.' }),
    strikes: t.exposeInt('strikes'),
    callOi: t.exposeFloat('callOi', { description: 'Units.' }),
    putOi: t.exposeFloat('putOi', { description: 'Units.' }),
    callDeltaNotional: t.exposeFloat('callDeltaNotional', {
      description: 'Σ delta × OI × spot over the calls: the index exposure their holders carry, rupees.',
    }),
    putDeltaNotional: t.exposeFloat('putDeltaNotional', { description: 'The same over the puts (negative).' }),
    deltaNotional: t.exposeFloat('deltaNotional', { description: 'callDeltaNotional + putDeltaNotional.' }),
    callVegaNotional: t.exposeFloat('callVegaNotional', { description: 'Σ vega × OI: rupees per vol point.' }),
    putVegaNotional: t.exposeFloat('putVegaNotional'),
    vegaNotional: t.exposeFloat('vegaNotional'),
  }),
});

export const OverviewRef = builder.objectRef<ChainView>('Overview').implement({
  description: 'Chain-level analytics of one index and expiry at one snapshot.',
  fields: (t) => ({
    index: t.field({ type: IndexSymbolEnum, resolve: (v) => v.chain.index }),
    expiry: t.field({ type: 'Date', resolve: (v) => v.chain.expiry }),
    expiryKind: t.field({ type: ExpiryKindEnum, resolve: (v) => v.chain.expiryKind }),
    day: t.field({
      type: IndexDayRef,
      nullable: true,
      description: "The index's day at this snapshot; null where the provider does not report it.",
      resolve: (v) => v.chain.day,
    }),
    timestamp: t.field({
      type: 'DateTime',
      description: 'When the market data was observed.',
      resolve: (v) => v.chain.observedAt,
    }),
    seq: t.int({
      description: 'Snapshot sequence number of the index; consecutive values mean nothing was missed.',
      resolve: (v) => v.seq,
    }),
    spot: t.float({ resolve: (v) => v.chain.spot }),
    marketState: t.field({
      type: MarketStateEnum,
      description:
        'The market when the data was observed: OPEN or SPECIAL_SESSION for a live snapshot; CLOSED or HOLIDAY for ' +
        "a closing snapshot (the session's close, served until the next session).",
      resolve: (v) => v.market.state,
    }),
    tradingDay: t.field({
      type: 'Date',
      description: 'The session the data belongs to: the current one, else the last that closed.',
      resolve: (v) => v.market.tradingDay,
    }),
    timeToExpiryYears: t.float({ resolve: (v) => v.chain.timeToExpiryYears }),
    atmStrike: t.float({
      description: 'Listed strike nearest the forward.',
      resolve: (v) => v.chain.summary.atmStrike,
    }),
    atmIv: t.float({
      nullable: true,
      description: 'Mean of the ATM call and put IVs, decimal.',
      resolve: (v) => v.chain.summary.atmIv,
    }),
    pcrOi: t.float({
      nullable: true,
      description: 'Σ put OI / Σ call OI over the collected strikes.',
      resolve: (v) => v.chain.summary.pcrOi,
    }),
    pcrVolume: t.float({
      nullable: true,
      description: 'Σ put volume / Σ call volume.',
      resolve: (v) => v.chain.summary.pcrVolume,
    }),
    maxPainStrike: t.float({
      nullable: true,
      description: 'Strike minimising the total payout to option holders at expiry.',
      resolve: (v) => v.chain.summary.maxPainStrike,
    }),
    riskBands: t.field({
      type: [RiskBandRef],
      description: `Delta and vega notionals of the chain's open interest by moneyness band: K/F − 1 split at ${RISK_BAND_EDGES_PERCENT.join(', ')} %, lowest first (holders' side; Greeks of contracts whose IV did not solve count as 0).`,
      resolve: (v) =>
        riskBands(
          v.chain.strikes.map((row) => ({
            strike: row.strike,
            call:
              row.call === null
                ? null
                : {
                    oi: row.call.quote.oi,
                    delta: row.call.analytics.delta,
                    vegaPerVolPoint: row.call.analytics.vegaPerVolPoint,
                  },
            put:
              row.put === null
                ? null
                : {
                    oi: row.put.quote.oi,
                    delta: row.put.analytics.delta,
                    vegaPerVolPoint: row.put.analytics.vegaPerVolPoint,
                  },
          })),
          v.chain.methodology.forward,
          // Delta is per point of the model's underlying: the spot under Black-Scholes, the forward under Black-76.
          v.chain.methodology.model === 'BLACK_76' ? v.chain.methodology.forward : v.chain.spot,
        ),
    }),
    totalCallOi: t.float({ description: 'Units.', resolve: (v) => v.chain.summary.totalCallOi }),
    totalPutOi: t.float({ description: 'Units.', resolve: (v) => v.chain.summary.totalPutOi }),
    totalCallVolume: t.float({ description: 'Units.', resolve: (v) => v.chain.summary.totalCallVolume }),
    totalPutVolume: t.float({ description: 'Units.', resolve: (v) => v.chain.summary.totalPutVolume }),
    ivSolvedCount: t.int({
      description: 'Contracts whose IV was solved.',
      resolve: (v) => v.chain.summary.ivSolvedCount,
    }),
    contractCount: t.int({
      description: 'Contracts in the collected window.',
      resolve: (v) => v.chain.summary.contractCount,
    }),
    atmStraddle: t.float({
      nullable: true,
      description: 'ATM call + ATM put premium (mid, else last): the market-implied move to expiry.',
      resolve: (v) => v.chain.summary.atmStraddle,
    }),
    expectedMove: t.float({
      nullable: true,
      description: 'One standard deviation of the forward to expiry, F·atmIv·√T, index points.',
      resolve: (v) => v.chain.summary.expectedMove,
    }),
    pcrPremium: t.float({
      nullable: true,
      description: 'Σ put volume × premium / Σ call volume × premium (traded value).',
      resolve: (v) => v.chain.summary.pcrPremium,
    }),
    pcrOiChange: t.float({
      nullable: true,
      description: "Σ put OI change / Σ call OI change since the day's first snapshot.",
      resolve: (v) => v.chain.summary.pcrOiChange,
    }),
    supportStrike: t.float({
      nullable: true,
      description: 'Strike with the largest put OI.',
      resolve: (v) => v.chain.summary.supportStrike,
    }),
    resistanceStrike: t.float({
      nullable: true,
      description: 'Strike with the largest call OI.',
      resolve: (v) => v.chain.summary.resistanceStrike,
    }),
    iv25DeltaCall: t.float({ nullable: true, resolve: (v) => v.chain.summary.iv25DeltaCall }),
    iv25DeltaPut: t.float({ nullable: true, resolve: (v) => v.chain.summary.iv25DeltaPut }),
    riskReversal25Delta: t.float({
      nullable: true,
      description: 'iv25DeltaCall − iv25DeltaPut (IVs interpolated in delta along the OTM smile).',
      resolve: (v) => v.chain.summary.riskReversal25Delta,
    }),
    butterfly25Delta: t.float({
      nullable: true,
      description: '(iv25DeltaCall + iv25DeltaPut)/2 − atmIv.',
      resolve: (v) => v.chain.summary.butterfly25Delta,
    }),
    totalGammaExposure: t.float({
      description: 'Σ per-strike gamma exposure (calls +, puts −), rupee delta change per 1 % move.',
      resolve: (v) => v.chain.summary.totalGammaExposure,
    }),
    gammaFlipLevel: t.float({
      nullable: true,
      description: 'Underlying level nearest the current one where total gamma exposure changes sign (±10 % searched).',
      resolve: (v) => v.chain.summary.gammaFlipLevel,
    }),
    sentimentScore: t.float({
      description:
        'In [−1, 1], positive bullish: PCR, OI-change tilt, 25-delta skew and max-pain pull (docs/analytics.md).',
      resolve: (v) => v.chain.summary.sentimentScore,
    }),
    dataQuality: t.field({ type: DataQualityRef, resolve: (v) => v.chain.summary.dataQuality }),
    iv30: t.float({
      nullable: true,
      description:
        'ATM IV at a constant 30-day maturity, interpolated in total variance across the expiries of the snapshot (decimal).',
      resolve: (v, _args, ctx) => iv30Of(ctx, v),
    }),
    ivRank: t.float({
      nullable: true,
      description:
        'Where iv30 sits between the lowest and highest daily closing iv30 of the stored days of the past year, in [0, 1] (0 = at the low). Null without stored days or range; `ivHistoryDays` says how many days it used.',
      resolve: async (v, _args, ctx) => {
        const current = iv30Of(ctx, v);
        return current === null ? null : ivRank(current, await ivHistory(ctx, v.chain.index, v.chain.observedAt));
      },
    }),
    ivPercentile: t.float({
      nullable: true,
      description:
        'Share of the stored days of the past year whose closing iv30 was below the current iv30, in [0, 1].',
      resolve: async (v, _args, ctx) => {
        const current = iv30Of(ctx, v);
        return current === null ? null : ivPercentile(current, await ivHistory(ctx, v.chain.index, v.chain.observedAt));
      },
    }),
    ivHistoryDays: t.int({
      description:
        'Stored days (before today, within a year) with a closing iv30: the base of ivRank and ivPercentile.',
      resolve: async (v, _args, ctx) => (await ivHistory(ctx, v.chain.index, v.chain.observedAt)).length,
    }),
    methodology: t.field({ type: MethodologyRef, resolve: (v) => v.chain.methodology }),
  }),
});
addExpiryTagFields(OverviewRef);

export function toChainView(snapshot: IndexSnapshot, chain: ChainSnapshot): ChainView {
  return { chain, seq: snapshot.seq, market: snapshot.market };
}

builder.queryField('overview', (t) =>
  t.field({
    type: OverviewRef,
    nullable: true,
    description: 'Analytics of one expiry (null: nearest). Null until the first collection of the index.',
    args: {
      index: t.arg({ type: IndexSymbolEnum, required: true }),
      expiry: t.arg({ type: 'Date', required: false }),
      expiryTag: t.arg({ type: ExpiryTagEnum, required: false, description: EXPIRY_TAG_DESCRIPTION }),
      conventions: t.arg({ type: ConventionsInput, required: false }),
      maxAgeSeconds: t.arg.int({ required: false, description: MAX_AGE_DESCRIPTION }),
    },
    resolve: (_root, args, ctx) => {
      const conventions = args.conventions ? resolveConventions(ctx.analysis.conventions, args.conventions) : null;
      const chain = findChain(ctx, args.index, args.expiry, args.expiryTag);
      if (chain === undefined) {
        return null;
      }
      requireFresh(ctx, args.index, chain.observedAt, args.maxAgeSeconds);
      const analysed = conventions === null ? chain : reanalyzeChain(chain, conventions, undefined, ctx.analysis);
      return toChainView(ctx.store.getIndex(args.index)!, analysed);
    },
  }),
);

builder.subscriptionField('overviewUpdated', (t) =>
  t.field({
    type: OverviewRef,
    description: 'The current overview at once, then one per collection cycle of the index.',
    args: {
      index: t.arg({ type: IndexSymbolEnum, required: true }),
      expiry: t.arg({ type: 'Date', required: false }),
      expiryTag: t.arg({ type: ExpiryTagEnum, required: false, description: EXPIRY_TAG_DESCRIPTION }),
    },
    subscribe: (_root, args, ctx) => {
      findChain(ctx, args.index, args.expiry, args.expiryTag);
      return snapshotStream(ctx, args.index);
    },
    // Arguments were validated once in `subscribe`; each event only selects its chain.
    resolve: (snapshot: IndexSnapshot, args) =>
      toChainView(snapshot, selectChain(snapshot.chains, args.index, args.expiry ?? null, args.expiryTag ?? null)),
  }),
);
