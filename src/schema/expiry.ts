import { daysBetween, toIstDateString } from '../domain/ist-time.ts';
import type { AnalyzedContract, AnalyzedStrike, IndexSnapshot } from '../domain/snapshot.ts';
import { builder } from './builder.ts';
import { ExpiryKindEnum, ExpiryTagEnum, IndexSymbolEnum } from './enums.ts';
import { addExpiryTagFields } from './expiry-tag-fields.ts';
import { MAX_AGE_DESCRIPTION, requireFresh } from './freshness.ts';
import { IndexRef } from './index-info.ts';
import {
  badUserInput,
  EXPIRY_TAG_DESCRIPTION,
  findChain,
  MAX_EXPIRY_DETAILS,
  MAX_EXPIRY_STRIKES_AROUND_ATM,
  requireMinimum,
  requireStrikeRange,
  requireStrikeWindow,
  selectChain,
} from './inputs.ts';
import { OptionChainRef, strikesAround } from './option-chain.ts';
import { type ChainView, OverviewRef, toChainView } from './overview.ts';
import { snapshotStream } from './snapshot-stream.ts';
import { SmilePointRef } from './volatility.ts';

const DEFAULT_EXPIRY_DETAILS = 20;

const StrikeRangeInput = builder.inputType('StrikeRangeInput', {
  description: 'Strikes from `min` to `max`, both included, index points.',
  fields: (t) => ({
    min: t.float({ required: true }),
    max: t.float({ required: true }),
  }),
});

/** A leg passes when it meets every minimum given; a strike stays when either of its legs passes. */
function passesMinimums(leg: AnalyzedContract | null, minOi: number | null, minVolume: number | null): boolean {
  return (
    leg !== null && (minOi === null || leg.quote.oi >= minOi) && (minVolume === null || leg.quote.volume >= minVolume)
  );
}

/** An open expiry of an index at one snapshot: the chain's key figures, its analytics, chain and smile. */
export const ExpiryRef = builder.objectRef<ChainView>('Expiry').implement({
  description:
    'One open expiry of an index at the latest snapshot (or at the event, in a subscription): headline figures, ' +
    'its Overview, its option chain (filterable) and its smile, all from the same snapshot.',
  fields: (t) => ({
    date: t.field({ type: 'Date', resolve: (v) => v.chain.expiry }),
    kind: t.field({ type: ExpiryKindEnum, resolve: (v) => v.chain.expiryKind }),
    daysToExpiry: t.int({
      description: "Calendar days from the snapshot's IST date to the expiry date: 0 on expiry day.",
      resolve: (v) => daysBetween(toIstDateString(v.chain.observedAt), v.chain.expiry),
    }),
    timeToExpiryYears: t.float({
      description:
        "To the expiry date's cut-off (15:30 IST; NSE 15:40 from 3 Aug 2026), in the methodology's time basis.",
      resolve: (v) => v.chain.timeToExpiryYears,
    }),
    forward: t.float({
      description: 'The forward of this expiry under the methodology (see Overview.methodology).',
      resolve: (v) => v.chain.methodology.forward,
    }),
    atmStrike: t.float({
      description: 'Listed strike nearest the forward.',
      resolve: (v) => v.chain.summary.atmStrike,
    }),
    atmIv: t.float({
      nullable: true,
      description: 'Mean of the ATM call and put IVs, decimal.',
      resolve: (v) => v.chain.summary.atmIv,
    }),
    overview: t.field({
      type: OverviewRef,
      description: 'The chain-level analytics of this expiry (over every collected strike, whatever `chain` keeps).',
      resolve: (v) => v,
    }),
    chain: t.field({
      type: OptionChainRef,
      description:
        'The option chain, narrowed by a window around ATM (`strikesAroundAtm`) or a strike range (`strikeRange`), ' +
        'not both, and then by liquidity: with `minOi` and/or `minVolume`, a strike stays when its call or its put ' +
        'meets every minimum given. Without arguments: every collected strike. The overview figures stay those of ' +
        'the whole chain.',
      args: {
        strikesAroundAtm: t.arg.int({
          required: false,
          description: `Rows each side of the ATM strike, 0 to ${MAX_EXPIRY_STRIKES_AROUND_ATM}. Not with strikeRange.`,
        }),
        strikeRange: t.arg({
          type: StrikeRangeInput,
          required: false,
          description: 'Only strikes in this inclusive range (min ≤ max). Not with strikesAroundAtm.',
        }),
        minOi: t.arg.float({ required: false, description: 'Least open interest of a leg, units (≥ 0).' }),
        minVolume: t.arg.float({ required: false, description: 'Least traded volume of a leg today, units (≥ 0).' }),
      },
      resolve: (v, args) => {
        if (args.strikesAroundAtm != null && args.strikeRange != null) {
          throw badUserInput('give strikesAroundAtm or strikeRange, not both', 'strikeRange');
        }
        const window = requireStrikeWindow(args.strikesAroundAtm, MAX_EXPIRY_STRIKES_AROUND_ATM);
        const range = requireStrikeRange(args.strikeRange);
        const minOi = requireMinimum(args.minOi, 'minOi');
        const minVolume = requireMinimum(args.minVolume, 'minVolume');
        let strikes: readonly AnalyzedStrike[] = strikesAround(v.chain, window);
        if (range !== null) {
          strikes = strikes.filter((row) => row.strike >= range.min && row.strike <= range.max);
        }
        if (minOi !== null || minVolume !== null) {
          strikes = strikes.filter(
            (row) => passesMinimums(row.call, minOi, minVolume) || passesMinimums(row.put, minOi, minVolume),
          );
        }
        // The chain's rows narrowed; its summary (what Overview reads) is the whole chain's, as documented.
        const chain = strikes === v.chain.strikes ? v.chain : { ...v.chain, strikes };
        return { chain, seq: v.seq, market: v.market, strikesAroundAtm: null, offsets: null };
      },
    }),
    smile: t.field({
      type: [SmilePointRef],
      description: 'Ascending by strike; strikes without a solved IV are left out.',
      resolve: (v) => v.chain.smile,
    }),
  }),
});
addExpiryTagFields(ExpiryRef);

builder.objectField(IndexRef, 'expiry', (t) =>
  t.field({
    type: ExpiryRef,
    nullable: true,
    description:
      'One open expiry: by `date`, by `tag`, or the nearest with `nearest: true` (exactly one of the three, else ' +
      'BAD_USER_INPUT). A date (or tag) that is not open is EXPIRY_NOT_FOUND. Null only before the first snapshot.',
    args: {
      date: t.arg({ type: 'Date', required: false }),
      tag: t.arg({ type: ExpiryTagEnum, required: false }),
      nearest: t.arg.boolean({ required: false }),
      maxAgeSeconds: t.arg.int({ required: false, description: MAX_AGE_DESCRIPTION }),
    },
    resolve: (spec, args, ctx) => {
      const byDate = args.date !== null && args.date !== undefined;
      const byTag = args.tag !== null && args.tag !== undefined;
      if (Number(byDate) + Number(byTag) + Number(args.nearest === true) !== 1) {
        throw badUserInput(
          'give exactly one of date, tag or nearest: true',
          byDate ? (byTag ? 'tag' : 'nearest') : 'date',
        );
      }
      const snapshot = ctx.store.getIndex(spec.symbol);
      if (snapshot === undefined) {
        return null;
      }
      const chain = selectChain(snapshot.chains, spec.symbol, byDate ? args.date! : null, byTag ? args.tag! : null);
      requireFresh(ctx, spec.symbol, chain.observedAt, args.maxAgeSeconds);
      return toChainView(snapshot, chain);
    },
  }),
);

builder.objectField(IndexRef, 'expiryDetails', (t) =>
  t.field({
    type: [ExpiryRef],
    description: `The open expiries at the latest snapshot, nearest first: the first \`first\` (1 to ${MAX_EXPIRY_DETAILS}). Empty before the first snapshot.`,
    args: {
      first: t.arg.int({ required: false, defaultValue: DEFAULT_EXPIRY_DETAILS }),
    },
    resolve: (spec, args, ctx) => {
      const first = args.first ?? DEFAULT_EXPIRY_DETAILS;
      if (!Number.isInteger(first) || first < 1 || first > MAX_EXPIRY_DETAILS) {
        throw badUserInput(`first must be a whole number from 1 to ${MAX_EXPIRY_DETAILS}`, 'first');
      }
      const snapshot = ctx.store.getIndex(spec.symbol);
      return snapshot === undefined ? [] : snapshot.chains.slice(0, first).map((c) => toChainView(snapshot, c));
    },
  }),
);

/**
 * The snapshots of `stream` until one no longer lists `expiry`: that one is still delivered (its event is
 * the EXPIRY_NOT_FOUND error), then the stream ends, so a subscriber is told once instead of at every cycle.
 */
function untilExpiryCloses(
  stream: AsyncIterableIterator<IndexSnapshot>,
  expiry: string,
): AsyncIterableIterator<IndexSnapshot> {
  let closed = false;
  const iterator: AsyncIterableIterator<IndexSnapshot> = {
    async next() {
      if (closed) {
        await stream.return?.();
        return { done: true, value: undefined };
      }
      const result = await stream.next();
      if (!result.done && !result.value.chains.some((c) => c.expiry === expiry)) {
        closed = true;
      }
      return result;
    },
    async return() {
      closed = true;
      await stream.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

builder.subscriptionField('expiryUpdated', (t) =>
  t.field({
    type: ExpiryRef,
    description:
      'The expiry at once (as soon as the index has a snapshot), then one per snapshot of the index (`overview.seq` ' +
      'increases by one per collection). By `expiry` (a date): an expiry that is not open is EXPIRY_NOT_FOUND at ' +
      'subscribe time; when the expiry closes, one EXPIRY_NOT_FOUND event is sent and the subscription completes. ' +
      'By `expiryTag`: each event carries the expiry the tag names at that snapshot, so THIS_WEEK rolls on to the ' +
      'next expiry after a cut-off. Exactly one of the two.',
    args: {
      index: t.arg({ type: IndexSymbolEnum, required: true }),
      expiry: t.arg({ type: 'Date', required: false }),
      expiryTag: t.arg({ type: ExpiryTagEnum, required: false, description: EXPIRY_TAG_DESCRIPTION }),
    },
    subscribe: (_root, args, ctx) => {
      if (args.expiry == null && args.expiryTag == null) {
        throw badUserInput('give expiry or expiryTag', 'expiry');
      }
      findChain(ctx, args.index, args.expiry, args.expiryTag);
      const stream = snapshotStream(ctx, args.index);
      return args.expiry == null ? stream : untilExpiryCloses(stream, args.expiry);
    },
    resolve: (snapshot: IndexSnapshot, args) =>
      toChainView(snapshot, selectChain(snapshot.chains, args.index, args.expiry ?? null, args.expiryTag ?? null)),
  }),
);
