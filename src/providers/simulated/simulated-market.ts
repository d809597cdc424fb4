import { blackScholes } from '../../analytics/black-scholes.ts';
import { type Segment, segmentOf } from '../../domain/calendar/calendar-data.ts';
import type { TradingSession } from '../../domain/calendar/exchange-calendar.ts';
import { type Expiry, listOpenExpiries } from '../../domain/expiry-calendar.ts';
import type { IndexSpec } from '../../domain/indices.ts';
import { toIstDateString } from '../../domain/ist-time.ts';
import { toOptionTradingSymbol } from '../../domain/kite-tradingsymbol.ts';
import { isTrading, type MarketClock } from '../../domain/market-clock.ts';
import type { ExpiryQuotes, IndexMarketData, OptionQuote, SpotDay, StrikeQuotes } from '../../domain/market-data.ts';
import { createRandomStream, type RandomStream } from './random.ts';
import { smileVolatility } from './volatility-smile.ts';

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;
const DAY_YEARS = 1 / 365;
/** Motion after a long pause is capped at one day's worth, so a laptop waking up sees no crash. */
const MAX_STEP_YEARS = DAY_YEARS;
/** Mean reversion speed (per year) and volatility of the log volatility level. */
const VOL_REVERSION_PER_YEAR = 50;
const VOL_OF_VOL = 1.2;
/** Correlation of volatility shocks with index returns (falling markets get dearer options). */
const SPOT_VOL_CORRELATION = -0.7;
/** Fraction of open interest traded per session at the money. */
const ATM_TURNOVER_PER_SESSION = 2.5;
/** Share of a session's volume traded in its first minutes: the opening burst every real session has. */
const OPENING_VOLUME_SHARE = 0.03;
/** Depth of the intraday U shape: trading intensity ∝ 1 + a·cos(2π·phase), heaviest at open and close. */
const INTRADAY_U_DEPTH = 0.6;
/** Strikes kept between spot and the edge of a listing before new strikes are added. */
const STRIKES_KEPT_BEYOND_SPOT = 20;
const FUTURES_TICK = 0.05;

export interface SimulatedMarketOptions {
  readonly spec: IndexSpec;
  readonly seed: string;
  /** The session the market trades in: the exchanges' calendar, or the simulator's own session clock. */
  readonly clock: MarketClock;
  /** Rates the simulator prices with; analytics recover the smile when they use the same. */
  readonly rate: number;
  readonly dividendYield: number;
}

interface ContractState {
  /** Open interest in lots (kept fractional; reported rounded). */
  oiLots: number;
  /** Volume traded in the session `volumeDay` in lots. */
  volumeLots: number;
  volumeDay: string | null;
  /**
   * The session's volume as last reported (units) and Σ price × Δvolume over it: each quote's new volume
   * trades at that quote's last price, so the VWAP is their ratio.
   */
  reportedVolume: number;
  tradedValue: number;
}

interface Listing {
  readonly expiry: Expiry;
  readonly expiresAtMs: number;
  /** Per-strike contract state, keyed by strike; strikes sorted on read. */
  readonly calls: Map<number, ContractState>;
  readonly puts: Map<number, ContractState>;
}

/**
 * One index's simulated options market. Pure given its inputs: `advance(asOf)` with the same seed and the
 * same sequence of instants yields the same data. The index follows geometric Brownian motion at the
 * current volatility level; the level mean-reverts and moves against the index; premiums are
 * Black-Scholes prices at the smile of `volatility-smile.ts`, quoted on the tick grid around that value;
 * open interest peaks at round strikes with OTM calls above and OTM puts (heavier) below spot.
 */
export class SimulatedIndexMarket {
  readonly spec: IndexSpec;
  #spot: number;
  #logVolatilityShift = 0;
  #lastAtMs: number | null = null;
  /** Session date and elapsed share of the session at the last `advance`. */
  #tradingDay: string | null = null;
  #phase = 0;
  /** The session's open, high and low so far and the close before it. */
  #day: (SpotDay & { readonly tradingDay: string }) | null = null;
  /** While the market is closed it does not move: the close is served until the next session. */
  #closed: { key: string; data: IndexMarketData } | null = null;
  readonly #segment: Segment;
  readonly #random: RandomStream;
  readonly #listings = new Map<string, Listing>();
  readonly #options: SimulatedMarketOptions;

  constructor(options: SimulatedMarketOptions) {
    this.#options = options;
    this.spec = options.spec;
    this.#segment = segmentOf(options.spec);
    this.#spot = options.spec.referenceSpot;
    this.#random = createRandomStream(`${options.seed}:${options.spec.symbol}`);
  }

  get spot(): number {
    return this.#spot;
  }

  /** The session the last `advance` quoted (the last session's date while the market is shut). */
  get tradingDay(): string | null {
    return this.#tradingDay;
  }

  /** The volatility level the smile is currently scaled by. */
  get volatilityLevel(): number {
    return this.spec.referenceAtmVolatility * Math.exp(this.#logVolatilityShift);
  }

  forward(timeToExpiryYears: number): number {
    return this.#spot * Math.exp((this.#options.rate - this.#options.dividendYield) * timeToExpiryYears);
  }

  /** The true volatility the simulator priced a strike of an expiry with, at the current state. */
  trueVolatility(strike: number, timeToExpiryYears: number): number {
    return smileVolatility(this.volatilityLevel, this.forward(timeToExpiryYears), strike, timeToExpiryYears);
  }

  advance(asOf: Date): IndexMarketData {
    const nowMs = asOf.getTime();
    const status = this.#options.clock.status(this.#segment, asOf);
    const trading = isTrading(status);
    // Until options trade (the pre-open included) the last session's close is what the market shows.
    const tradingDay = trading || status.lastCloseAt === null ? status.tradingDay : toIstDateString(status.lastCloseAt);
    const open = listOpenExpiries(this.spec, asOf, this.#options.clock.calendar);
    const closedKey = `${tradingDay}|${open.map((e) => e.date).join(',')}`;
    if (!trading && this.#closed?.key === closedKey) {
      return { ...this.#closed.data, observedAt: asOf };
    }

    // Outside sessions nothing moves; the first step of a session carries the overnight gap (capped).
    const stepYears =
      !trading || this.#lastAtMs === null ? 0 : Math.min(Math.max(nowMs - this.#lastAtMs, 0) / YEAR_MS, MAX_STEP_YEARS);
    if (trading || this.#lastAtMs === null) {
      this.#lastAtMs = nowMs;
    }
    // Nothing moves between sessions, so the level before a session's first step is the last close.
    const spotBefore = this.#spot;
    this.#moveUnderlying(stepYears);
    const spotDay = this.#recordSpotDay(tradingDay, spotBefore);

    const phase = trading ? sessionPhase(status.session, nowMs) : 1;
    const sameDay = this.#tradingDay === tradingDay;
    const sessionStep = sameDay ? Math.max(0, phase - this.#phase) : 0;
    this.#tradingDay = tradingDay;
    this.#phase = phase;
    const tick: Tick = {
      asOf,
      tradingDay,
      phase,
      previousVolumeShare: sameDay ? cumulativeVolumeShare(phase - sessionStep) : 0,
      sessionStep,
      lastTradeTime: trading ? asOf : (status.lastCloseAt ?? asOf),
    };

    const openDates = new Set(open.map((e) => e.date));
    for (const date of this.#listings.keys()) {
      if (!openDates.has(date)) {
        this.#listings.delete(date);
      }
    }

    const expiries: ExpiryQuotes[] = [];
    for (const expiry of open) {
      let listing = this.#listings.get(expiry.date);
      if (listing === undefined) {
        const expiresAtMs = this.#options.clock.calendar.expiryCutoff(this.#segment, expiry.date).getTime();
        listing = { expiry, expiresAtMs, calls: new Map(), puts: new Map() };
        this.#listings.set(expiry.date, listing);
      }
      const timeToExpiryYears = (listing.expiresAtMs - nowMs) / YEAR_MS;
      this.#extendStrikes(listing, timeToExpiryYears);
      expiries.push(this.#quoteListing(listing, timeToExpiryYears, tick));
    }
    const data: IndexMarketData = { index: this.spec.symbol, observedAt: asOf, spot: this.#spot, spotDay, expiries };
    this.#closed = trading ? null : { key: closedKey, data };
    return data;
  }

  #recordSpotDay(tradingDay: string, spotBefore: number): SpotDay {
    const spot = this.#spot;
    if (this.#day?.tradingDay !== tradingDay) {
      const previousClose = this.#day === null ? this.#firstPreviousClose() : spotBefore;
      this.#day = { tradingDay, open: spot, high: spot, low: spot, previousClose };
    } else {
      this.#day = { ...this.#day, high: Math.max(this.#day.high, spot), low: Math.min(this.#day.low, spot) };
    }
    const { open, high, low, previousClose } = this.#day;
    return { open, high, low, previousClose };
  }

  /**
   * The close before the first simulated session: one day's move away from the reference level, drawn
   * from a stream of its own so the market's path is the same with or without it.
   */
  #firstPreviousClose(): number {
    const shock = createRandomStream(`${this.#options.seed}:${this.spec.symbol}:previous-close`).normal();
    return Number(
      (this.spec.referenceSpot * Math.exp(this.spec.referenceAtmVolatility * Math.sqrt(DAY_YEARS) * shock)).toFixed(2),
    );
  }

  #moveUnderlying(stepYears: number): void {
    if (stepYears <= 0) {
      return;
    }
    const sigma = this.volatilityLevel;
    const spotShock = this.#random.normal();
    const independent = this.#random.normal();
    const volShock = SPOT_VOL_CORRELATION * spotShock + Math.sqrt(1 - SPOT_VOL_CORRELATION ** 2) * independent;
    const sqrtStep = Math.sqrt(stepYears);
    this.#spot *= Math.exp(-0.5 * sigma * sigma * stepYears + sigma * sqrtStep * spotShock);
    // Ornstein-Uhlenbeck on the log of the volatility level.
    this.#logVolatilityShift +=
      -VOL_REVERSION_PER_YEAR * this.#logVolatilityShift * stepYears + VOL_OF_VOL * sqrtStep * volShock;
  }

  /** New strikes are listed as spot approaches the edge, the way exchanges add strikes intraday. */
  #extendStrikes(listing: Listing, timeToExpiryYears: number): void {
    const step = this.spec.strikeStep;
    const width = Math.min(0.25, Math.max(0.06, 3.5 * this.spec.referenceAtmVolatility * Math.sqrt(timeToExpiryYears)));
    const wantedLow =
      Math.min(
        Math.floor((this.#spot * (1 - width)) / step),
        Math.floor(this.#spot / step) - STRIKES_KEPT_BEYOND_SPOT,
      ) * step;
    const wantedHigh =
      Math.max(Math.ceil((this.#spot * (1 + width)) / step), Math.ceil(this.#spot / step) + STRIKES_KEPT_BEYOND_SPOT) *
      step;
    for (let strike = wantedLow; strike <= wantedHigh; strike += step) {
      if (!listing.calls.has(strike)) {
        listing.calls.set(strike, this.#initialState(listing, strike, 'CE', timeToExpiryYears));
        listing.puts.set(strike, this.#initialState(listing, strike, 'PE', timeToExpiryYears));
      }
    }
  }

  #initialState(listing: Listing, strike: number, right: 'CE' | 'PE', timeToExpiryYears: number): ContractState {
    const forward = this.forward(timeToExpiryYears);
    const scale = this.spec.referenceAtmVolatility * Math.sqrt(Math.max(timeToExpiryYears, 1 / 365));
    const z = Math.log(strike / forward) / scale;
    const outOfTheMoney = right === 'CE' ? strike >= forward : strike <= forward;
    const sideWeight = outOfTheMoney ? (right === 'PE' ? 1.15 : 1) : 0.3;
    const step = this.spec.strikeStep;
    const roundness = strike % (step * 10) === 0 ? 2.4 : strike % (step * 2) === 0 ? 1.35 : 1;
    // Near expiries and monthlies carry most open interest.
    const expiryWeight = (listing.expiry.kind === 'MONTHLY' ? 1.4 : 1) / (1 + 4 * timeToExpiryYears);
    const lotsAtTheMoney = 400_000 / this.spec.lotSize;
    const noise = Math.exp(0.25 * this.#random.normal());
    const oiLots = lotsAtTheMoney * expiryWeight * sideWeight * roundness * Math.exp(-Math.abs(z) / 1.3) * noise;
    // Volume is seeded on the first quote, from the share of the session already traded.
    return { oiLots, volumeLots: 0, volumeDay: null, reportedVolume: 0, tradedValue: 0 };
  }

  #quoteListing(listing: Listing, timeToExpiryYears: number, tick: Tick): ExpiryQuotes {
    const strikes = [...listing.calls.keys()].sort((a, b) => a - b);
    const rows: StrikeQuotes[] = strikes.map((strike) => ({
      strike,
      call: this.#quoteContract(listing, strike, 'CE', timeToExpiryYears, tick),
      put: this.#quoteContract(listing, strike, 'PE', timeToExpiryYears, tick),
    }));
    // Index futures list monthly expiries only; priced at the carry forward, on the futures tick grid.
    const futuresPrice =
      listing.expiry.kind === 'MONTHLY' ? roundToTick(this.forward(timeToExpiryYears), FUTURES_TICK) : null;
    return { expiry: listing.expiry.date, kind: listing.expiry.kind, futuresPrice, strikes: rows };
  }

  #quoteContract(
    listing: Listing,
    strike: number,
    right: 'CE' | 'PE',
    timeToExpiryYears: number,
    tick: Tick,
  ): OptionQuote {
    const state = (right === 'CE' ? listing.calls : listing.puts).get(strike)!;
    const { lotSize, tickSize } = this.spec;
    const volatility = this.trueVolatility(strike, timeToExpiryYears);
    const theoretical = blackScholes({
      right: right === 'CE' ? 'C' : 'P',
      spot: this.#spot,
      strike,
      timeToExpiryYears,
      rate: this.#options.rate,
      dividendYield: this.#options.dividendYield,
      volatility,
    }).price;

    const scale = volatility * Math.sqrt(Math.max(timeToExpiryYears, 1 / 365));
    const distance = Math.min(Math.abs(Math.log(strike / this.forward(timeToExpiryYears)) / scale), 4);
    const liquidity = Math.exp(-distance);

    const sessionVolumeLots = state.oiLots * ATM_TURNOVER_PER_SESSION * liquidity;
    if (state.volumeDay !== tick.tradingDay) {
      // A new session (or a contract first quoted mid-session): what has traded so far, with noise.
      state.volumeDay = tick.tradingDay;
      state.volumeLots = sessionVolumeLots * cumulativeVolumeShare(tick.phase) * Math.exp(0.2 * this.#random.normal());
      state.reportedVolume = 0;
      state.tradedValue = 0;
    } else if (tick.sessionStep > 0) {
      const share = cumulativeVolumeShare(tick.phase) - tick.previousVolumeShare;
      state.volumeLots += sessionVolumeLots * share * (0.5 + this.#random.uniform());
      state.oiLots *= Math.exp(0.05 * Math.sqrt(tick.sessionStep) * this.#random.normal());
    }

    const halfSpread = Math.max(tickSize, theoretical * (0.004 + 0.02 * (1 - liquidity)));
    const bidPrice = floorToTick(theoretical - halfSpread, tickSize);
    const askPrice = Math.max(ceilToTick(theoretical + halfSpread, tickSize), tickSize);
    const lastPrice = Math.max(
      roundToTick(theoretical + 0.8 * halfSpread * (2 * this.#random.uniform() - 1), tickSize),
      tickSize,
    );
    const depthLots = () => Math.max(1, Math.round(liquidity * 200 * this.#random.uniform()));
    // What traded since the last quote traded at this quote's price (the first quote of a session carries
    // everything before it, the way a feed joined mid-session sees it).
    const volume = Math.round(state.volumeLots) * lotSize;
    if (volume > state.reportedVolume) {
      state.tradedValue += lastPrice * (volume - state.reportedVolume);
      state.reportedVolume = volume;
    }

    return {
      tradingsymbol: toOptionTradingSymbol(this.spec.symbol, listing.expiry.date, listing.expiry.kind, strike, right),
      instrumentToken: null,
      lastPrice,
      bid: bidPrice > 0 ? bidPrice : null,
      ask: askPrice,
      bidQuantity: bidPrice > 0 ? depthLots() * lotSize : 0,
      askQuantity: depthLots() * lotSize,
      volume,
      oi: Math.round(state.oiLots) * lotSize,
      averagePrice: state.reportedVolume > 0 ? state.tradedValue / state.reportedVolume : null,
      lastTradeTime: tick.lastTradeTime,
    };
  }
}

interface Tick {
  readonly asOf: Date;
  readonly tradingDay: string;
  /** Elapsed share of the session, 0 at the open, 1 at (and after) the close. */
  readonly phase: number;
  readonly previousVolumeShare: number;
  /** Share of a session since the previous quote of the same session (0 on a new one). */
  readonly sessionStep: number;
  readonly lastTradeTime: Date;
}

function sessionPhase(session: TradingSession, nowMs: number): number {
  const lengthMs = session.closesAt.getTime() - session.opensAt.getTime();
  return Math.min(1, Math.max(0, (nowMs - session.opensAt.getTime()) / lengthMs));
}

/**
 * Share of a session's volume traded by `phase`: an opening burst, then intensity 1 + a·cos(2π·phase)
 * integrated (U-shaped, heaviest at open and close), reaching 1 at the close.
 */
export function cumulativeVolumeShare(phase: number): number {
  const p = Math.min(1, Math.max(0, phase));
  const u = p + (INTRADAY_U_DEPTH * Math.sin(2 * Math.PI * p)) / (2 * Math.PI);
  return OPENING_VOLUME_SHARE + (1 - OPENING_VOLUME_SHARE) * u;
}

// Prices are kept on the exchange tick grid; the epsilon absorbs binary rounding of k·tick.
function roundToTick(price: number, tick: number): number {
  return Number((Math.round(price / tick) * tick).toFixed(2));
}
function floorToTick(price: number, tick: number): number {
  return Number((Math.floor(price / tick + 1e-9) * tick).toFixed(2));
}
function ceilToTick(price: number, tick: number): number {
  return Number((Math.ceil(price / tick - 1e-9) * tick).toFixed(2));
}
