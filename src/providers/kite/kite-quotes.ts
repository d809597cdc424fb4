import { IST_OFFSET_MS } from '../../domain/ist-time.ts';
import type { OptionQuote, SpotDay } from '../../domain/market-data.ts';

const IST_STAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;

/**
 * Kite sends `YYYY-MM-DD HH:MM:SS` in IST without an offset, and kiteconnect turns such strings into Dates
 * in the *process's* time zone. Both forms are read back as IST wall-clock time, so the instant is right
 * whatever TZ the server runs in. Returns null for anything else.
 */
export function kiteTimestampToInstant(value: unknown): Date | null {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) {
      return null;
    }
    const wallClockUtcMs = Date.UTC(
      value.getFullYear(),
      value.getMonth(),
      value.getDate(),
      value.getHours(),
      value.getMinutes(),
      value.getSeconds(),
    );
    return new Date(wallClockUtcMs - IST_OFFSET_MS);
  }
  if (typeof value === 'string') {
    const match = IST_STAMP.exec(value);
    if (match) {
      const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
      return new Date(Date.UTC(y, mo - 1, d, h, mi, s) - IST_OFFSET_MS);
    }
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? null : new Date(parsed);
  }
  return null;
}

export const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

/** The best level of a depth side when it has a positive price and quantity (empty levels are zeros). */
export function bestLevel(levels: unknown): { price: number; quantity: number } | null {
  if (!Array.isArray(levels) || levels.length === 0) {
    return null;
  }
  const top = levels[0] as { price?: unknown; quantity?: unknown } | null;
  if (top === null || typeof top !== 'object' || !isCount(top.price) || !isCount(top.quantity)) {
    return null;
  }
  return top.price > 0 && top.quantity > 0 ? { price: top.price, quantity: top.quantity } : null;
}

/**
 * A full `/quote` entry as an OptionQuote, or null when the entry is malformed (missing or non-numeric
 * price, volume or OI). A zero last price means the contract has not traded; empty depth levels are zeros.
 */
export function quoteToOptionQuote(tradingsymbol: string, raw: unknown): OptionQuote | null {
  if (typeof raw !== 'object' || raw === null) {
    return null;
  }
  const q = raw as Record<string, unknown>;
  if (!isCount(q.last_price) || !isCount(q.volume) || !isCount(q.oi)) {
    return null;
  }
  const depth = (typeof q.depth === 'object' && q.depth !== null ? q.depth : {}) as { buy?: unknown; sell?: unknown };
  const bid = bestLevel(depth.buy);
  const ask = bestLevel(depth.sell);
  return {
    tradingsymbol,
    instrumentToken: typeof q.instrument_token === 'number' ? q.instrument_token : null,
    lastPrice: q.last_price > 0 ? q.last_price : null,
    bid: bid?.price ?? null,
    ask: ask?.price ?? null,
    bidQuantity: bid?.quantity ?? 0,
    askQuantity: ask?.quantity ?? 0,
    volume: q.volume,
    oi: q.oi,
    averagePrice: positivePrice(q.average_price),
    lastTradeTime: kiteTimestampToInstant(q.last_trade_time),
  };
}

/** A price Kite reports as 0 (or leaves out) until it is known: a positive finite number, else null. */
export function positivePrice(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null;
}

/**
 * An index's day from a quote's (or index tick's) `ohlc`, where `close` is the previous session's close.
 * Kite sends zeros before the open and for some indices: any non-positive field (or a range that does not
 * hold its open) makes the day unknown.
 */
export function ohlcToSpotDay(ohlc: unknown): SpotDay | null {
  if (typeof ohlc !== 'object' || ohlc === null) {
    return null;
  }
  const o = ohlc as { open?: unknown; high?: unknown; low?: unknown; close?: unknown };
  const open = positivePrice(o.open);
  const high = positivePrice(o.high);
  const low = positivePrice(o.low);
  const previousClose = positivePrice(o.close);
  if (open === null || high === null || low === null || previousClose === null) {
    return null;
  }
  // A day whose open lies outside its own range is not one to build on.
  return low <= open && open <= high ? { open, high, low, previousClose } : null;
}

/** The index's day from a quote entry's `ohlc`, or null when the entry has none worth believing. */
export function quoteSpotDay(raw: unknown): SpotDay | null {
  if (typeof raw !== 'object' || raw === null) {
    return null;
  }
  return ohlcToSpotDay((raw as { ohlc?: unknown }).ohlc);
}

/** Index level from a quote entry (`last_price`), or null when missing or not positive. */
export function quoteLastPrice(raw: unknown): number | null {
  if (typeof raw !== 'object' || raw === null) {
    return null;
  }
  return positivePrice((raw as { last_price?: unknown }).last_price);
}

/** A futures quote's mid when both sides are quoted, else its last price. */
export function futuresPrice(raw: unknown): number | null {
  if (typeof raw !== 'object' || raw === null) {
    return null;
  }
  const depth = (raw as { depth?: { buy?: unknown; sell?: unknown } }).depth;
  const bid = bestLevel(depth?.buy);
  const ask = bestLevel(depth?.sell);
  if (bid !== null && ask !== null && ask.price >= bid.price) {
    return (bid.price + ask.price) / 2;
  }
  return quoteLastPrice(raw);
}
