import type { AnalyzedStrike, ChainSnapshot, IndexSnapshot, SnapshotMarket } from '../domain/snapshot.ts';
import { builder } from './builder.ts';
import { reanalyzeChain } from './chain-reanalysis.ts';
import { ExpiryKindEnum, ExpiryTagEnum, IndexSymbolEnum } from './enums.ts';
import { addExpiryTagFields } from './expiry-tag-fields.ts';
import { isStale, MAX_AGE_DESCRIPTION, requireFresh } from './freshness.ts';
import { IndexDayRef } from './index-day.ts';
import {
  badUserInput,
  EXPIRY_TAG_DESCRIPTION,
  findChain,
  requireOffset,
  requireStrikeWindow,
  selectChain,
} from './inputs.ts';
import { MethodologyRef, StrikeRowRef } from './option-quote.ts';
import { OverviewRef } from './overview.ts';
import { ConventionsInput, resolveConventions, resolveScenario, ScenarioInput } from './pricing-inputs.ts';
import { snapshotStream } from './snapshot-stream.ts';

interface OptionChainView {
  readonly chain: ChainSnapshot;
  readonly seq: number;
  readonly market: SnapshotMarket;
  readonly strikesAroundAtm: number | null;
  readonly offsets: readonly number[] | null;
}

const OFFSETS_DESCRIPTION =
  'Only the rows at these offsets from ATM (0 = ATM, −1 = the next strike down, +1 the next up; −500 to 500, at most 100 of them), in ascending strike order; not with strikesAroundAtm.';

/** Offsets asked for, distinct; out of range, too many, or given with strikesAroundAtm is BAD_USER_INPUT. */
export function requireOffsets(
  offsets: readonly number[] | null | undefined,
  strikesAroundAtm: number | null,
): readonly number[] | null {
  if (offsets == null) {
    return null;
  }
  if (strikesAroundAtm !== null) {
    throw badUserInput('give strikesAroundAtm or offsets, not both', 'offsets');
  }
  if (offsets.length > 100) {
    throw badUserInput(`offsets takes at most 100 values, got ${offsets.length}`, 'offsets');
  }
  for (const offset of offsets) {
    requireOffset(offset, 'offsets');
  }
  return [...new Set(offsets)];
}

/** The ATM row and `n` rows each side of it (fewer at the edges of the listing). */
export function strikesAround(chain: ChainSnapshot, n: number | null): readonly AnalyzedStrike[] {
  if (n === null) {
    return chain.strikes;
  }
  const at = chain.strikes.findIndex((s) => s.strike === chain.summary.atmStrike);
  return chain.strikes.slice(Math.max(0, at - n), at + n + 1);
}

export const OptionChainRef = builder.objectRef<OptionChainView>('OptionChain').implement({
  description: 'The option chain of one index and expiry at one snapshot, with IV and Greeks per contract.',
  fields: (t) => ({
    index: t.field({ type: IndexSymbolEnum, resolve: (v) => v.chain.index }),
    expiry: t.field({ type: 'Date', resolve: (v) => v.chain.expiry }),
    expiryKind: t.field({ type: ExpiryKindEnum, resolve: (v) => v.chain.expiryKind }),
    timestamp: t.field({ type: 'DateTime', resolve: (v) => v.chain.observedAt }),
    seq: t.int({ resolve: (v) => v.seq }),
    stale: t.boolean({
      description:
        'True when this is the last snapshot kept while the provider cannot deliver (e.g. an expired Kite token) or when it is older than the freshness limit.',
      resolve: (v, _args, ctx) => isStale(ctx, v.chain.index, v.chain.observedAt),
    }),
    spot: t.float({ resolve: (v) => v.chain.spot }),
    timeToExpiryYears: t.float({
      description:
        "To the expiry date's cut-off (15:30 IST; NSE 15:40 from 3 Aug 2026), in the methodology's time basis.",
      resolve: (v) => v.chain.timeToExpiryYears,
    }),
    overview: t.field({
      type: OverviewRef,
      description: 'The chain-level analytics of this same chain (and conventions).',
      resolve: (v) => ({ chain: v.chain, seq: v.seq, market: v.market }),
    }),
    atmStrike: t.float({ resolve: (v) => v.chain.summary.atmStrike }),
    day: t.field({
      type: IndexDayRef,
      nullable: true,
      description: "The index's day at this snapshot; null where the provider does not report it.",
      resolve: (v) => v.chain.day,
    }),
    methodology: t.field({ type: MethodologyRef, resolve: (v) => v.chain.methodology }),
    strikes: t.field({
      type: [StrikeRowRef],
      description: 'Ascending by strike.',
      resolve: (v) =>
        v.offsets === null
          ? strikesAround(v.chain, v.strikesAroundAtm)
          : v.chain.strikes.filter((row) => v.offsets!.includes(row.offset)),
    }),
  }),
});
addExpiryTagFields(OptionChainRef);

builder.queryField('optionChain', (t) =>
  t.field({
    type: OptionChainRef,
    nullable: true,
    description: 'Null until the first collection of the index.',
    args: {
      index: t.arg({ type: IndexSymbolEnum, required: true }),
      expiry: t.arg({ type: 'Date', required: false, description: 'Null: the nearest open expiry.' }),
      expiryTag: t.arg({ type: ExpiryTagEnum, required: false, description: EXPIRY_TAG_DESCRIPTION }),
      strikesAroundAtm: t.arg.int({
        required: false,
        description: 'Rows each side of the ATM strike (0 to 500); null: every collected strike.',
      }),
      offsets: t.arg.intList({ required: false, description: OFFSETS_DESCRIPTION }),
      conventions: t.arg({ type: ConventionsInput, required: false }),
      scenario: t.arg({ type: ScenarioInput, required: false }),
      maxAgeSeconds: t.arg.int({ required: false, description: MAX_AGE_DESCRIPTION }),
    },
    resolve: (_root, args, ctx) => {
      const strikesAroundAtm = requireStrikeWindow(args.strikesAroundAtm);
      const offsets = requireOffsets(args.offsets, strikesAroundAtm);
      const conventions = args.conventions ? resolveConventions(ctx.analysis.conventions, args.conventions) : null;
      const scenario = args.scenario ? resolveScenario(args.scenario) : undefined;
      const stored = findChain(ctx, args.index, args.expiry, args.expiryTag);
      if (stored === undefined) {
        return null;
      }
      requireFresh(ctx, args.index, stored.observedAt, args.maxAgeSeconds);
      const chain =
        conventions === null && scenario === undefined
          ? stored
          : reanalyzeChain(stored, conventions ?? stored.methodology, scenario, ctx.analysis);
      const snapshot = ctx.store.getIndex(args.index)!;
      return { chain, seq: snapshot.seq, market: snapshot.market, strikesAroundAtm, offsets };
    },
  }),
);

builder.subscriptionField('optionChainUpdated', (t) =>
  t.field({
    type: OptionChainRef,
    description: 'The current chain at once, then one per collection cycle of the index.',
    args: {
      index: t.arg({ type: IndexSymbolEnum, required: true }),
      expiry: t.arg({ type: 'Date', required: false }),
      expiryTag: t.arg({ type: ExpiryTagEnum, required: false, description: EXPIRY_TAG_DESCRIPTION }),
      strikesAroundAtm: t.arg.int({ required: false }),
      offsets: t.arg.intList({ required: false, description: OFFSETS_DESCRIPTION }),
    },
    subscribe: (_root, args, ctx) => {
      requireOffsets(args.offsets, requireStrikeWindow(args.strikesAroundAtm));
      findChain(ctx, args.index, args.expiry, args.expiryTag);
      return snapshotStream(ctx, args.index);
    },
    // Arguments were validated once in `subscribe`; each event only selects its chain.
    resolve: (snapshot: IndexSnapshot, args) => ({
      chain: selectChain(snapshot.chains, args.index, args.expiry ?? null, args.expiryTag ?? null),
      seq: snapshot.seq,
      market: snapshot.market,
      strikesAroundAtm: args.strikesAroundAtm ?? null,
      offsets: args.offsets ?? null,
    }),
  }),
);
