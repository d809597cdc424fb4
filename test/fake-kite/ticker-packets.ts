/**
 * Kite's binary market-data frames (kite.md §3): big-endian, prices as int32 paise, one 2-byte packet
 * count then length-prefixed packets. The JS client infers the mode from the packet length, so the
 * lengths here are exact: tradables 8/44/184, indices 8/28/32.
 */
export type TickerMode = 'ltp' | 'quote' | 'full';

export interface DepthLevel {
  readonly quantity: number;
  readonly price: number;
  readonly orders: number;
}

export interface TradableTick {
  readonly instrumentToken: number;
  readonly lastPrice: number;
  readonly lastTradedQuantity: number;
  readonly averageTradedPrice: number;
  readonly volumeTraded: number;
  readonly totalBuyQuantity: number;
  readonly totalSellQuantity: number;
  readonly ohlc: { readonly open: number; readonly high: number; readonly low: number; readonly close: number };
  /** Unix seconds; 0 when never traded. */
  readonly lastTradeTimeSeconds: number;
  readonly oi: number;
  readonly oiDayHigh: number;
  readonly oiDayLow: number;
  readonly exchangeTimestampSeconds: number;
  /** Five bids then five offers. */
  readonly depth: readonly DepthLevel[];
}

export interface IndexTick {
  readonly instrumentToken: number;
  readonly lastPrice: number;
  readonly ohlc: { readonly open: number; readonly high: number; readonly low: number; readonly close: number };
  readonly exchangeTimestampSeconds: number;
}

const INT32_MAX = 2 ** 31 - 1;
// Kite's fields are int32: larger counts cannot be represented (the client would read them negative).
const int32 = (value: number) => Math.max(-INT32_MAX, Math.min(INT32_MAX, Math.round(value)));
const paise = (price: number) => int32(price * 100);

export function encodeTradable(tick: TradableTick, mode: TickerMode): Buffer {
  const length = mode === 'ltp' ? 8 : mode === 'quote' ? 44 : 184;
  const b = Buffer.alloc(length);
  b.writeInt32BE(int32(tick.instrumentToken), 0);
  b.writeInt32BE(paise(tick.lastPrice), 4);
  if (mode === 'ltp') {
    return b;
  }
  b.writeInt32BE(int32(tick.lastTradedQuantity), 8);
  b.writeInt32BE(paise(tick.averageTradedPrice), 12);
  b.writeInt32BE(int32(tick.volumeTraded), 16);
  b.writeInt32BE(int32(tick.totalBuyQuantity), 20);
  b.writeInt32BE(int32(tick.totalSellQuantity), 24);
  b.writeInt32BE(paise(tick.ohlc.open), 28);
  b.writeInt32BE(paise(tick.ohlc.high), 32);
  b.writeInt32BE(paise(tick.ohlc.low), 36);
  b.writeInt32BE(paise(tick.ohlc.close), 40);
  if (mode === 'quote') {
    return b;
  }
  b.writeInt32BE(int32(tick.lastTradeTimeSeconds), 44);
  b.writeInt32BE(int32(tick.oi), 48);
  b.writeInt32BE(int32(tick.oiDayHigh), 52);
  b.writeInt32BE(int32(tick.oiDayLow), 56);
  b.writeInt32BE(int32(tick.exchangeTimestampSeconds), 60);
  for (let i = 0; i < 10; i += 1) {
    const level = tick.depth[i] ?? { quantity: 0, price: 0, orders: 0 };
    const at = 64 + i * 12;
    b.writeInt32BE(int32(level.quantity), at);
    b.writeInt32BE(paise(level.price), at + 4);
    b.writeUInt16BE(Math.max(0, Math.min(0xffff, level.orders)), at + 8);
  }
  return b;
}

export function encodeIndex(tick: IndexTick, mode: TickerMode): Buffer {
  const length = mode === 'ltp' ? 8 : mode === 'quote' ? 28 : 32;
  const b = Buffer.alloc(length);
  b.writeInt32BE(int32(tick.instrumentToken), 0);
  b.writeInt32BE(paise(tick.lastPrice), 4);
  if (mode === 'ltp') {
    return b;
  }
  b.writeInt32BE(paise(tick.ohlc.high), 8);
  b.writeInt32BE(paise(tick.ohlc.low), 12);
  b.writeInt32BE(paise(tick.ohlc.open), 16);
  b.writeInt32BE(paise(tick.ohlc.close), 20);
  b.writeInt32BE(paise(tick.lastPrice - tick.ohlc.close), 24);
  if (mode === 'full') {
    b.writeInt32BE(int32(tick.exchangeTimestampSeconds), 28);
  }
  return b;
}

/** One WebSocket binary message: packet count, then each packet with its 2-byte length. */
export function frame(packets: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.alloc(2)];
  parts[0]!.writeUInt16BE(packets.length, 0);
  for (const packet of packets) {
    const length = Buffer.alloc(2);
    length.writeUInt16BE(packet.length, 0);
    parts.push(length, packet);
  }
  return Buffer.concat(parts);
}

/** Kite's keep-alive: a 1-byte binary message, sent when there is nothing else to say. */
export const HEARTBEAT = Buffer.from([0]);
