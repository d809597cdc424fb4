import { afterEach, describe, expect, it } from 'vitest';
import { AppError, ERROR_CODES } from '../../src/domain/errors.ts';
import type { IndexSymbol } from '../../src/domain/indices.ts';
import type { IndexMarketData } from '../../src/domain/market-data.ts';
import type { KiteRequestOutcome } from '../../src/providers/kite/kite-client.ts';
import { createKiteClient } from '../../src/providers/kite/kite-client.ts';
import type { KiteProvider, KiteProviderOptions } from '../../src/providers/kite/kite-provider.ts';
import { writeTokenFile } from '../../src/providers/kite/token-vault.ts';
import type { FakeKite, FakeKiteOptions } from '../fake-kite/fake-kite-server.ts';
import { fakeClock, kiteProviderFor, startFakeKite, tempDir } from '../helpers/fake-kite.ts';

/** 10:30 IST on Monday 17 Aug 2026, the day the real instruments dump was taken. */
const DUMP_DAY = '2026-08-17T05:00:00Z';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) {
    await step();
  }
});

async function setUp(options: { fake?: Partial<FakeKiteOptions>; provider?: Partial<KiteProviderOptions> } = {}) {
  const clock = fakeClock(DUMP_DAY);
  const fake = await startFakeKite({
    now: clock.now,
    quoteRequestsPerSecond: 100,
    otherRequestsPerSecond: 100,
    ...options.fake,
  });
  cleanup.push(() => fake.close());
  const dir = tempDir();
  cleanup.push(() => dir.remove());
  const outcomes: KiteRequestOutcome[] = [];
  const malformed: IndexSymbol[] = [];
  const provider = kiteProviderFor(fake, {
    cacheDir: dir.path,
    now: clock.now,
    quoteRequestsPerSecond: 50,
    events: { onRequest: (_e, outcome) => outcomes.push(outcome), onMalformedQuote: (i) => malformed.push(i) },
    ...options.provider,
  });
  cleanup.push(() => provider.close());
  await provider.start?.();
  return { clock, fake, provider, outcomes, malformed, dir };
}

const fetch = (provider: KiteProvider, index: IndexSymbol) => provider.fetchIndex(index, new AbortController().signal);

function contracts(data: IndexMarketData): number {
  return data.expiries.reduce((n, e) => n + e.strikes.reduce((m, s) => m + (s.call ? 1 : 0) + (s.put ? 1 : 0), 0), 0);
}

describe('Kite provider against the fake, through the real kiteconnect client', () => {
  it('collects every index within Kite’s real quote limit (1 request/s) without a single 429', async () => {
    const { fake, provider } = await setUp({
      fake: { quoteRequestsPerSecond: 1, otherRequestsPerSecond: 10 },
      provider: { indices: ['NIFTY', 'BANKNIFTY', 'FINNIFTY', 'MIDCPNIFTY', 'SENSEX'], quoteRequestsPerSecond: 1 },
    });
    const all: IndexMarketData[] = [];
    for (const index of ['NIFTY', 'BANKNIFTY', 'FINNIFTY', 'MIDCPNIFTY', 'SENSEX'] as const) {
      all.push(await fetch(provider, index));
    }
    expect(fake.stats.rateLimited).toBe(0);
    const arrivals = fake.stats.quoteArrivals;
    for (let i = 1; i < arrivals.length; i += 1) {
      expect(arrivals[i]! - arrivals[i - 1]!).toBeGreaterThanOrEqual(1000);
    }
    for (const data of all) {
      // Spot is the simulated market's, and every expiry carries a ±30-strike window (+ margin).
      expect(data.spot).toBe(fake.market.spot(data.index));
      expect(data.expiries.length).toBeGreaterThan(0);
      for (const expiry of data.expiries) {
        expect(expiry.strikes.length).toBeGreaterThanOrEqual(30);
      }
    }
    const nifty = all[0]!;
    // NIFTY on 17 Aug 2026: weeklies 08-18, 09-01, 09-08, 09-15; monthlies 08-25, 09-29, 10-27 (real dump).
    expect(nifty.expiries.map((e) => `${e.expiry}:${e.kind}`)).toEqual([
      '2026-08-18:WEEKLY',
      '2026-08-25:MONTHLY',
      '2026-09-01:WEEKLY',
      '2026-09-08:WEEKLY',
      '2026-09-15:WEEKLY',
      '2026-09-29:MONTHLY',
      '2026-10-27:MONTHLY',
    ]);
    // A contract the dump lists keeps its real token (dump row 11546626 = NIFTY2681824350CE).
    const row = nifty.expiries[0]!.strikes.find((s) => s.strike === 24350);
    expect(row?.call?.instrumentToken).toBe(11546626);
    expect(row?.call?.tradingsymbol).toBe('NIFTY2681824350CE');
    // Monthlies carry the future's price.
    expect(nifty.expiries[1]!.futuresPrice).toBe(fake.market.futuresPrice('NIFTY', '2026-08-25'));
    expect(all.reduce((n, d) => n + contracts(d), 0)).toBeGreaterThan(2500);
  });

  it('retries 429, 5xx, HTML errors, timeouts and malformed bodies, then delivers the chain', async () => {
    const { fake, provider, outcomes } = await setUp({ provider: { requestTimeoutMs: 300 } });
    fake.failNext('instruments', 'csv-charset');
    fake.failNext('quote', '429');
    fake.failNext('quote', '502-html');
    fake.failNext('quote', 'hang');
    const first = await fetch(provider, 'NIFTY');
    expect(contracts(first)).toBeGreaterThan(400);
    fake.failNext('quote', '503');
    fake.failNext('quote', 'text-plain');
    fake.failNext('quote', 'malformed-json');
    const second = await fetch(provider, 'NIFTY');
    expect(contracts(second)).toBe(contracts(first));
    fake.failNext('quote', '500');
    await fetch(provider, 'NIFTY');
    expect(outcomes.filter((o) => o === 'retried')).toHaveLength(8);
    expect(outcomes).not.toContain('failed');
  });

  it('gives up after its attempts with a retryable error the loop backs off on', async () => {
    const { fake, provider } = await setUp();
    await fetch(provider, 'NIFTY');
    fake.failNext('quote', '503', 4);
    const error = await fetch(provider, 'NIFTY').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe(ERROR_CODES.PROVIDER_UNAVAILABLE);
    expect((error as AppError).retryable).toBe(true);
  });

  it('leaves out a malformed quote and a malformed dump row, keeping the chain', async () => {
    const { fake, provider, malformed } = await setUp();
    fake.failNext('instruments', 'malformed-csv');
    const clean = await fetch(provider, 'NIFTY');
    fake.failNext('quote', 'malformed-quote');
    const dirty = await fetch(provider, 'NIFTY');
    expect(malformed).toEqual(['NIFTY']);
    expect(contracts(dirty)).toBe(contracts(clean) - 1);
    expect(dirty.expiries.length).toBe(clean.expiries.length);
  });

  it('carries each contract’s VWAP and the index’s day as the fake computed them', async () => {
    const { fake, provider, clock } = await setUp();
    const paise = (price: number) => Math.round(price * 100) / 100;
    await fetch(provider, 'NIFTY');
    // Ten minutes on the market has traded at several prices: the VWAP is no longer any one quote's.
    clock.set('2026-08-17T05:10:00Z');
    const data = await fetch(provider, 'NIFTY');
    const truth = fake.market.data('NIFTY');
    const simulated = new Map(
      truth.expiries
        .flatMap((e) => e.strikes.flatMap((s) => [s.call, s.put]))
        .flatMap((q) => (q ? [[q.tradingsymbol, q]] : [])),
    );
    let averaged = 0;
    let apart = 0;
    for (const q of data.expiries.flatMap((e) => e.strikes.flatMap((s) => [s.call, s.put]))) {
      if (q === null) {
        continue;
      }
      const expected = simulated.get(q.tradingsymbol)!.averagePrice;
      expect(q.averagePrice, q.tradingsymbol).toBe(expected === null ? null : paise(expected));
      if (q.averagePrice !== null) {
        averaged += 1;
        if (Math.abs(q.averagePrice - q.lastPrice!) >= 0.05) {
          apart += 1;
        }
      }
    }
    expect(averaged).toBeGreaterThan(400);
    expect(apart).toBeGreaterThan(100);
    // The index quote's ohlc arrives as the day (close = the previous session's close).
    const day = fake.market.spotDay('NIFTY')!;
    expect(data.spotDay).toEqual(day);
    expect(day.high).toBeGreaterThan(day.low);
    expect(data.spotDay!.high).toBeGreaterThanOrEqual(data.spot);
    expect(data.spotDay!.low).toBeLessThanOrEqual(data.spot);
  });

  it('caches the day’s instruments on disk and reloads them once 08:00 IST has passed', async () => {
    const { fake, provider, clock, dir } = await setUp();
    clock.set('2026-08-17T02:20:00Z'); // 07:50 IST
    await fetch(provider, 'NIFTY');
    expect(fake.stats.requests['/instruments/NFO']).toBe(1);
    // A second provider on the same data dir starts from the cache: no download.
    const again = kiteProviderFor(fake, { cacheDir: dir.path, now: clock.now, quoteRequestsPerSecond: 50 });
    cleanup.push(() => again.close());
    await again.start?.();
    await fetch(again, 'NIFTY');
    expect(fake.stats.requests['/instruments/NFO']).toBe(1);
    clock.set('2026-08-17T02:29:00Z'); // 07:59 IST: the dump has not been regenerated yet
    await fetch(again, 'NIFTY');
    expect(fake.stats.requests['/instruments/NFO']).toBe(1);
    clock.set('2026-08-17T02:31:00Z'); // 08:01 IST
    await fetch(again, 'NIFTY');
    expect(fake.stats.requests['/instruments/NFO']).toBe(2);
  });
});

describe('Kite access token lifecycle', () => {
  it('stops asking Kite at 06:00 IST, stays unready, and resumes when a new token is stored', async () => {
    const dir = tempDir();
    cleanup.push(() => dir.remove());
    const clock = fakeClock('2026-08-18T00:29:58Z'); // 05:59:58 IST
    const fake = await startFakeKite({ now: clock.now, quoteRequestsPerSecond: 100 });
    cleanup.push(() => fake.close());
    const tokenFile = `${dir.path}/token.enc`;
    const states: string[] = [];
    let onValid: (() => void) | null = null;
    const provider = kiteProviderFor(fake, {
      cacheDir: dir.path,
      now: clock.now,
      tokenFile,
      passphrase: 'correct horse battery staple',
      tokenWatchIntervalMs: 20,
      quoteRequestsPerSecond: 50,
      events: {
        onTokenState: (state) => {
          states.push(state.status);
          if (state.status === 'valid') {
            onValid?.();
          }
        },
      },
    });
    cleanup.push(() => provider.close());
    await provider.start?.();
    await fetch(provider, 'NIFTY');
    expect(provider.health?.().ready).toBe(true);

    clock.set('2026-08-18T00:30:00Z'); // 06:00 IST
    const before = fake.stats.quoteArrivals.length;
    for (let i = 0; i < 3; i += 1) {
      const error = (await fetch(provider, 'NIFTY').catch((e: unknown) => e)) as AppError;
      expect(error.code).toBe(ERROR_CODES.PROVIDER_UNAUTHENTICATED);
      expect(error.retryable).toBe(false);
    }
    // No hot loop: not one request reached Kite after expiry.
    expect(fake.stats.quoteArrivals.length).toBe(before);
    const health = provider.health?.();
    expect(health?.ready).toBe(false);
    expect(health?.problems.join(' ')).toMatch(/expired .*06:00 IST.*g6 login/);

    // `g6 login` stores a fresh token; the running provider picks it up from the vault.
    clock.set('2026-08-18T03:00:00Z'); // 08:30 IST
    const session = await freshAccessToken(fake);
    const valid = new Promise<void>((resolve) => {
      onValid = resolve;
    });
    await writeTokenFile(
      tokenFile,
      { accessToken: session, userId: 'AB1234', loginTime: clock.now().toISOString(), apiKey: 'g6testkey' },
      'correct horse battery staple',
      { N: 2 ** 12, r: 8, p: 1 },
    );
    await valid;
    expect(states).toEqual(['valid', 'expired', 'valid']);
    expect(provider.health?.().ready).toBe(true);
    const resumed = await fetch(provider, 'NIFTY');
    expect(contracts(resumed)).toBeGreaterThan(400);
  });

  it('treats a TokenException as final: no retries, no further requests until a new token', async () => {
    const { fake, provider, outcomes } = await setUp();
    await fetch(provider, 'NIFTY');
    fake.expireAllTokens();
    const error = (await fetch(provider, 'NIFTY').catch((e: unknown) => e)) as AppError;
    expect(error.code).toBe(ERROR_CODES.PROVIDER_UNAUTHENTICATED);
    expect(outcomes.filter((o) => o === 'token')).toHaveLength(1);
    const arrivals = fake.stats.quoteArrivals.length;
    await fetch(provider, 'NIFTY').catch(() => undefined);
    expect(fake.stats.quoteArrivals.length).toBe(arrivals);
    expect(provider.health?.().problems.join(' ')).toMatch(/rejected the access token/);
  });
});

/** A fresh access token from the fake's session endpoint, exchanged by the real client. */
async function freshAccessToken(fake: FakeKite): Promise<string> {
  const client = createKiteClient({ apiKey: 'g6testkey', accessToken: null, root: fake.restUrl, timeoutMs: 2000 });
  const session = await client.generateSession(fake.issueRequestToken(), 'g6-test-secret-4f1d');
  return session.accessToken;
}
