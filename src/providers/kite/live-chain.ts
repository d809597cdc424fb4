import type { IndexSymbol } from '../../domain/indices.ts';
import type { ExpiryQuotes, IndexMarketData, OptionQuote, SpotDay, StrikeQuotes } from '../../domain/market-data.ts';
import { bestLevel, futuresPrice, isCount, ohlcToSpotDay } from './kite-quotes.ts';

type Slot =
  | { readonly kind: 'spot' }
  | { readonly kind: 'future'; readonly expiry: number }
  | { readonly kind: 'option'; readonly expiry: number; readonly strike: number; readonly leg: 'call' | 'put' };

export type TickOutcome = 'applied' | 'unknown' | 'malformed';

/**
 * A ticker packet merged into a contract's quote. Full-mode ticks carry everything; quote- and LTP-mode
 * ticks update what they carry. Returns null for a tick whose numbers are not valid counts or prices.
 */
export function mergeTick(previous: OptionQuote, tick: Record<string, unknown>): OptionQuote | null {
  if (!isCount(tick.last_price)) {
    return null;
  }
  const hasVolume = 'volume_traded' in tick;
  const hasOi = 'oi' in tick;
  const hasDepth = 'depth' in tick;
  // Quote and full mode carry the day's average traded price; LTP mode does not (the last value stays).
  const hasAverage = 'average_traded_price' in tick;
  if (
    (hasVolume && !isCount(tick.volume_traded)) ||
    (hasOi && !isCount(tick.oi)) ||
    (hasAverage && !isCount(tick.average_traded_price))
  ) {
    return null;
  }
  const depth = hasDepth ? (tick.depth as { buy?: unknown; sell?: unknown } | null) : null;
  const bid = hasDepth ? bestLevel(depth?.buy) : undefined;
  const ask = hasDepth ? bestLevel(depth?.sell) : undefined;
  const tradeTime = tick.last_trade_time instanceof Date && !Number.isNaN(tick.last_trade_time.getTime());
  return {
    ...previous,
    lastPrice: tick.last_price > 0 ? tick.last_price : previous.lastPrice,
    ...(bid === undefined ? {} : { bid: bid?.price ?? null, bidQuantity: bid?.quantity ?? 0 }),
    ...(ask === undefined ? {} : { ask: ask?.price ?? null, askQuantity: ask?.quantity ?? 0 }),
    volume: hasVolume ? (tick.volume_traded as number) : previous.volume,
    oi: hasOi ? (tick.oi as number) : previous.oi,
    // Kite sends 0 until the contract's first trade of the day, as in the REST quote.
    averagePrice: hasAverage ? positiveOrNull(tick.average_traded_price as number) : previous.averagePrice,
    lastTradeTime: tradeTime ? (tick.last_trade_time as Date) : previous.lastTradeTime,
  };
}

const positiveOrNull = (value: number): number | null => (value > 0 ? value : null);

/**
 * The index's day after a spot tick. Quote- and full-mode index ticks carry the day's OHLC (zeros where
 * Kite does not know it): a believable one replaces the day. Otherwise the last known day is kept, its
 * range stretched to the new level, so high ≥ spot ≥ low holds between REST snapshots.
 */
export function mergeSpotDay(previous: SpotDay | null, tick: Record<string, unknown>, spot: number): SpotDay | null {
  const reported = 'ohlc' in tick ? ohlcToSpotDay(tick.ohlc) : null;
  const day = reported ?? previous;
  if (day === null) {
    return null;
  }
  return { ...day, high: Math.max(day.high, spot), low: Math.min(day.low, spot) };
}

/**
 * One index's chain as last collected, with ticks merged in since: the live view between REST snapshots.
 * A REST collection replaces it wholesale (`reset`), so a missed tick never outlives the next snapshot.
 */
export class LiveIndexChain {
  readonly index: IndexSymbol;
  #spot: number;
  #spotDay: SpotDay | null;
  readonly #expiries: Array<{ base: ExpiryQuotes; futuresPrice: number | null; strikes: StrikeQuotes[] }>;
  readonly #slots = new Map<number, Slot>();

  constructor(data: IndexMarketData, spotToken: number, futureTokens: ReadonlyMap<string, number>) {
    this.index = data.index;
    this.#spot = data.spot;
    this.#spotDay = data.spotDay;
    this.#slots.set(spotToken, { kind: 'spot' });
    this.#expiries = data.expiries.map((expiry, e) => {
      const futureToken = futureTokens.get(expiry.expiry);
      if (futureToken !== undefined) {
        this.#slots.set(futureToken, { kind: 'future', expiry: e });
      }
      expiry.strikes.forEach((row, s) => {
        if (row.call?.instrumentToken != null) {
          this.#slots.set(row.call.instrumentToken, { kind: 'option', expiry: e, strike: s, leg: 'call' });
        }
        if (row.put?.instrumentToken != null) {
          this.#slots.set(row.put.instrumentToken, { kind: 'option', expiry: e, strike: s, leg: 'put' });
        }
      });
      return { base: expiry, futuresPrice: expiry.futuresPrice ?? null, strikes: [...expiry.strikes] };
    });
  }

  /**
   * Instrument tokens this chain listens to, each with a priority rank: spot and futures 0, options their
   * distance in strikes from the expiry's ATM (so a capped subscription drops the far wings first).
   */
  rankedTokens(): Array<{ token: number; rank: number }> {
    const atmRow = this.#expiries.map((e) => {
      let atm = 0;
      e.strikes.forEach((row, i) => {
        if (Math.abs(row.strike - this.#spot) < Math.abs(e.strikes[atm]!.strike - this.#spot)) {
          atm = i;
        }
      });
      return atm;
    });
    return [...this.#slots].map(([token, slot]) => ({
      token,
      rank: slot.kind === 'option' ? Math.abs(slot.strike - atmRow[slot.expiry]!) : 0,
    }));
  }

  apply(tick: Record<string, unknown>): TickOutcome {
    const token = tick.instrument_token;
    const slot = typeof token === 'number' ? this.#slots.get(token) : undefined;
    if (slot === undefined) {
      return 'unknown';
    }
    if (slot.kind === 'spot' || slot.kind === 'future') {
      if (!(isCount(tick.last_price) && tick.last_price > 0)) {
        return 'malformed';
      }
      if (slot.kind === 'spot') {
        this.#spot = tick.last_price;
        this.#spotDay = mergeSpotDay(this.#spotDay, tick, tick.last_price);
      } else {
        // A futures tick has the quote's shape where it matters: last price and depth.
        this.#expiries[slot.expiry]!.futuresPrice = futuresPrice(tick);
      }
      return 'applied';
    }
    const entry = this.#expiries[slot.expiry]!;
    const row = entry.strikes[slot.strike]!;
    const previous = row[slot.leg];
    if (previous === null) {
      return 'unknown';
    }
    const merged = mergeTick(previous, tick);
    if (merged === null) {
      return 'malformed';
    }
    entry.strikes[slot.strike] = { ...row, [slot.leg]: merged };
    return 'applied';
  }

  snapshot(observedAt: Date): IndexMarketData {
    return {
      index: this.index,
      observedAt,
      spot: this.#spot,
      spotDay: this.#spotDay,
      expiries: this.#expiries.map((e) => ({ ...e.base, futuresPrice: e.futuresPrice, strikes: [...e.strikes] })),
    };
  }
}
