import { GraphQLError } from 'graphql';
import {
  MIN_DAYS_FOR_Z,
  PROFILE_METRICS,
  type ProfileBucket,
  type ProfileMetric,
  stdDevOf,
  type WeekdayProfileState,
} from '../analytics/weekday-profile.ts';
import { ERROR_CODES } from '../domain/errors.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import type { ProfileStore } from '../history/profile-store.ts';
import { WEEKDAYS } from '../history/profile-store.ts';
import { builder } from './builder.ts';
import type { GraphQLContext } from './context.ts';
import { ExpiryTagEnum, IndexSymbolEnum } from './enums.ts';
import { requireConfiguredIndex, requireOffset } from './inputs.ts';

export const WeekdayEnum = builder.enumType('Weekday', { values: WEEKDAYS });

const METRIC_DESCRIPTIONS: Record<ProfileMetric, string> = {
  tp: 'the straddle premium (CE + PE last prices)',
  avgTp: 'the VWAP straddle (CE + PE average traded prices)',
  ceIv: "the call's implied volatility (decimal)",
  peIv: "the put's implied volatility (decimal)",
  oi: 'CE + PE open interest (units)',
  volume: 'CE + PE traded volume today (units)',
};

const formatSecond = (second: number) =>
  [Math.floor(second / 3600), Math.floor((second % 3600) / 60), second % 60]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');

const ProfilePointRef = builder.objectRef<ProfileBucket>('WeekdayProfilePoint').implement({
  description:
    'One time-of-day bucket of a weekday profile: over the stored days of that weekday, the mean, sample standard deviation and EMA of each figure at its last snapshot in the bucket.',
  fields: (t) => {
    const fields: Record<string, unknown> = {
      timeOfDay: t.string({ description: 'Bucket start, IST, HH:MM:SS.', resolve: (b) => formatSecond(b.startSecond) }),
      secondOfDay: t.int({ description: 'Bucket start, seconds since IST midnight.', resolve: (b) => b.startSecond }),
      days: t.int({ description: 'Stored days with an observation in this bucket.', resolve: (b) => b.days }),
    };
    for (const metric of PROFILE_METRICS) {
      fields[`${metric}Mean`] = t.float({
        nullable: true,
        description: `Mean of ${METRIC_DESCRIPTIONS[metric]}.`,
        resolve: (b) => b.stats[metric]?.mean ?? null,
      });
      fields[`${metric}StdDev`] = t.float({
        nullable: true,
        description: `Sample standard deviation of ${METRIC_DESCRIPTIONS[metric]}; null below two days.`,
        resolve: (b) => {
          const s = b.stats[metric];
          return s === undefined ? null : stdDevOf(s);
        },
      });
      fields[`${metric}Ema`] = t.float({
        nullable: true,
        description: `EMA over the days, oldest first, of ${METRIC_DESCRIPTIONS[metric]}.`,
        resolve: (b) => b.stats[metric]?.ema ?? null,
      });
    }
    return fields as never;
  },
});

interface ProfileView {
  readonly index: IndexSymbol;
  readonly tag: string;
  readonly offset: number;
  readonly weekday: string;
  readonly profile: WeekdayProfileState;
}

const WeekdayProfileRef = builder.objectRef<ProfileView>('WeekdayProfile').implement({
  description: `A weekday profile: the straddle at one offset from ATM of one expiry tag, by time of day, over the stored days of one weekday. Built at each session's close (and by \`g6 profiles rebuild\`); a z-score needs ${MIN_DAYS_FOR_Z} days.`,
  fields: (t) => ({
    index: t.field({ type: IndexSymbolEnum, resolve: (v) => v.index }),
    expiryTag: t.field({ type: ExpiryTagEnum, resolve: (v) => v.tag as never }),
    offset: t.int({ resolve: (v) => v.offset }),
    weekday: t.field({ type: WeekdayEnum, resolve: (v) => v.weekday as never }),
    bucketSeconds: t.int({ resolve: (v) => v.profile.bucketSeconds }),
    alpha: t.float({ description: 'EMA weight of the newest day.', resolve: (v) => v.profile.alpha }),
    days: t.field({
      type: ['Date'],
      description: 'The stored days folded in, oldest first.',
      resolve: (v) => v.profile.days.map((d) => `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`),
    }),
    points: t.field({
      type: [ProfilePointRef],
      description: 'By time of day.',
      resolve: (v) => [...v.profile.buckets.values()].sort((a, b) => a.startSecond - b.startSecond),
    }),
  }),
});

export function requireProfiles(ctx: GraphQLContext): ProfileStore {
  if (ctx.profiles == null) {
    throw new GraphQLError(
      ctx.historyUnavailableReason ??
        'weekday profiles are built from the CSV store, which this server does not keep (G6_ENABLE_CSV=false)',
      { extensions: { code: ERROR_CODES.HISTORY_UNAVAILABLE } },
    );
  }
  return ctx.profiles;
}

builder.queryField('weekdayProfile', (t) =>
  t.field({
    type: WeekdayProfileRef,
    nullable: true,
    description:
      'The weekday profile of one index, expiry tag and offset from ATM: null until a stored day of that weekday fed it.',
    args: {
      index: t.arg({ type: IndexSymbolEnum, required: true }),
      expiryTag: t.arg({ type: ExpiryTagEnum, required: true }),
      offset: t.arg.int({ defaultValue: 0 }),
      weekday: t.arg({ type: WeekdayEnum, required: true }),
    },
    resolve: async (_root, args, ctx) => {
      requireConfiguredIndex(ctx, args.index);
      const offset = requireOffset(args.offset ?? 0, 'offset');
      const store = requireProfiles(ctx);
      const profile = await store.profile(args.index, args.expiryTag, offset, args.weekday);
      return profile === null
        ? null
        : { index: args.index, tag: args.expiryTag, offset, weekday: args.weekday, profile };
    },
  }),
);
