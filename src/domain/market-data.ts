import type { ExpiryKind } from './expiry-calendar.ts';
import type { IndexSymbol } from './indices.ts';

/** One option contract's market state as a provider reports it. Prices in index points (rupees). */
export interface OptionQuote {
  readonly tradingsymbol: string;
  readonly instrumentToken: number | null;
  /** Last traded price; null when the contract has not traded. */
  readonly lastPrice: number | null;
  /** Best bid / ask; null when that side of the book is empty. */
  readonly bid: number | null;
  readonly ask: number | null;
  /** Quantities at the best bid / ask, in units (lots × lot size), as Kite reports them. */
  readonly bidQuantity: number;
  readonly askQuantity: number;
  /** Traded volume today, in units. */
  readonly volume: number;
  /** Open interest, in units (contracts × lot size), as Kite reports it. */
  readonly oi: number;
  /**
   * Volume-weighted average traded price today (Kite's `average_price`); null before the first trade.
   * The VWAP straddle is built from it.
   */
  readonly averagePrice: number | null;
  readonly lastTradeTime: Date | null;
}

export interface StrikeQuotes {
  readonly strike: number;
  readonly call: OptionQuote | null;
  readonly put: OptionQuote | null;
}

export interface ExpiryQuotes {
  /** `YYYY-MM-DD` */
  readonly expiry: string;
  readonly kind: ExpiryKind;
  /** The expiry's futures price where one is listed and quoted (monthlies); Black-76 may price on it. */
  readonly futuresPrice?: number | null;
  /** Ascending by strike. */
  readonly strikes: readonly StrikeQuotes[];
}

/** Everything one collection of one index returns: spot plus the chains of its open expiries. */
export interface IndexMarketData {
  readonly index: IndexSymbol;
  /** When the provider's data was true (exchange time where the provider knows it). */
  readonly observedAt: Date;
  readonly spot: number;
  /** The index's session so far and the previous close, where the provider reports them. */
  readonly spotDay: SpotDay | null;
  /** Ascending by expiry. */
  readonly expiries: readonly ExpiryQuotes[];
}

/** The index's day: open, high and low of the current (or last) session and the previous session's close. */
export interface SpotDay {
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly previousClose: number;
}
