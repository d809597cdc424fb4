import { SEGMENTS, segmentOf } from '../domain/calendar/calendar-data.ts';
import type { MarketStatus } from '../domain/calendar/exchange-calendar.ts';
import { INDEX_SPECS } from '../domain/indices.ts';
import type { MarketClockMode } from '../domain/market-clock.ts';
import { builder } from './builder.ts';
import { IndexSymbolEnum } from './enums.ts';
import { IndexRef } from './index-info.ts';
import { requireConfiguredIndex } from './inputs.ts';
import { ServerInfoRef } from './server-info.ts';
import { startWith } from './snapshot-stream.ts';

export const MarketStateEnum = builder.enumType('MarketState', {
  description: "Where an exchange segment's session stands (IST, from the exchange calendar or the simulated clock).",
  values: {
    PRE_OPEN: { description: 'Pre-open call auction (futures only on F&O; options trade from sessionOpensAt).' },
    OPEN: { description: 'Regular session in progress.' },
    CLOSED: { description: 'Outside a session on a day that is no holiday (night, weekend, before the pre-open).' },
    HOLIDAY: { description: 'A listed trading holiday (holidayName says which).' },
    SPECIAL_SESSION: { description: 'A session on a day without a regular one: Budget day, Muhurat trading.' },
  } as const,
});

const ExchangeSegmentEnum = builder.enumType('ExchangeSegment', {
  values: {
    NSE_FO: { description: 'NSE equity derivatives (NFO): NIFTY, BANKNIFTY, FINNIFTY, MIDCPNIFTY.' },
    BSE_FO: { description: 'BSE equity derivatives (BFO): SENSEX.' },
  } as const,
});

const MarketClockEnum = builder.enumType('MarketClock', {
  values: {
    EXCHANGE: { description: "The exchanges' calendar (Kite, or the simulated market with G6_SIM_CLOCK=exchange)." },
    SIMULATED_SESSION: {
      description: "The simulated market's own clock: one session a day from 09:15 IST to the next, open at any hour.",
    },
  } as const,
});

interface MarketStatusView {
  readonly status: MarketStatus;
  readonly clock: MarketClockMode;
}

const MarketStatusRef = builder.objectRef<MarketStatusView>('MarketStatus').implement({
  description: 'The market session of one exchange segment at an instant.',
  fields: (t) => ({
    segment: t.field({ type: ExchangeSegmentEnum, resolve: (v) => v.status.segment }),
    exchange: t.string({
      description: 'NSE or BSE.',
      resolve: (v) => (v.status.segment === 'BSE_FO' ? 'BSE' : 'NSE'),
    }),
    state: t.field({ type: MarketStateEnum, resolve: (v) => v.status.state }),
    asOf: t.field({ type: 'DateTime', description: 'The instant described.', resolve: (v) => v.status.at }),
    tradingDay: t.field({
      type: 'Date',
      description: 'The session prices belong to now: the current one, else the last that closed.',
      resolve: (v) => v.status.tradingDay,
    }),
    sessionOpensAt: t.field({
      type: 'DateTime',
      description: 'Open of the session in progress (PRE_OPEN, OPEN, SPECIAL_SESSION), else of the next one.',
      resolve: (v) => v.status.session.opensAt,
    }),
    sessionClosesAt: t.field({
      type: 'DateTime',
      description: 'Close of that same session.',
      resolve: (v) => v.status.session.closesAt,
    }),
    preOpenAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: "Start of that session's pre-open auction; null when it has none.",
      resolve: (v) => v.status.session.preOpenAt,
    }),
    nextOpenAt: t.field({
      type: 'DateTime',
      description: "The next open after now: this session's when it has not opened yet, else the following one's.",
      resolve: (v) => v.status.nextOpenAt,
    }),
    lastCloseAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'The latest session close at or before now.',
      resolve: (v) => v.status.lastCloseAt,
    }),
    holidayName: t.string({
      nullable: true,
      description: "Today's trading holiday (IST date), if it is one.",
      resolve: (v) => v.status.holidayName,
    }),
    specialSessionName: t.string({
      nullable: true,
      description: 'Name of the special session in progress or next (Budget day, Muhurat trading).',
      resolve: (v) => v.status.session.specialName,
    }),
    clock: t.field({ type: MarketClockEnum, resolve: (v) => v.clock }),
    calendarKnown: t.boolean({
      description: "False when the year is not in G6's calendar (holidays unpublished): weekdays count as sessions.",
      resolve: (v) => v.status.calendarKnown,
    }),
  }),
});

builder.objectField(IndexRef, 'marketStatus', (t) =>
  t.field({
    type: MarketStatusRef,
    description: "The session of this index's exchange now.",
    resolve: (spec, _args, ctx) => {
      const segment = segmentOf(spec);
      return { status: ctx.marketClock.status(segment, ctx.now()), clock: ctx.marketClock.mode };
    },
  }),
);

builder.objectField(ServerInfoRef, 'marketStatus', (t) =>
  t.field({
    type: [MarketStatusRef],
    description: 'The session now of each exchange segment the collected indices trade on.',
    resolve: (_info, _args, ctx) => {
      const segments = new Set(ctx.indices.map((symbol) => segmentOf(INDEX_SPECS[symbol])));
      return SEGMENTS.filter((s) => segments.has(s)).map((segment) => ({
        status: ctx.marketClock.status(segment, ctx.now()),
        clock: ctx.marketClock.mode,
      }));
    },
  }),
);

builder.subscriptionField('marketStatusChanged', (t) =>
  t.field({
    type: MarketStatusRef,
    description: "The index's market status at once, then at every change (pre-open, open, close, holiday).",
    args: { index: t.arg({ type: IndexSymbolEnum, required: true }) },
    subscribe: (_root, args, ctx) => {
      requireConfiguredIndex(ctx, args.index);
      const segment = segmentOf(INDEX_SPECS[args.index]);
      const live = ctx.marketStatus.subscribe(segment);
      return startWith<MarketStatus>(ctx.marketClock.status(segment, ctx.now()), live);
    },
    resolve: (status: MarketStatus, _args, ctx) => ({ status, clock: ctx.marketClock.mode }),
  }),
);
