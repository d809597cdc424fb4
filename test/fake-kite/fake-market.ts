import { INDEX_SPECS, INDEX_SYMBOLS, type IndexSymbol } from '../../src/domain/indices.ts';
import { IST_OFFSET_MS, toIstDateString } from '../../src/domain/ist-time.ts';
import type { MarketClock } from '../../src/domain/market-clock.ts';
import type { IndexMarketData, OptionQuote, SpotDay } from '../../src/domain/market-data.ts';
import { SimulatedIndexMarket } from '../../src/providers/simulated/simulated-market.ts';

export const INSTRUMENT_COLUMNS =
  'instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange';

const SEGMENT_ID: Record<string, number> = { NSE: 1, NFO: 2, BSE: 4, BFO: 5, INDICES: 9 };
/** Exchange tokens minted for contracts the dump lacks start above every real one. */
const FIRST_MINTED_EXCHANGE_TOKEN = 3_000_000;

const INDEX_ROWS: Record<IndexSymbol, { exchange: 'NSE' | 'BSE'; tradingsymbol: string; exchangeToken: number }> = {
  NIFTY: { exchange: 'NSE', tradingsymbol: 'NIFTY 50', exchangeToken: 1001 },
  BANKNIFTY: { exchange: 'NSE', tradingsymbol: 'NIFTY BANK', exchangeToken: 1016 },
  FINNIFTY: { exchange: 'NSE', tradingsymbol: 'NIFTY FIN SERVICE', exchangeToken: 1007 },
  MIDCPNIFTY: { exchange: 'NSE', tradingsymbol: 'NIFTY MID SELECT', exchangeToken: 1125 },
  SENSEX: { exchange: 'BSE', tradingsymbol: 'SENSEX', exchangeToken: 1 },
};

/** Where a quote key points in the simulated market. */
export type Located =
  | { readonly kind: 'spot'; readonly index: IndexSymbol; readonly token: number }
  | { readonly kind: 'future'; readonly index: IndexSymbol; readonly expiry: string; readonly token: number }
  | {
      readonly kind: 'option';
      readonly index: IndexSymbol;
      readonly expiry: string;
      readonly strike: number;
      readonly right: 'CE' | 'PE';
      readonly token: number;
    };

export interface FakeMarketOptions {
  readonly seed: string;
  readonly clock: MarketClock;
  readonly rate: number;
  readonly dividendYield: number;
  readonly now: () => Date;
  /** The real dump's lines (header first), served as listed (expired rows left out). */
  readonly dumpCsv: string;
  /** The market moves once per this many ms of the clock (1000 by default). */
  readonly quantumMs?: number;
  /** Also list the simulated market's contracts the dump lacks (on by default: the dump is from Aug 2026). */
  readonly mintListings?: boolean;
}

export function toIstStamp(instant: Date): string {
  return new Date(instant.getTime() + IST_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** A session's open, high, low and the close before it, as Kite's `ohlc` reports them (close = previous close). */
export interface Ohlc {
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

interface ContractDay {
  readonly tradingDay: string;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly previousClose: number;
  /** The session's last price so far: the next session's previous close. */
  readonly last: number;
}

interface DumpRow {
  readonly line: string;
  readonly token: number;
  readonly tradingsymbol: string;
  readonly expiry: string;
  readonly exchange: string;
}

/**
 * The market behind the fake: G6's own simulated market per index (so prices, smiles and OI are coherent),
 * listed through the real instruments dump. A contract both know keeps the dump's real token; contracts
 * only the simulation lists get minted tokens (`exchange_token * 256 + segment`, as Kite mints them).
 * Each index's market moves once per distinct clock instant, so every request at one instant agrees.
 */
export class FakeMarket {
  readonly #options: FakeMarketOptions;
  readonly #markets = new Map<IndexSymbol, SimulatedIndexMarket>();
  #current: {
    atMs: number;
    data: Map<IndexSymbol, IndexMarketData>;
    byKey: Map<string, Located>;
    byToken: Map<number, Located>;
  } | null = null;
  readonly #dump: DumpRow[] = [];
  readonly #dumpBySymbol = new Map<string, DumpRow>();
  readonly #minted = new Map<string, number>();
  /** Each option's session range over the prices it was quoted at, by instrument token. */
  readonly #contractDays = new Map<number, ContractDay>();
  #nextExchangeToken = FIRST_MINTED_EXCHANGE_TOKEN;
  /** Price overrides set by tests (`setLastPrice`), by instrument token. */
  readonly overrides = new Map<number, number>();

  constructor(options: FakeMarketOptions) {
    this.#options = options;
    for (const index of INDEX_SYMBOLS) {
      this.#markets.set(
        index,
        new SimulatedIndexMarket({
          spec: INDEX_SPECS[index],
          seed: options.seed,
          clock: options.clock,
          rate: options.rate,
          dividendYield: options.dividendYield,
        }),
      );
    }
    const lines = options.dumpCsv.split(/\r?\n/);
    for (const line of lines.slice(1)) {
      if (line.length === 0) {
        continue;
      }
      const cells = line.split(',');
      const row: DumpRow = {
        line,
        token: Number(cells[0]),
        tradingsymbol: cells[2] ?? '',
        expiry: cells[5] ?? '',
        exchange: cells[11] ?? '',
      };
      this.#dump.push(row);
      this.#dumpBySymbol.set(`${row.exchange}:${row.tradingsymbol}`, row);
    }
  }

  get dumpRowCount(): number {
    return this.#dump.length;
  }

  /** The index's market at the clock's current quantum (moved once per quantum, all indices together). */
  data(index: IndexSymbol): IndexMarketData {
    return this.#state().data.get(index)!;
  }

  /** Every quotable instrument of the current quantum by token. */
  byToken(): ReadonlyMap<number, Located> {
    return this.#state().byToken;
  }

  #state(): {
    atMs: number;
    data: Map<IndexSymbol, IndexMarketData>;
    byKey: Map<string, Located>;
    byToken: Map<number, Located>;
  } {
    const quantumMs = this.#options.quantumMs ?? 1000;
    const atMs = Math.floor(this.#options.now().getTime() / quantumMs) * quantumMs;
    if (this.#current !== null && this.#current.atMs === atMs) {
      return this.#current;
    }
    const data = new Map<IndexSymbol, IndexMarketData>();
    const byKey = new Map<string, Located>();
    const byToken = new Map<number, Located>();
    for (const index of INDEX_SYMBOLS) {
      const spec = INDEX_SPECS[index];
      const indexData = this.#markets.get(index)!.advance(new Date(atMs));
      data.set(index, indexData);
      const spot: Located = { kind: 'spot', index, token: spec.spotInstrumentToken };
      byKey.set(spec.spotInstrument, spot);
      byToken.set(spot.token, spot);
      for (const expiry of indexData.expiries) {
        if (expiry.kind === 'MONTHLY') {
          const symbol = futuresSymbol(index, expiry.expiry);
          const future: Located = {
            kind: 'future',
            index,
            expiry: expiry.expiry,
            token: this.tokenOf(spec.exchange, symbol),
          };
          byKey.set(`${spec.exchange}:${symbol}`, future);
          byToken.set(future.token, future);
        }
        for (const row of expiry.strikes) {
          for (const [quote, right] of [
            [row.call, 'CE'],
            [row.put, 'PE'],
          ] as const) {
            if (quote !== null) {
              const token = this.tokenOf(spec.exchange, quote.tradingsymbol);
              const located: Located = {
                kind: 'option',
                index,
                expiry: expiry.expiry,
                strike: row.strike,
                right,
                token,
              };
              byKey.set(`${spec.exchange}:${quote.tradingsymbol}`, located);
              byToken.set(token, located);
              this.#recordContractDay(token, this.#markets.get(index)!.tradingDay, quote.lastPrice);
            }
          }
        }
      }
    }
    this.#current = { atMs, data, byKey, byToken };
    return this.#current;
  }

  #recordContractDay(token: number, tradingDay: string | null, price: number | null): void {
    if (tradingDay === null || price === null) {
      return;
    }
    const day = this.#contractDays.get(token);
    if (day === undefined || day.tradingDay !== tradingDay) {
      // A contract first seen has no earlier session here: its first price stands in for the close before.
      const previousClose = day?.last ?? price;
      this.#contractDays.set(token, { tradingDay, open: price, high: price, low: price, previousClose, last: price });
    } else if (day.last !== price) {
      this.#contractDays.set(token, {
        ...day,
        high: Math.max(day.high, price),
        low: Math.min(day.low, price),
        last: price,
      });
    }
  }

  tokenOf(exchange: string, tradingsymbol: string): number {
    const key = `${exchange}:${tradingsymbol}`;
    const real = this.#dumpBySymbol.get(key);
    if (real !== undefined) {
      return real.token;
    }
    let token = this.#minted.get(key);
    if (token === undefined) {
      token = this.#nextExchangeToken * 256 + (SEGMENT_ID[exchange] ?? 0);
      this.#nextExchangeToken += 1;
      this.#minted.set(key, token);
    }
    return token;
  }

  spotToken(index: IndexSymbol): number {
    return INDEX_SPECS[index].spotInstrumentToken;
  }

  /** The instruments CSV of one exchange (or all), header first, with Kite's trailing newline. */
  instrumentsCsv(exchange: string | null): string {
    const today = toIstDateString(this.#options.now());
    const lines = [INSTRUMENT_COLUMNS];
    for (const index of INDEX_SYMBOLS) {
      const row = INDEX_ROWS[index];
      if (exchange === null || exchange === row.exchange) {
        const token = INDEX_SPECS[index].spotInstrumentToken;
        lines.push(
          `${token},${row.exchangeToken},${row.tradingsymbol},${row.tradingsymbol},0.0,,0.0,0.0,0,EQ,INDICES,${row.exchange}`,
        );
      }
    }
    // Kite lists only live contracts.
    for (const row of this.#dump) {
      if ((exchange === null || row.exchange === exchange) && (row.expiry === '' || row.expiry >= today)) {
        lines.push(row.line);
      }
    }
    if (this.#options.mintListings !== false) {
      for (const index of INDEX_SYMBOLS) {
        const spec = INDEX_SPECS[index];
        if (exchange !== null && exchange !== spec.exchange) {
          continue;
        }
        for (const expiry of this.data(index).expiries) {
          if (expiry.kind === 'MONTHLY') {
            const symbol = futuresSymbol(index, expiry.expiry);
            if (!this.#dumpBySymbol.has(`${spec.exchange}:${symbol}`)) {
              const token = this.tokenOf(spec.exchange, symbol);
              lines.push(
                `${token},${token >> 8},${symbol},${index},0.0,${expiry.expiry},0.0,0.05,${spec.lotSize},FUT,${spec.exchange}-FUT,${spec.exchange}`,
              );
            }
          }
          for (const row of expiry.strikes) {
            for (const [quote, right] of [
              [row.call, 'CE'],
              [row.put, 'PE'],
            ] as const) {
              if (quote === null || this.#dumpBySymbol.has(`${spec.exchange}:${quote.tradingsymbol}`)) {
                continue;
              }
              const token = this.tokenOf(spec.exchange, quote.tradingsymbol);
              lines.push(
                `${token},${token >> 8},${quote.tradingsymbol},${index},0.0,${expiry.expiry},${row.strike.toFixed(1)},${spec.tickSize},${spec.lotSize},${right},${spec.exchange}-OPT,${spec.exchange}`,
              );
            }
          }
        }
      }
    }
    return `${lines.join('\n')}\n`;
  }

  /** Resolves `EXCHANGE:TRADINGSYMBOL` against the simulated market now; null for what it does not quote. */
  locate(key: string): Located | null {
    return this.#state().byKey.get(key) ?? null;
  }

  optionQuote(located: Located & { kind: 'option' }): OptionQuote | null {
    const expiry = this.data(located.index).expiries.find((e) => e.expiry === located.expiry);
    const row = expiry?.strikes.find((s) => s.strike === located.strike);
    const quote = (located.right === 'CE' ? row?.call : row?.put) ?? null;
    const override = this.overrides.get(located.token);
    return quote !== null && override !== undefined ? { ...quote, lastPrice: override } : quote;
  }

  /** An option's `ohlc` over the prices it was quoted at this session (an override counts as one). */
  optionOhlc(located: Located & { kind: 'option' }): Ohlc | null {
    this.#state();
    const day = this.#contractDays.get(located.token);
    if (day === undefined) {
      return null;
    }
    return stretched(
      { open: day.open, high: day.high, low: day.low, close: day.previousClose },
      this.overrides.get(located.token),
    );
  }

  spot(index: IndexSymbol): number {
    return this.overrides.get(INDEX_SPECS[index].spotInstrumentToken) ?? this.data(index).spot;
  }

  /** The index's day as the simulated market saw it, its range stretched to an overridden spot. */
  spotDay(index: IndexSymbol): SpotDay | null {
    const day = this.data(index).spotDay;
    if (day === null) {
      return null;
    }
    const ohlc = stretched(
      { open: day.open, high: day.high, low: day.low, close: day.previousClose },
      this.overrides.get(INDEX_SPECS[index].spotInstrumentToken),
    );
    return { open: ohlc.open, high: ohlc.high, low: ohlc.low, previousClose: ohlc.close };
  }

  futuresPrice(index: IndexSymbol, expiry: string): number | null {
    return this.data(index).expiries.find((e) => e.expiry === expiry)?.futuresPrice ?? null;
  }
}

function stretched(ohlc: Ohlc, price: number | undefined): Ohlc {
  return price === undefined ? ohlc : { ...ohlc, high: Math.max(ohlc.high, price), low: Math.min(ohlc.low, price) };
}

function futuresSymbol(index: IndexSymbol, expiry: string): string {
  return `${index}${expiry.slice(2, 4)}${monthCode(expiry)}FUT`;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
function monthCode(isoDate: string): string {
  return MONTHS[Number(isoDate.slice(5, 7)) - 1] ?? '';
}
