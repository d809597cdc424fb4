import type { Logger } from 'pino';
import type { ProgressFactory } from '../../cli/progress.ts';
import type { ExpiryKind } from '../../domain/expiry-calendar.ts';
import type { IndexSymbol } from '../../domain/indices.ts';
import type { ExpiryQuotes, IndexMarketData, OptionQuote, StrikeQuotes } from '../../domain/market-data.ts';
import type { ContractRecord, OverviewRecord } from '../../history/csv-history.ts';
import type { MarketDataProvider, ProviderHealth } from '../market-data-provider.ts';

/** What the replay reads: the CSV store's days, overview rows and full contract rows. */
export interface ReplaySource {
  days(index: IndexSymbol): Promise<string[]>;
  overviewDay(index: IndexSymbol, day: string): Promise<readonly OverviewRecord[]>;
  allContractsDay(index: IndexSymbol, day: string): Promise<readonly ContractRecord[]>;
}

export interface ReplayOptions {
  readonly source: ReplaySource;
  readonly indices: readonly IndexSymbol[];
  /** Inclusive IST days, `YYYY-MM-DD`. */
  readonly fromDay: string;
  readonly toDay: string;
  /** Stored time runs this many times faster than wall time. */
  readonly speed: number;
  readonly logger?: Logger;
  readonly onFinished?: (snapshots: number) => void;
  /** Reports snapshots played out of the total. */
  readonly progress?: ProgressFactory;
}

interface Step {
  readonly index: IndexSymbol;
  readonly day: string;
  readonly timeMs: number;
}

/** Rebuilds what a provider returned from the stored rows of one snapshot. */
export function marketDataFromRows(
  index: IndexSymbol,
  observedAt: Date,
  overview: readonly OverviewRecord[],
  contracts: readonly ContractRecord[],
): IndexMarketData {
  const byExpiry = new Map<string, Map<number, { call: OptionQuote | null; put: OptionQuote | null }>>();
  for (const c of contracts) {
    const strikes = byExpiry.get(c.expiry) ?? new Map();
    byExpiry.set(c.expiry, strikes);
    const row = strikes.get(c.strike) ?? { call: null, put: null };
    const quote: OptionQuote = {
      tradingsymbol: c.tradingsymbol,
      instrumentToken: c.instrumentToken,
      lastPrice: c.lastPrice,
      bid: c.bid,
      ask: c.ask,
      bidQuantity: c.bidQuantity,
      askQuantity: c.askQuantity,
      volume: c.volume,
      oi: c.oi,
      averagePrice: c.averagePrice,
      lastTradeTime: c.lastTradeTime,
    };
    strikes.set(c.strike, c.right === 'CE' ? { ...row, call: quote } : { ...row, put: quote });
  }
  const expiries: ExpiryQuotes[] = overview
    .filter((o) => byExpiry.has(o.expiry))
    .map((o) => ({
      expiry: o.expiry,
      kind: (o.expiryKind ?? 'WEEKLY') as ExpiryKind,
      futuresPrice: o.futuresPrice,
      strikes: [...byExpiry.get(o.expiry)!]
        .sort(([a], [b]) => a - b)
        .map(([strike, q]): StrikeQuotes => ({ strike, call: q.call, put: q.put })),
    }))
    .sort((a, b) => a.expiry.localeCompare(b.expiry));
  const first = overview[0];
  const spotDay =
    first?.spotOpen != null && first.spotHigh != null && first.spotLow != null && first.previousClose != null
      ? { open: first.spotOpen, high: first.spotHigh, low: first.spotLow, previousClose: first.previousClose }
      : null;
  return { index, observedAt, spot: contracts[0]?.spot ?? overview[0]!.spot, spotDay, expiries };
}

/**
 * A provider that plays stored CSV days back through the live pipeline: each stored snapshot becomes
 * the index's live data at its own time (scaled by `speed`) and is announced like a tick, so analytics,
 * the store and subscriptions run exactly as they do live. One day of contract rows per index is held
 * at a time.
 */
export function createReplayProvider(options: ReplayOptions): MarketDataProvider & { finished(): Promise<number> } {
  const current = new Map<IndexSymbol, IndexMarketData>();
  const listeners = new Set<(index: IndexSymbol) => void>();
  const loaded = new Map<
    IndexSymbol,
    { day: string; overview: Map<number, OverviewRecord[]>; contracts: Map<number, ContractRecord[]> }
  >();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let played = 0;
  let total = 0;
  let done = false;
  let resolveFinished!: (n: number) => void;
  const finishedPromise = new Promise<number>((resolve) => {
    resolveFinished = resolve;
  });
  const from = options.fromDay.replaceAll('-', '');
  const to = options.toDay.replaceAll('-', '');

  async function dayData(index: IndexSymbol, day: string) {
    const held = loaded.get(index);
    if (held?.day === day) {
      return held;
    }
    const group = <T extends { timestamp: Date }>(rows: readonly T[]) => {
      const map = new Map<number, T[]>();
      for (const row of rows) {
        const t = row.timestamp.getTime();
        const rows = map.get(t);
        if (rows === undefined) {
          map.set(t, [row]);
        } else {
          rows.push(row);
        }
      }
      return map;
    };
    const data = {
      day,
      overview: group(await options.source.overviewDay(index, day)),
      contracts: group(await options.source.allContractsDay(index, day)),
    };
    loaded.set(index, data);
    return data;
  }

  async function play(steps: readonly Step[]): Promise<void> {
    const progress = options.progress?.({ label: 'replay', total: steps.length, unit: 'snapshots' });
    const startedAt = performance.now();
    const t0 = steps[0]?.timeMs ?? 0;
    for (const step of steps) {
      if (stopped) {
        return;
      }
      const dueIn = (step.timeMs - t0) / options.speed - (performance.now() - startedAt);
      if (dueIn > 0) {
        await new Promise<void>((resolve) => {
          timer = setTimeout(resolve, dueIn);
        });
      }
      if (stopped) {
        return;
      }
      const data = await dayData(step.index, step.day);
      const contracts = data.contracts.get(step.timeMs) ?? [];
      const overview = data.overview.get(step.timeMs) ?? [];
      if (contracts.length === 0 || overview.length === 0) {
        continue;
      }
      current.set(step.index, marketDataFromRows(step.index, new Date(step.timeMs), overview, contracts));
      played += 1;
      progress?.update(played, `${step.index} ${step.day}`);
      for (const listener of listeners) {
        listener(step.index);
      }
    }
    done = true;
    progress?.done();
    options.logger?.info({ snapshots: played }, 'replay finished; serving the last replayed snapshots');
    options.onFinished?.(played);
    resolveFinished(played);
  }

  return {
    name: 'replay',
    async start() {
      const steps: Step[] = [];
      for (const index of options.indices) {
        for (const day of await options.source.days(index)) {
          if (day < from || day > to) {
            continue;
          }
          const times = new Set((await options.source.overviewDay(index, day)).map((r) => r.timestamp.getTime()));
          for (const timeMs of times) {
            steps.push({ index, day, timeMs });
          }
        }
      }
      steps.sort((a, b) => a.timeMs - b.timeMs || a.index.localeCompare(b.index));
      total = steps.length;
      if (total === 0) {
        throw new Error(
          `nothing stored to replay between ${options.fromDay} and ${options.toDay} for ${options.indices.join(', ')}`,
        );
      }
      options.logger?.info(
        {
          snapshots: total,
          from: new Date(steps[0]!.timeMs),
          to: new Date(steps.at(-1)!.timeMs),
          speed: options.speed,
        },
        'replay starting',
      );
      void play(steps).catch((error: unknown) => options.logger?.error({ err: error }, 'replay failed'));
    },
    async fetchIndex(index) {
      const data = current.get(index);
      if (data === undefined) {
        throw new Error(`replay has not reached ${index} yet`);
      }
      return data;
    },
    health(): ProviderHealth {
      return { ready: true, problems: done ? [`replay finished after ${played} of ${total} snapshots`] : [] };
    },
    subscribeLive(onChange) {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    liveData: (index) => current.get(index) ?? null,
    finished: () => finishedPromise,
    async close() {
      stopped = true;
      clearTimeout(timer);
      listeners.clear();
    },
  };
}
