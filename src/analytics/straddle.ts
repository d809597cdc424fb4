import type { ExpiryTag } from '../domain/expiry-tags.ts';

/**
 * The straddle at a fixed offset from ATM: call + put at one strike. `tp` is the traded premium (the two
 * last prices), `avgTp` its VWAP version (the two legs' average traded prices today), the series traders
 * watch all session. Pure.
 */

export interface StraddleLeg {
  readonly lastPrice: number | null;
  readonly averagePrice: number | null;
  readonly iv: number | null;
}

export interface StraddlePoint {
  readonly timestamp: Date;
  readonly expiry: string;
  /** The roles the expiry filled at this snapshot. */
  readonly expiryTags: readonly ExpiryTag[];
  readonly strike: number;
  /** Listed strikes from ATM at this snapshot. */
  readonly offset: number;
  readonly spot: number;
  readonly ce: number | null;
  readonly pe: number | null;
  /** ce + pe; null unless both legs traded. */
  readonly tp: number | null;
  readonly ceAverage: number | null;
  readonly peAverage: number | null;
  /** ceAverage + peAverage; null unless both have an average price. */
  readonly avgTp: number | null;
  readonly ceIv: number | null;
  readonly peIv: number | null;
}

const sum = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a == null || b == null ? null : a + b;

export function straddlePoint(at: {
  readonly timestamp: Date;
  readonly expiry: string;
  readonly expiryTags: readonly ExpiryTag[];
  readonly strike: number;
  readonly offset: number;
  readonly spot: number;
  readonly call: StraddleLeg | null;
  readonly put: StraddleLeg | null;
}): StraddlePoint {
  const { call, put } = at;
  return {
    timestamp: at.timestamp,
    expiry: at.expiry,
    expiryTags: at.expiryTags,
    strike: at.strike,
    offset: at.offset,
    spot: at.spot,
    ce: call?.lastPrice ?? null,
    pe: put?.lastPrice ?? null,
    tp: sum(call?.lastPrice, put?.lastPrice),
    ceAverage: call?.averagePrice ?? null,
    peAverage: put?.averagePrice ?? null,
    avgTp: sum(call?.averagePrice, put?.averagePrice),
    ceIv: call?.iv ?? null,
    peIv: put?.iv ?? null,
  };
}
