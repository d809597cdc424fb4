import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { DEFAULT_EXCHANGE_CALENDAR } from '../../src/domain/calendar/default-calendar.ts';
import { INDEX_SPECS, type IndexSymbol } from '../../src/domain/indices.ts';
import { addDays, istWallClockToInstant, toIstDateString } from '../../src/domain/ist-time.ts';
import { createExchangeClock, type MarketClock } from '../../src/domain/market-clock.ts';
import { FakeMarket, type Located, toIstStamp } from './fake-market.ts';
import { encodeIndex, encodeTradable, frame, HEARTBEAT, type TickerMode } from './ticker-packets.ts';

export type RestRoute = 'quote' | 'instruments' | 'profile' | 'session';

/** A failure the next matching request gets instead of its answer. */
export type RestFault =
  | '429'
  | '500'
  | '502-html'
  | '503'
  | 'hang'
  | 'token'
  | 'input'
  | 'text-plain'
  | 'csv-charset'
  | 'malformed-json'
  | 'malformed-quote'
  | 'malformed-csv';

export interface FakeKiteOptions {
  readonly apiKey: string;
  readonly apiSecret: string;
  /** An access token valid from the start (until the next 06:00 IST on the fake's clock). */
  readonly accessToken?: string;
  readonly seed?: string;
  /** The market's session clock; the exchanges' calendar by default, as on Kite (closed at night). */
  readonly clock?: MarketClock;
  readonly rate?: number;
  readonly dividendYield?: number;
  readonly now?: () => Date;
  readonly dumpCsv: string;
  readonly mintListings?: boolean;
  /** Kite's limits by default: quote endpoints 1/s, the rest 10/s, per API key. */
  readonly quoteRequestsPerSecond?: number;
  readonly otherRequestsPerSecond?: number;
  /** Period of streamed ticks; 0 streams nothing unless `pushTicks` is called. */
  readonly tickIntervalMs?: number;
  readonly heartbeatIntervalMs?: number;
}

export interface FakeKiteStats {
  readonly requests: Record<string, number>;
  readonly rateLimited: number;
  /** Arrival times (ms, performance clock) of accepted quote-endpoint requests. */
  readonly quoteArrivals: number[];
  readonly tickerConnections: number;
  readonly refusedHandshakes: number;
  readonly subscribeMessages: number;
}

interface Connection {
  readonly socket: WebSocket;
  readonly modes: Map<number, TickerMode>;
}

/** The user both `/user/profile` and `/session/token` describe. */
const PROFILE = {
  user_type: 'individual',
  email: 'xxxyyy@example.com',
  user_name: 'G6 Fake',
  user_shortname: 'G6',
  broker: 'ZERODHA',
  exchanges: ['NSE', 'NFO', 'BSE', 'BFO'],
  products: ['CNC', 'NRML', 'MIS'],
  order_types: ['MARKET', 'LIMIT', 'SL', 'SL-M'],
  avatar_url: null,
  meta: { demat_consent: 'physical' },
};

const MAX_QUOTE = 500;
const MAX_LTP_OHLC = 1000;
const MAX_TICKER_TOKENS = 3000;

/**
 * A Kite Connect look-alike for tests and demos: REST with Kite's envelopes, headers, limits and error
 * shapes, and the binary ticker WebSocket, backed by the simulated market over the real instruments dump.
 * Faults are switched on per request (`failNext`) or per socket (`dropTickerConnections`, `stallTicker`…).
 */
export class FakeKite {
  readonly market: FakeMarket;
  readonly #options: FakeKiteOptions;
  readonly #now: () => Date;
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #sockets = new Set<Socket>();
  readonly #connections = new Set<Connection>();
  #connectionWaiters: Array<{ count: number; resolve: () => void }> = [];
  readonly #tokens = new Map<string, Date>();
  readonly #requestTokens = new Set<string>();
  readonly #faults: Array<{ route: RestRoute | 'any'; fault: RestFault }> = [];
  readonly #arrivals: Array<{ route: RestRoute; resolve: () => void }> = [];
  readonly #windows = new Map<'quote' | 'other', number[]>([
    ['quote', []],
    ['other', []],
  ]);
  readonly #stats = {
    requests: {} as Record<string, number>,
    rateLimited: 0,
    quoteArrivals: [] as number[],
    tickerConnections: 0,
    refusedHandshakes: 0,
    subscribeMessages: 0,
  };
  readonly #streamingWaiters = new Map<number, Array<() => void>>();
  #refuseHandshakes = 0;
  #stalled = false;
  #tickTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #port = 0;

  constructor(options: FakeKiteOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.market = new FakeMarket({
      seed: options.seed ?? 'g6',
      clock: options.clock ?? createExchangeClock(DEFAULT_EXCHANGE_CALENDAR),
      rate: options.rate ?? 0.065,
      dividendYield: options.dividendYield ?? 0,
      now: this.#now,
      dumpCsv: options.dumpCsv,
      ...(options.mintListings === undefined ? {} : { mintListings: options.mintListings }),
    });
    if (options.accessToken !== undefined) {
      this.#tokens.set(options.accessToken, this.#nextSixAm(this.#now()));
    }
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        this.#send(res, 500, { status: 'error', message: String(error), error_type: 'GeneralException', data: null });
      });
    });
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    this.#wss = new WebSocketServer({ noServer: true });
    this.#server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const ok =
        url.searchParams.get('api_key') === options.apiKey && this.#tokenValid(url.searchParams.get('access_token'));
      if (!ok || this.#refuseHandshakes > 0) {
        if (this.#refuseHandshakes > 0) {
          this.#refuseHandshakes -= 1;
        }
        this.#stats.refusedHandshakes += 1;
        socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nForbidden');
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#onTickerConnection(ws));
    });
  }

  get restUrl(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get tickerUrl(): string {
    return `ws://127.0.0.1:${this.#port}`;
  }

  get stats(): FakeKiteStats {
    return { ...this.#stats, requests: { ...this.#stats.requests }, quoteArrivals: [...this.#stats.quoteArrivals] };
  }

  async start(port = 0, host = '127.0.0.1'): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => resolve());
    });
    this.#port = (this.#server.address() as AddressInfo).port;
    this.#heartbeatTimer = setInterval(() => {
      if (!this.#stalled) {
        for (const c of this.#connections) {
          c.socket.send(HEARTBEAT);
        }
      }
    }, this.#options.heartbeatIntervalMs ?? 1000);
    const tickMs = this.#options.tickIntervalMs ?? 0;
    if (tickMs > 0) {
      this.#tickTimer = setInterval(() => this.pushTicks(), tickMs);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#heartbeatTimer);
    clearInterval(this.#tickTimer);
    for (const c of this.#connections) {
      c.socket.terminate();
    }
    this.#wss.close();
    for (const socket of this.#sockets) {
      socket.destroy();
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // ---- switches -------------------------------------------------------------------------------------

  /** Resolves at the next request on `route` (as it arrives, before it is answered or faulted). */
  whenRequested(route: RestRoute): Promise<void> {
    return new Promise((resolve) => this.#arrivals.push({ route, resolve }));
  }

  /** The next `times` requests on `route` fail with `fault`. */
  failNext(route: RestRoute | 'any', fault: RestFault, times = 1): void {
    for (let i = 0; i < times; i += 1) {
      this.#faults.push({ route, fault });
    }
  }

  /** Kills every access token now, as 06:00 IST or a logout does. */
  expireAllTokens(): void {
    this.#tokens.clear();
  }

  /** A single-use request_token, as Kite's login redirect hands out. */
  issueRequestToken(): string {
    const token = randomBytes(16).toString('hex');
    this.#requestTokens.add(token);
    return token;
  }

  refuseNextHandshakes(count: number): void {
    this.#refuseHandshakes = count;
  }

  /** Server-side close of every ticker socket. */
  dropTickerConnections(): void {
    for (const c of this.#connections) {
      c.socket.terminate();
    }
  }

  /** Stops every ticker frame, heartbeats included, until called with false. */
  stallTicker(stalled: boolean): void {
    this.#stalled = stalled;
  }

  /** Resolves once a ticker connection streams `token` in full mode (subscriptions land asynchronously). */
  whenStreaming(token: number): Promise<void> {
    if ([...this.#connections].some((c) => c.modes.get(token) === 'full')) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#streamingWaiters.set(token, [...(this.#streamingWaiters.get(token) ?? []), resolve]);
    });
  }

  /** Resolves once exactly `count` ticker sockets are open (e.g. 0 after G6 drops its ticker at the close). */
  whenTickerConnections(count: number): Promise<void> {
    if (this.#connections.size === count) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#connectionWaiters.push({ count, resolve }));
  }

  #connectionsChanged(): void {
    const ready = this.#connectionWaiters.filter((w) => w.count === this.#connections.size);
    this.#connectionWaiters = this.#connectionWaiters.filter((w) => w.count !== this.#connections.size);
    for (const waiter of ready) {
      waiter.resolve();
    }
  }

  tickerSubscriptions(): number[] {
    return [...this.#connections].flatMap((c) => [...c.modes.keys()]);
  }

  /** Sends raw bytes (or text) to every ticker socket: malformed frames, error or order messages. */
  sendRaw(data: Buffer | string): void {
    for (const c of this.#connections) {
      c.socket.send(data);
    }
  }

  /**
   * Streams the current state of subscribed instruments (all, or just `tokens`) in each connection's
   * modes. Returns the number of packets sent.
   */
  pushTicks(tokens?: readonly number[]): number {
    if (this.#stalled) {
      return 0;
    }
    let sent = 0;
    const wanted = tokens === undefined ? null : new Set(tokens);
    const resolved = this.market.byToken();
    for (const c of this.#connections) {
      const packets: Buffer[] = [];
      for (const [token, mode] of c.modes) {
        if (wanted !== null && !wanted.has(token)) {
          continue;
        }
        const packet = this.#packet(resolved.get(token), token, mode);
        if (packet !== null) {
          packets.push(packet);
        }
      }
      for (let i = 0; i < packets.length; i += 500) {
        c.socket.send(frame(packets.slice(i, i + 500)));
      }
      sent += packets.length;
    }
    return sent;
  }

  // ---- REST -----------------------------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const route: RestRoute | null = path.startsWith('/quote')
      ? 'quote'
      : path.startsWith('/instruments')
        ? 'instruments'
        : path === '/user/profile'
          ? 'profile'
          : path === '/session/token'
            ? 'session'
            : null;
    this.#stats.requests[path] = (this.#stats.requests[path] ?? 0) + 1;
    for (const waiter of this.#arrivals.filter((a) => a.route === route)) {
      this.#arrivals.splice(this.#arrivals.indexOf(waiter), 1);
      waiter.resolve();
    }
    if (route === null) {
      this.#error(res, 404, 'GeneralException', 'Route not found');
      return;
    }
    const body = req.method === 'POST' ? await readBody(req) : '';
    const faultAt = this.#faults.findIndex((f) => f.route === route || f.route === 'any');
    const fault = faultAt >= 0 ? this.#faults.splice(faultAt, 1)[0]!.fault : null;

    if (!this.#admit(route === 'quote' ? 'quote' : 'other')) {
      this.#stats.rateLimited += 1;
      this.#error(res, 429, 'NetworkException', 'Too many requests');
      return;
    }
    if (route === 'quote') {
      this.#stats.quoteArrivals.push(performance.now());
    }
    if (fault !== null && this.#injectTransportFault(res, fault)) {
      return;
    }
    if (route === 'session') {
      this.#session(req, res, body);
      return;
    }
    if (!this.#authorised(req) || fault === 'token') {
      this.#error(res, 403, 'TokenException', 'Incorrect `api_key` or `access_token`.');
      return;
    }
    if (fault === 'input') {
      this.#error(res, 400, 'InputException', 'Invalid instrument');
      return;
    }
    if (route === 'profile') {
      this.#send(res, 200, { status: 'success', data: { user_id: 'AB1234', ...PROFILE } });
      return;
    }
    if (route === 'instruments') {
      const exchange = path === '/instruments' ? null : path.slice('/instruments/'.length).toUpperCase();
      let csv = this.market.instrumentsCsv(exchange);
      if (fault === 'malformed-csv') {
        const lines = csv.split('\n');
        // Bad rows: a non-numeric token, a short row, a broken expiry, and binary junk.
        lines.splice(1, 0, 'abc,1,BROKEN,NIFTY,0.0,2026-13-45,1.0,0.05,65,CE,NFO-OPT,NFO', 'short,row', '\u0000\u0001');
        csv = lines.join('\n');
      }
      res.writeHead(200, {
        'content-type': fault === 'csv-charset' ? 'text/csv; charset=utf-8' : 'text/csv',
        'content-length': Buffer.byteLength(csv),
      });
      res.end(csv);
      return;
    }
    // Quote endpoints.
    const keys = url.searchParams.getAll('i');
    const limit = path === '/quote' ? MAX_QUOTE : MAX_LTP_OHLC;
    if (keys.length === 0 || keys.length > limit) {
      this.#error(res, 400, 'InputException', `Between 1 and ${limit} instruments are allowed`);
      return;
    }
    const data: Record<string, unknown> = {};
    for (const key of keys) {
      const entry = this.#quoteEntry(key, path);
      if (entry !== null) {
        data[key] = entry;
      }
    }
    if (fault === 'malformed-quote') {
      const first = Object.keys(data).find((k) => /\d(CE|PE)$/.test(k));
      if (first !== undefined) {
        data[first] = { ...(data[first] as object), last_price: 'NaN', oi: null };
      }
    }
    this.#send(res, 200, { status: 'success', data });
  }

  #injectTransportFault(res: ServerResponse, fault: RestFault): boolean {
    switch (fault) {
      case '429':
        this.#error(res, 429, 'NetworkException', 'Too many requests');
        return true;
      case '500':
        this.#error(res, 500, 'GeneralException', 'Something went wrong');
        return true;
      case '502-html': {
        const html = '<html><body><h1>502 Bad Gateway</h1></body></html>';
        res.writeHead(502, 'Bad Gateway', { 'content-type': 'text/html', 'content-length': Buffer.byteLength(html) });
        res.end(html);
        return true;
      }
      case '503':
        this.#error(res, 503, 'NetworkException', 'Service unavailable');
        return true;
      case 'hang':
        // Never answered; `close()` destroys the socket.
        return true;
      case 'text-plain':
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('maintenance');
        return true;
      case 'malformed-json':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"status":"success","data":{"NSE:NIFTY 50":{"last_pri');
        return true;
      default:
        return false;
    }
  }

  #session(req: IncomingMessage, res: ServerResponse, body: string): void {
    if (req.method === 'DELETE') {
      const url = new URL(req.url ?? '/', 'http://fake');
      this.#tokens.delete(url.searchParams.get('access_token') ?? '');
      this.#send(res, 200, { status: 'success', data: true });
      return;
    }
    const form = new URLSearchParams(body);
    const requestToken = form.get('request_token') ?? '';
    const expected = createHash('sha256')
      .update(`${this.#options.apiKey}${requestToken}${this.#options.apiSecret}`)
      .digest('hex');
    if (
      form.get('api_key') !== this.#options.apiKey ||
      form.get('checksum') !== expected ||
      !this.#requestTokens.delete(requestToken)
    ) {
      this.#error(res, 403, 'TokenException', 'Token is invalid or has expired.');
      return;
    }
    const accessToken = randomBytes(16).toString('hex');
    const now = this.#now();
    this.#tokens.set(accessToken, this.#nextSixAm(now));
    this.#send(res, 200, {
      status: 'success',
      data: {
        ...PROFILE,
        user_id: 'AB1234',
        api_key: this.#options.apiKey,
        access_token: accessToken,
        public_token: randomBytes(8).toString('hex'),
        refresh_token: '',
        login_time: toIstStamp(now),
      },
    });
  }

  #quoteEntry(key: string, path: string): Record<string, unknown> | null {
    const located = this.market.locate(key);
    if (located === null) {
      return null;
    }
    const now = this.#now();
    let entry: Record<string, unknown>;
    if (located.kind === 'spot') {
      const price = this.market.spot(located.index);
      const ohlc = this.#indexOhlc(located.index);
      // An index quote carries only the price fields; the rest are zeros, as Kite sends them.
      entry = {
        instrument_token: located.token,
        timestamp: toIstStamp(now),
        last_trade_time: null,
        last_price: price,
        last_quantity: 0,
        buy_quantity: 0,
        sell_quantity: 0,
        volume: 0,
        average_price: 0,
        oi: 0,
        oi_day_high: 0,
        oi_day_low: 0,
        net_change: ohlc.close > 0 ? price - ohlc.close : 0,
        lower_circuit_limit: 0,
        upper_circuit_limit: 0,
        ohlc,
        depth: emptyDepth(),
      };
    } else if (located.kind === 'future') {
      const price = this.market.futuresPrice(located.index, located.expiry);
      if (price === null) {
        return null;
      }
      entry = {
        instrument_token: located.token,
        timestamp: toIstStamp(now),
        last_trade_time: toIstStamp(now),
        last_price: price,
        last_quantity: 0,
        buy_quantity: 0,
        sell_quantity: 0,
        volume: 0,
        average_price: 0,
        oi: 0,
        oi_day_high: 0,
        oi_day_low: 0,
        net_change: 0,
        lower_circuit_limit: 0,
        upper_circuit_limit: 0,
        ohlc: { open: price, high: price, low: price, close: price },
        depth: emptyDepth(),
      };
    } else {
      const quote = this.market.optionQuote(located);
      if (quote === null) {
        return null;
      }
      const lot = INDEX_SPECS[located.index].lotSize;
      const last = quote.lastPrice ?? 0;
      const ohlc = this.market.optionOhlc(located) ?? { open: 0, high: 0, low: 0, close: 0 };
      const depth = emptyDepth();
      if (quote.bid !== null) {
        depth.buy[0] = {
          price: quote.bid,
          quantity: quote.bidQuantity,
          orders: Math.max(1, Math.round(quote.bidQuantity / lot / 3)),
        };
      }
      if (quote.ask !== null) {
        depth.sell[0] = {
          price: quote.ask,
          quantity: quote.askQuantity,
          orders: Math.max(1, Math.round(quote.askQuantity / lot / 3)),
        };
      }
      entry = {
        instrument_token: located.token,
        timestamp: toIstStamp(now),
        last_trade_time: quote.lastTradeTime === null ? null : toIstStamp(quote.lastTradeTime),
        last_price: last,
        last_quantity: lot,
        buy_quantity: quote.bidQuantity * 20,
        sell_quantity: quote.askQuantity * 20,
        volume: quote.volume,
        // Kite's VWAP is in paise; 0 until the first trade.
        average_price: toPaise(quote.averagePrice ?? 0),
        oi: quote.oi,
        oi_day_high: quote.oi,
        oi_day_low: quote.oi,
        net_change: 0,
        lower_circuit_limit: 0.05,
        upper_circuit_limit: Math.round(last * 3 * 20) / 20 + 0.05,
        ohlc,
        depth,
      };
    }
    if (path === '/quote/ltp') {
      return { instrument_token: entry.instrument_token, last_price: entry.last_price };
    }
    if (path === '/quote/ohlc') {
      return { instrument_token: entry.instrument_token, last_price: entry.last_price, ohlc: entry.ohlc };
    }
    return entry;
  }

  // ---- ticker ---------------------------------------------------------------------------------------

  #onTickerConnection(ws: WebSocket): void {
    const connection: Connection = { socket: ws, modes: new Map() };
    this.#connections.add(connection);
    this.#stats.tickerConnections += 1;
    this.#connectionsChanged();
    const gone = () => {
      if (this.#connections.delete(connection)) {
        this.#connectionsChanged();
      }
    };
    ws.on('close', gone);
    ws.on('error', gone);
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        return;
      }
      let message: { a?: unknown; v?: unknown };
      try {
        message = JSON.parse(String(data)) as { a?: unknown; v?: unknown };
      } catch {
        ws.send(JSON.stringify({ type: 'error', data: 'invalid message' }));
        return;
      }
      if (message.a === 'subscribe' && Array.isArray(message.v)) {
        this.#stats.subscribeMessages += 1;
        for (const token of message.v) {
          if (typeof token === 'number' && !connection.modes.has(token)) {
            if (connection.modes.size >= MAX_TICKER_TOKENS) {
              ws.send(
                JSON.stringify({ type: 'error', data: `at most ${MAX_TICKER_TOKENS} instruments per connection` }),
              );
              break;
            }
            connection.modes.set(token, 'quote');
          }
        }
      } else if (message.a === 'unsubscribe' && Array.isArray(message.v)) {
        for (const token of message.v) {
          connection.modes.delete(token as number);
        }
      } else if (message.a === 'mode' && Array.isArray(message.v)) {
        const [mode, tokens] = message.v as [unknown, unknown];
        if ((mode === 'ltp' || mode === 'quote' || mode === 'full') && Array.isArray(tokens)) {
          for (const token of tokens) {
            if (connection.modes.has(token as number)) {
              connection.modes.set(token as number, mode);
              if (mode === 'full') {
                for (const resolve of this.#streamingWaiters.get(token as number) ?? []) {
                  resolve();
                }
                this.#streamingWaiters.delete(token as number);
              }
            }
          }
        }
      }
    });
  }

  #packet(located: Located | undefined, token: number, mode: TickerMode): Buffer | null {
    const seconds = Math.floor(this.#now().getTime() / 1000);
    if (located === undefined) {
      return null;
    }
    if (located.kind === 'spot') {
      return encodeIndex(
        {
          instrumentToken: token,
          lastPrice: this.market.spot(located.index),
          ohlc: this.#indexOhlc(located.index),
          exchangeTimestampSeconds: seconds,
        },
        mode,
      );
    }
    if (located.kind === 'future') {
      return null;
    }
    const quote = this.market.optionQuote(located);
    if (quote === null) {
      return null;
    }
    const last = quote.lastPrice ?? 0;
    const depth = Array.from({ length: 10 }, () => ({ quantity: 0, price: 0, orders: 0 }));
    if (quote.bid !== null) {
      depth[0] = { quantity: quote.bidQuantity, price: quote.bid, orders: 1 };
    }
    if (quote.ask !== null) {
      depth[5] = { quantity: quote.askQuantity, price: quote.ask, orders: 1 };
    }
    return encodeTradable(
      {
        instrumentToken: token,
        lastPrice: last,
        lastTradedQuantity: INDEX_SPECS[located.index].lotSize,
        averageTradedPrice: quote.averagePrice ?? 0,
        volumeTraded: quote.volume,
        totalBuyQuantity: quote.bidQuantity * 20,
        totalSellQuantity: quote.askQuantity * 20,
        ohlc: this.market.optionOhlc(located) ?? { open: 0, high: 0, low: 0, close: 0 },
        lastTradeTimeSeconds: quote.lastTradeTime === null ? 0 : Math.floor(quote.lastTradeTime.getTime() / 1000),
        oi: quote.oi,
        oiDayHigh: quote.oi,
        oiDayLow: quote.oi,
        exchangeTimestampSeconds: seconds,
        depth,
      },
      mode,
    );
  }

  // ---- helpers --------------------------------------------------------------------------------------

  /**
   * Kite's index `ohlc` (close = previous session's close); zeros where the day is unknown, as Kite sends.
   * Unrounded, like the spot the fake serves beside it, so high ≥ last ≥ low holds exactly.
   */
  #indexOhlc(index: IndexSymbol): { open: number; high: number; low: number; close: number } {
    const day = this.market.spotDay(index);
    return day === null
      ? { open: 0, high: 0, low: 0, close: 0 }
      : { open: day.open, high: day.high, low: day.low, close: day.previousClose };
  }

  #nextSixAm(from: Date): Date {
    const today = toIstDateString(from);
    const six = istWallClockToInstant(today, 6, 0);
    return six.getTime() > from.getTime() ? six : istWallClockToInstant(addDays(today, 1), 6, 0);
  }

  #tokenValid(token: string | null): boolean {
    const expiresAt = token === null ? undefined : this.#tokens.get(token);
    return expiresAt !== undefined && this.#now().getTime() < expiresAt.getTime();
  }

  #authorised(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const match = /^token ([^:]+):(.+)$/.exec(header);
    return match !== null && match[1] === this.#options.apiKey && this.#tokenValid(match[2] ?? null);
  }

  /** Sliding one-second window per endpoint group; only admitted requests count. */
  #admit(group: 'quote' | 'other'): boolean {
    const limit =
      group === 'quote' ? (this.#options.quoteRequestsPerSecond ?? 1) : (this.#options.otherRequestsPerSecond ?? 10);
    const window = this.#windows.get(group)!;
    const now = performance.now();
    while (window.length > 0 && now - window[0]! >= 1000) {
      window.shift();
    }
    if (window.length >= limit) {
      return false;
    }
    window.push(now);
    return true;
  }

  #send(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  #error(res: ServerResponse, status: number, errorType: string, message: string): void {
    this.#send(res, status, { status: 'error', message, error_type: errorType, data: null });
  }
}

/** Kite's JSON prices have paise precision, the same as its binary frames. */
function toPaise(price: number): number {
  return Math.round(price * 100) / 100;
}

function emptyDepth(): {
  buy: Array<{ price: number; quantity: number; orders: number }>;
  sell: Array<{ price: number; quantity: number; orders: number }>;
} {
  const level = () => ({ price: 0, quantity: 0, orders: 0 });
  return { buy: [level(), level(), level(), level(), level()], sell: [level(), level(), level(), level(), level()] };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export type { IndexSymbol };
