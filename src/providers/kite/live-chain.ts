import type { IndexSymbol } from '../../domain/indices.ts';
import type { ExpiryQuotes, IndexMarketData, OptionQuote, StrikeQuotes } from '../../domain/market-data.ts';

type Slot =
  | { readonly kind: 'spot' }
  | { readonly kind: 'future'; readonly expiry: number }
  | { readonly kind: 'option'; readonly expiry: number; readonly strike: number; readonly leg: 'call' | 'put' };

export type TickOutcome = 'applied' | 'unknown' | 'malformed';

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;

function bestLevel(levels: unknown): { price: number; quantity: number } | null {
  const top = Array.isArray(levels) ? (levels[0] as { price?: unknown; quantity?: unknown } | undefined) : undefined;
  if (top === undefined || top === null || !isCount(top.price) || !isCount(top.quantity)) {
    return null;
  }
  return top.price > 0 && top.quantity > 0 ? { price: top.price, quantity: top.quantity } : null;
}

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
  if ((hasVolume && !isCount(tick.volume_traded)) || (hasOi && !isCount(tick.oi))) {
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
    lastTradeTime: tradeTime ? (tick.last_trade_time as Date) : previous.lastTradeTime,
  };
}

/**
 * One index's chain as last collected, with ticks merged in since: the live view between REST snapshots.
 * A REST collection replaces it wholesale (`reset`), so a missed tick never outlives the next snapshot.
 */
export class LiveIndexChain {
  readonly index: IndexSymbol;
  #spot: number;
  readonly #expiries: Array<{ base: ExpiryQuotes; futuresPrice: number | null; strikes: StrikeQuotes[] }>;
  readonly #slots = new Map<number, Slot>();

  constructor(data: IndexMarketData, spotToken: number, futureTokens: ReadonlyMap<string, number>) {
    this.index = data.index;
    this.#spot = data.spot;
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
    const out: Array<{ token: number; rank: number }> = [];
    for (const [token, slot] of this.#slots) {
      if (slot.kind !== 'option') {
        out.push({ token, rank: 0 });
        continue;
      }
      const strikes = this.#expiries[slot.expiry]!.strikes;
      let atm = 0;
      for (let i = 1; i < strikes.length; i += 1) {
        if (Math.abs(strikes[i]!.strike - this.#spot) < Math.abs(strikes[atm]!.strike - this.#spot)) {
          atm = i;
        }
      }
      out.push({ token, rank: Math.abs(slot.strike - atm) });
    }
    return out;
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
      } else {
        const entry = this.#expiries[slot.expiry]!;
        const bid = bestLevel((tick.depth as { buy?: unknown } | undefined)?.buy);
        const ask = bestLevel((tick.depth as { sell?: unknown } | undefined)?.sell);
        entry.futuresPrice =
          bid !== null && ask !== null && ask.price >= bid.price ? (bid.price + ask.price) / 2 : tick.last_price;
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
      expiries: this.#expiries.map((e) => ({ ...e.base, futuresPrice: e.futuresPrice, strikes: [...e.strikes] })),
    };
  }
}
