import { type StraddlePoint, straddlePoint } from '../analytics/straddle.ts';
import {
  bucketStartSecond,
  MIN_DAYS_FOR_Z,
  type RunningStat,
  type WeekdayProfileState,
  zScore,
} from '../analytics/weekday-profile.ts';
import type { ExpiryTag } from '../domain/expiry-tags.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import { IST_OFFSET_MS, toIstCompactDate } from '../domain/ist-time.ts';
import type { AnalyzedContract, ChainSnapshot, IndexSnapshot } from '../domain/snapshot.ts';
import { lastPerBucket } from '../history/history-page.ts';
import { weekdayOfDay } from '../history/profile-store.ts';
import { straddleSeries } from '../history/straddle-series.ts';
import { builder } from './builder.ts';
import type { GraphQLContext } from './context.ts';
import { ExpiryTagEnum, IndexSymbolEnum } from './enums.ts';
import { requireHistory, validateTimeRange } from './history.ts';
import {
  badUserInput,
  EXPIRY_TAG_DESCRIPTION,
  findChain,
  requireOffset,
  requireOneExpiry,
  selectChain,
} from './inputs.ts';
import { snapshotStream } from './snapshot-stream.ts';

export const MAX_STRADDLE_RANGE_DAYS = 31;
export const MAX_STRADDLE_POINTS = 20_000;
const MAX_STRADDLE_OFFSETS = 21;

/** The weekday profile's figures at a point's weekday, time-of-day bucket, tag and offset. */
interface ProfileOverlay {
  readonly tp: RunningStat | undefined;
  readonly avgTp: RunningStat | undefined;
}

interface OverlaidPoint extends StraddlePoint {
  readonly overlay: ProfileOverlay | null;
}

/**
 * Each point with its weekday profile (the tag asked for, else the point's own first tag): profiles are
 * read once per series and weekday. Without profiles every overlay is null.
 */
async function withProfiles(
  ctx: GraphQLContext,
  index: IndexSymbol,
  tag: ExpiryTag | null,
  points: readonly StraddlePoint[],
): Promise<OverlaidPoint[]> {
  const store = ctx.profiles ?? null;
  if (store === null) {
    return points.map((p) => ({ ...p, overlay: null }));
  }
  const loaded = new Map<string, Promise<WeekdayProfileState | null>>();
  return Promise.all(
    points.map(async (p) => {
      const seriesTag = tag ?? p.expiryTags[0];
      if (seriesTag === undefined) {
        return { ...p, overlay: null };
      }
      const weekday = weekdayOfDay(toIstCompactDate(p.timestamp));
      const key = `${seriesTag}|${p.offset}|${weekday}`;
      let profile = loaded.get(key);
      if (profile === undefined) {
        profile = store.profile(index, seriesTag, p.offset, weekday);
        loaded.set(key, profile);
      }
      const resolved = await profile;
      const bucket = resolved?.buckets.get(
        bucketStartSecond(p.timestamp.getTime(), resolved.bucketSeconds, IST_OFFSET_MS),
      );
      return {
        ...p,
        overlay: bucket === undefined ? null : { tp: bucket.stats.tp, avgTp: bucket.stats.avgTp },
      };
    }),
  );
}

const StraddlePointRef = builder.objectRef<OverlaidPoint>('StraddlePoint').implement({
  description:
    'The straddle at one offset from ATM at one snapshot: the call and put of the strike at that offset then. `tp` sums the last prices, `avgTp` the average traded prices (the VWAP straddle).',
  fields: (t) => ({
    time: t.field({ type: 'DateTime', resolve: (p) => p.timestamp }),
    expiry: t.field({ type: 'Date', resolve: (p) => p.expiry }),
    strike: t.exposeFloat('strike'),
    offset: t.exposeInt('offset', { description: 'Listed strikes from ATM at this snapshot.' }),
    spot: t.exposeFloat('spot'),
    tp: t.exposeFloat('tp', { nullable: true, description: 'ce + pe; null unless both legs have a last price.' }),
    avgTp: t.exposeFloat('avgTp', {
      nullable: true,
      description: "ceAverage + peAverage: the legs' volume-weighted average traded prices today.",
    }),
    ce: t.exposeFloat('ce', { nullable: true, description: "The call's last price." }),
    pe: t.exposeFloat('pe', { nullable: true, description: "The put's last price." }),
    ceAverage: t.exposeFloat('ceAverage', { nullable: true }),
    peAverage: t.exposeFloat('peAverage', { nullable: true }),
    ceIv: t.exposeFloat('ceIv', { nullable: true, description: 'Decimal.' }),
    peIv: t.exposeFloat('peIv', { nullable: true, description: 'Decimal.' }),
    expiryTags: t.field({ type: [ExpiryTagEnum], resolve: (p) => [...p.expiryTags] }),
    profileMean: t.float({
      nullable: true,
      description:
        "The weekday profile's mean tp at this point's weekday and time of day (same tag and offset); null without one.",
      resolve: (p) => p.overlay?.tp?.mean ?? null,
    }),
    profileEma: t.float({
      nullable: true,
      description: "The profile's EMA of tp.",
      resolve: (p) => p.overlay?.tp?.ema ?? null,
    }),
    zScore: t.float({
      nullable: true,
      description: `(tp − profileMean) / the profile's standard deviation; null below ${MIN_DAYS_FOR_Z} profiled days or with no spread.`,
      resolve: (p) => zScore(p.tp, p.overlay?.tp),
    }),
    avgTpProfileMean: t.float({ nullable: true, resolve: (p) => p.overlay?.avgTp?.mean ?? null }),
    avgTpProfileEma: t.float({ nullable: true, resolve: (p) => p.overlay?.avgTp?.ema ?? null }),
    avgTpZScore: t.float({ nullable: true, resolve: (p) => zScore(p.avgTp, p.overlay?.avgTp) }),
  }),
});

interface StraddleUpdate {
  readonly snapshot: IndexSnapshot;
  readonly chain: ChainSnapshot;
  readonly points: readonly OverlaidPoint[];
}

const StraddleUpdateRef = builder.objectRef<StraddleUpdate>('StraddleUpdate').implement({
  description: 'The straddles at the requested offsets from one snapshot of the index.',
  fields: (t) => ({
    index: t.field({ type: IndexSymbolEnum, resolve: (u) => u.snapshot.index }),
    seq: t.int({ resolve: (u) => u.snapshot.seq }),
    time: t.field({ type: 'DateTime', resolve: (u) => u.snapshot.observedAt }),
    expiry: t.field({ type: 'Date', resolve: (u) => u.chain.expiry }),
    expiryTags: t.field({ type: [ExpiryTagEnum], resolve: (u) => [...u.chain.expiryTags] }),
    spot: t.float({ resolve: (u) => u.snapshot.spot }),
    points: t.field({
      type: [StraddlePointRef],
      description: 'One per requested offset the chain lists, in the order asked.',
      resolve: (u) => [...u.points],
    }),
  }),
});

const leg = (c: AnalyzedContract | null) =>
  c === null ? null : { lastPrice: c.quote.lastPrice, averagePrice: c.quote.averagePrice, iv: c.analytics.iv };

/** The chain's straddles at `offsets`, in the order asked; offsets the chain does not reach are left out. */
export function liveStraddles(chain: ChainSnapshot, offsets: readonly number[]): StraddlePoint[] {
  return offsets.flatMap((offset) => {
    const row = chain.strikes.find((s) => s.offset === offset);
    return row === undefined
      ? []
      : [
          straddlePoint({
            timestamp: chain.observedAt,
            expiry: chain.expiry,
            expiryTags: chain.expiryTags,
            strike: row.strike,
            offset,
            spot: chain.spot,
            call: leg(row.call),
            put: leg(row.put),
          }),
        ];
  });
}

builder.queryField('straddle', (t) =>
  t.field({
    type: [StraddlePointRef],
    description: `The stored straddle series of one index, expiry and offset from ATM, oldest first: at each snapshot, the call + put of the strike at that offset then (so the strike follows ATM). Expiry by \`expiry\` or \`expiryTag\` (default THIS_WEEK, as stored at each snapshot: a rolling series). \`intervalSeconds\` keeps the last snapshot of each interval. At most ${MAX_STRADDLE_RANGE_DAYS} days and ${MAX_STRADDLE_POINTS} points.`,
    args: {
      index: t.arg({ type: IndexSymbolEnum, required: true }),
      expiry: t.arg({ type: 'Date' }),
      expiryTag: t.arg({ type: ExpiryTagEnum, description: EXPIRY_TAG_DESCRIPTION }),
      offset: t.arg.int({ defaultValue: 0, description: 'Listed strikes from ATM: 0 ATM, +1 the next strike up.' }),
      from: t.arg({ type: 'DateTime', required: true }),
      to: t.arg({ type: 'DateTime', required: true }),
      intervalSeconds: t.arg.int(),
    },
    resolve: async (_root, args, ctx) => {
      const loaders = requireHistory(ctx);
      const tag: ExpiryTag | null =
        requireOneExpiry(args.expiry, args.expiryTag) ?? (args.expiry == null ? 'THIS_WEEK' : null);
      const offset = requireOffset(args.offset ?? 0, 'offset');
      const { fromMs, toMs, intervalMs } = validateTimeRange(args, MAX_STRADDLE_RANGE_DAYS);
      const first = toIstCompactDate(args.from);
      const last = toIstCompactDate(args.to);
      const days = (await loaders.source.days(args.index)).filter((d) => d >= first && d <= last);
      const select = { expiry: args.expiry ?? null, tag, offsets: [offset] };
      const rows = (await Promise.all(days.map((day) => loaders.source.offsetRowsDay(args.index, day, select)))).flat();
      const points = straddleSeries(
        rows.filter((r) => r.timestamp.getTime() >= fromMs && r.timestamp.getTime() <= toMs),
      );
      const sampled = lastPerBucket(points, (p) => p.timestamp.getTime(), intervalMs);
      if (sampled.length > MAX_STRADDLE_POINTS) {
        throw badUserInput(
          `${sampled.length} points exceed ${MAX_STRADDLE_POINTS}: narrow the range or raise intervalSeconds`,
          'intervalSeconds',
        );
      }
      return withProfiles(
        ctx,
        args.index,
        tag,
        sampled.map((s) => s.row),
      );
    },
  }),
);

builder.subscriptionField('straddleUpdated', (t) =>
  t.field({
    type: StraddleUpdateRef,
    description:
      'The straddles at `offsets` from ATM (default [0]) of one expiry, at once and then one event per snapshot of the index, all offsets in one event. Expiry by `expiry` or `expiryTag` (default THIS_WEEK, resolved at each snapshot).',
    args: {
      index: t.arg({ type: IndexSymbolEnum, required: true }),
      expiry: t.arg({ type: 'Date' }),
      expiryTag: t.arg({ type: ExpiryTagEnum, description: EXPIRY_TAG_DESCRIPTION }),
      offsets: t.arg.intList({ defaultValue: [0], description: `At most ${MAX_STRADDLE_OFFSETS} offsets.` }),
    },
    subscribe: (_root, args, ctx) => {
      const offsets = args.offsets ?? [0];
      if (offsets.length === 0 || offsets.length > MAX_STRADDLE_OFFSETS) {
        throw badUserInput(`offsets takes 1 to ${MAX_STRADDLE_OFFSETS} values`, 'offsets');
      }
      offsets.forEach((o) => {
        requireOffset(o, 'offsets');
      });
      const tag = requireOneExpiry(args.expiry, args.expiryTag) ?? (args.expiry == null ? 'THIS_WEEK' : null);
      findChain(ctx, args.index, args.expiry, tag);
      return snapshotStream(ctx, args.index);
    },
    resolve: async (snapshot: IndexSnapshot, args, ctx): Promise<StraddleUpdate> => {
      const tag = args.expiryTag ?? (args.expiry == null ? 'THIS_WEEK' : null);
      const chain = selectChain(snapshot.chains, args.index, args.expiry ?? null, tag);
      const points = liveStraddles(chain, [...new Set(args.offsets ?? [0])]);
      return { snapshot, chain, points: await withProfiles(ctx, args.index, tag, points) };
    },
  }),
);
