/**
 * The index option families G6 knows. Lot sizes, strike steps, exchanges and expiry weekdays are the
 * values in Kite's NFO/BFO instruments dump of 18 Aug 2026 (test/fixtures/kite checks them against it).
 */
export const INDEX_SYMBOLS = ['NIFTY', 'BANKNIFTY', 'FINNIFTY', 'MIDCPNIFTY', 'SENSEX'] as const;
export type IndexSymbol = (typeof INDEX_SYMBOLS)[number];

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface IndexSpec {
  readonly symbol: IndexSymbol;
  readonly displayName: string;
  /** Derivatives exchange the options trade on. */
  readonly exchange: 'NFO' | 'BFO';
  /** Kite `exchange:tradingsymbol` of the underlying index (used for spot quotes). */
  readonly spotInstrument: string;
  /** Kite instrument token of the underlying index. */
  readonly spotInstrumentToken: number;
  /** Contract multiplier, in units of the index per lot. */
  readonly lotSize: number;
  /** Spacing of listed strikes near the money, in index points. */
  readonly strikeStep: number;
  readonly tickSize: number;
  /** Weekday of weekly expiries, or null when the index has monthly expiries only. */
  readonly weeklyExpiryWeekday: IsoWeekday | null;
  /** Monthly expiry falls on the last such weekday of the month. */
  readonly monthlyExpiryWeekday: IsoWeekday;
  /** Weekly contracts listed at a time, not counting weeks whose expiry is the monthly one. */
  readonly listedWeeklies: number;
  /** Monthly contracts listed at a time (quarterly and long-dated series are not modelled). */
  readonly listedMonthlies: number;
  /** Representative index level (Aug 2026), the simulated market's starting point. */
  readonly referenceSpot: number;
  /** Typical at-the-money implied volatility, decimal; drives the simulated smile. */
  readonly referenceAtmVolatility: number;
}

export const INDEX_SPECS: Readonly<Record<IndexSymbol, IndexSpec>> = {
  NIFTY: {
    symbol: 'NIFTY',
    displayName: 'NIFTY 50',
    exchange: 'NFO',
    spotInstrument: 'NSE:NIFTY 50',
    spotInstrumentToken: 256265,
    lotSize: 65,
    strikeStep: 50,
    tickSize: 0.05,
    weeklyExpiryWeekday: 2,
    monthlyExpiryWeekday: 2,
    listedWeeklies: 4,
    listedMonthlies: 3,
    referenceSpot: 24_600,
    referenceAtmVolatility: 0.12,
  },
  BANKNIFTY: {
    symbol: 'BANKNIFTY',
    displayName: 'NIFTY BANK',
    exchange: 'NFO',
    spotInstrument: 'NSE:NIFTY BANK',
    spotInstrumentToken: 260105,
    lotSize: 30,
    strikeStep: 100,
    tickSize: 0.05,
    weeklyExpiryWeekday: null,
    monthlyExpiryWeekday: 2,
    listedWeeklies: 0,
    listedMonthlies: 3,
    referenceSpot: 56_300,
    referenceAtmVolatility: 0.14,
  },
  FINNIFTY: {
    symbol: 'FINNIFTY',
    displayName: 'NIFTY FIN SERVICE',
    exchange: 'NFO',
    spotInstrument: 'NSE:NIFTY FIN SERVICE',
    spotInstrumentToken: 257801,
    lotSize: 60,
    strikeStep: 50,
    tickSize: 0.05,
    weeklyExpiryWeekday: null,
    monthlyExpiryWeekday: 2,
    listedWeeklies: 0,
    listedMonthlies: 3,
    referenceSpot: 26_050,
    referenceAtmVolatility: 0.13,
  },
  MIDCPNIFTY: {
    symbol: 'MIDCPNIFTY',
    displayName: 'NIFTY MID SELECT',
    exchange: 'NFO',
    spotInstrument: 'NSE:NIFTY MID SELECT',
    spotInstrumentToken: 288009,
    lotSize: 120,
    strikeStep: 25,
    tickSize: 0.05,
    weeklyExpiryWeekday: null,
    monthlyExpiryWeekday: 2,
    listedWeeklies: 0,
    listedMonthlies: 3,
    referenceSpot: 14_350,
    referenceAtmVolatility: 0.16,
  },
  SENSEX: {
    symbol: 'SENSEX',
    displayName: 'SENSEX',
    exchange: 'BFO',
    spotInstrument: 'BSE:SENSEX',
    spotInstrumentToken: 265,
    lotSize: 20,
    strikeStep: 100,
    tickSize: 0.05,
    weeklyExpiryWeekday: 4,
    monthlyExpiryWeekday: 4,
    listedWeeklies: 5,
    listedMonthlies: 3,
    referenceSpot: 77_700,
    referenceAtmVolatility: 0.12,
  },
};

export function isIndexSymbol(value: string): value is IndexSymbol {
  return (INDEX_SYMBOLS as readonly string[]).includes(value);
}
