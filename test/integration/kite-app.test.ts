import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runLogin } from '../../src/cli/login.ts';
import { createGuardedKiteConnect } from '../../src/providers/kite/kite-client.ts';
import { readTokenFile } from '../../src/providers/kite/token-vault.ts';
import { ACCESS_TOKEN, API_KEY, API_SECRET, fakeClock, startFakeKite, tempDir } from '../helpers/fake-kite.ts';
import { postGraphQL, startTestApp, subscribe, type TestApp } from '../helpers/test-app.ts';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) {
    await step();
  }
});

const CHAIN_QUERY = /* GraphQL */ `
  query ($index: IndexSymbol!, $expiry: Date) {
    optionChain(index: $index, expiry: $expiry) {
      index expiry expiryKind timestamp spot timeToExpiryYears atmStrike stale
      methodology { model forward forwardSourceUsed timeToExpiryYears }
      overview { pcrOi pcrVolume maxPainStrike atmIv atmStraddle totalGammaExposure gammaFlipLevel sentimentScore dataQuality { score } }
      strikes {
        strike gammaExposure
        call { tradingsymbol lastPrice lastTradeTime bid ask volume oi iv ivStatus delta gamma thetaPerDay vegaPerVolPoint }
        put { tradingsymbol lastPrice lastTradeTime bid ask volume oi iv ivStatus delta gamma thetaPerDay vegaPerVolPoint }
      }
    }
  }
`;

/** Waits for the app's log line of its first collection of `index`. */
function firstSnapshot(app: TestApp, index: string): Promise<unknown> {
  return app.waitForLog((line) => line.msg === 'collected' && line.index === index);
}

describe('G6 on Kite (through the fake) versus G6 on the simulated market', () => {
  it('serves the same GraphQL results for the same market and instant', async () => {
    // 10:30 IST on a trading day; the clock stands still so both see one instant.
    const clock = fakeClock('2026-11-26T05:00:00Z');
    const fake = await startFakeKite({
      now: clock.now,
      seed: 'same-market',
    });
    cleanup.push(() => fake.close());
    const common = { G6_SEED: 'same-market', G6_INDICES: 'NIFTY,BANKNIFTY', G6_COLLECTION_INTERVAL: '3600' };
    const kite = await startTestApp(
      {
        ...common,
        KITE_API_KEY: API_KEY,
        KITE_ACCESS_TOKEN: ACCESS_TOKEN,
        G6_KITE_ROOT: fake.restUrl,
        G6_KITE_TICKER_ROOT: fake.tickerUrl,
        G6_KITE_TICKER: 'false',
      },
      { now: clock.now },
    );
    cleanup.push(() => kite.stop());
    const simulated = await startTestApp(
      { ...common, G6_MOCK_MODE: 'true', G6_SIM_CLOCK: 'exchange' },
      { now: clock.now },
    );
    cleanup.push(() => simulated.stop());
    await Promise.all([firstSnapshot(kite, 'NIFTY'), firstSnapshot(simulated, 'NIFTY')]);
    await Promise.all([firstSnapshot(kite, 'BANKNIFTY'), firstSnapshot(simulated, 'BANKNIFTY')]);

    let compared = 0;
    for (const index of ['NIFTY', 'BANKNIFTY']) {
      const info = await postGraphQL(simulated.httpUrl, `{ index(symbol: ${index}) { expiries } }`);
      const expiries = (info.data?.index as { expiries: string[] }).expiries;
      expect(expiries.length).toBeGreaterThanOrEqual(3);
      for (const expiry of expiries) {
        const [a, b] = await Promise.all([
          postGraphQL(kite.httpUrl, CHAIN_QUERY, { index, expiry }),
          postGraphQL(simulated.httpUrl, CHAIN_QUERY, { index, expiry }),
        ]);
        expect(a.errors).toBeUndefined();
        expect(a.data).toEqual(b.data);
        compared += (a.data?.optionChain as { strikes: unknown[] }).strikes.length;
      }
    }
    expect(compared).toBeGreaterThan(400);

    // Kite's average_price reaches the chain and the straddle: the fake's VWAP (rounded to paise, as Kite
    // sends it) against the simulated market's own.
    const ATM = `{ optionChain(index: NIFTY, expiryTag: THIS_WEEK, offsets: [0]) { strikes { strike
      call { lastPrice averagePrice } put { lastPrice averagePrice } } } }`;
    const [kiteAtm, simulatedAtm] = await Promise.all([
      postGraphQL(kite.httpUrl, ATM),
      postGraphQL(simulated.httpUrl, ATM),
    ]);
    type Leg = { lastPrice: number; averagePrice: number };
    const rowOf = (r: typeof kiteAtm) =>
      (r.data!.optionChain as { strikes: Array<{ strike: number; call: Leg; put: Leg }> }).strikes[0]!;
    const [k, m] = [rowOf(kiteAtm), rowOf(simulatedAtm)];
    expect(k.strike).toBe(m.strike);
    for (const side of ['call', 'put'] as const) {
      expect(k[side].averagePrice).toBeGreaterThan(0);
      expect(Math.abs(k[side].averagePrice - m[side].averagePrice)).toBeLessThanOrEqual(0.005 + 1e-9);
    }
    const straddles = subscribe<{ straddleUpdated: { points: Array<{ strike: number; tp: number; avgTp: number }> } }>(
      kite.wsUrl,
      'subscription { straddleUpdated(index: NIFTY, expiryTag: THIS_WEEK, offsets: [0]) { points { strike tp avgTp } } }',
    );
    cleanup.push(() => straddles.close());
    const [point] = (await straddles.next()).data!.straddleUpdated.points;
    expect(point!.strike).toBe(k.strike);
    expect(point!.tp).toBeCloseTo(k.call.lastPrice + k.put.lastPrice, 9);
    expect(point!.avgTp).toBeCloseTo(k.call.averagePrice + k.put.averagePrice, 9);
    const info = await postGraphQL(kite.httpUrl, '{ serverInfo { provider providerReady } }');
    expect(info.data?.serverInfo).toEqual({ provider: 'kite', providerReady: true });
  });
});

describe('G6 on Kite: live ticks, token expiry and secrets', () => {
  it('pushes ticks to subscribers, goes unready and stale at 06:00 IST, and never logs a secret', async () => {
    const clock = fakeClock('2026-11-26T00:29:00Z'); // 05:59 IST
    const fake = await startFakeKite({ now: clock.now });
    cleanup.push(() => fake.close());
    const passphrase = 'a passphrase nobody should ever see';
    const consoleLog = vi.spyOn(console, 'log');
    const app = await startTestApp(
      {
        G6_INDICES: 'NIFTY',
        G6_COLLECTION_INTERVAL: '3600',
        KITE_API_KEY: API_KEY,
        KITE_API_SECRET: API_SECRET,
        KITE_ACCESS_TOKEN: ACCESS_TOKEN,
        G6_TOKEN_PASSPHRASE: passphrase,
        G6_KITE_ROOT: fake.restUrl,
        G6_KITE_TICKER_ROOT: fake.tickerUrl,
        G6_LIVE_UPDATES_PER_SECOND: '50',
        // 05:59 IST is outside market hours; this test is about ticks and the token, not the session.
        G6_COLLECT_OUTSIDE_HOURS: 'true',
      },
      { now: clock.now },
    );
    cleanup.push(() => app.stop());
    await firstSnapshot(app, 'NIFTY');

    const chain = await postGraphQL(
      app.httpUrl,
      '{ optionChain(index: NIFTY, strikesAroundAtm: 0) { seq strikes { call { instrumentToken lastPrice } } } }',
    );
    const atm = (chain.data?.optionChain as { strikes: Array<{ call: { instrumentToken: number } }> }).strikes[0]!.call;
    const stream = subscribe<{ optionChainUpdated: { seq: number; strikes: Array<{ call: { lastPrice: number } }> } }>(
      app.wsUrl,
      'subscription { optionChainUpdated(index: NIFTY, strikesAroundAtm: 0) { seq strikes { call { lastPrice } } } }',
    );
    cleanup.push(() => stream.close());
    const current = await stream.next();
    expect(current.data?.optionChainUpdated.seq).toBeGreaterThanOrEqual(1);
    fake.market.overrides.set(atm.instrumentToken, 777.7);
    await fake.whenStreaming(atm.instrumentToken);
    expect(fake.pushTicks([atm.instrumentToken])).toBeGreaterThan(0);
    for (;;) {
      const event = await stream.next();
      if (event.data?.optionChainUpdated.strikes[0]?.call.lastPrice === 777.7) {
        break;
      }
    }

    // 06:00 IST: the token dies. The API keeps serving the last snapshot, marked stale; /ready says why.
    clock.set('2026-11-26T00:30:00Z');
    const ready = await fetch(`${app.httpUrl}/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { problems: string[] }).problems.join(' ')).toMatch(/expired/);
    const stale = await postGraphQL(
      app.httpUrl,
      '{ optionChain(index: NIFTY) { stale spot } serverInfo { providerReady } }',
    );
    expect(stale.data).toMatchObject({ optionChain: { stale: true }, serverInfo: { providerReady: false } });
    expect((stale.data?.optionChain as { spot: number }).spot).toBeGreaterThan(0);

    // A Kite call failing with the token in play: even with the client's debug forced on, nothing prints.
    const raw = createGuardedKiteConnect({ apiKey: API_KEY, root: fake.restUrl, timeoutMs: 2000 });
    (raw as unknown as { debug: boolean }).debug = true;
    raw.setAccessToken(ACCESS_TOKEN);
    fake.expireAllTokens();
    await raw.getProfile().catch(() => undefined);
    expect(consoleLog).not.toHaveBeenCalled();
    consoleLog.mockRestore();
    const logs = app.logLines.join('\n');
    expect(logs).toMatch(/Kite access token unusable/);
    for (const secret of [ACCESS_TOKEN, API_SECRET, passphrase]) {
      expect(logs).not.toContain(secret);
    }
  });

  it('g6 login exchanges a request token and stores it encrypted; nothing secret is printed', async () => {
    const fake = await startFakeKite();
    cleanup.push(() => fake.close());
    const dir = tempDir();
    cleanup.push(() => dir.remove());
    const tokenFile = `${dir.path}/kite/token.enc`;
    const passphrase = 'login test passphrase';
    const out = new PassThrough();
    const err = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c) => chunks.push(String(c)));
    err.on('data', (c) => chunks.push(String(c)));
    const stdin = new PassThrough();
    const requestToken = fake.issueRequestToken();
    stdin.end(`${requestToken}\n`);
    const env = {
      KITE_API_KEY: API_KEY,
      KITE_API_SECRET: API_SECRET,
      G6_TOKEN_PASSPHRASE: passphrase,
      G6_TOKEN_FILE: tokenFile,
      G6_KITE_ROOT: fake.restUrl,
    };
    expect(await runLogin([], env, { stdin, stdout: out, stderr: err })).toBe(0);
    const printed = chunks.join('');
    expect(printed).toContain(`https://kite.zerodha.com/connect/login?api_key=${API_KEY}&v=3`);
    expect(printed).toMatch(/Stored the access token for AB1234/);
    const stored = await readTokenFile(tokenFile, passphrase);
    expect(stored?.accessToken).toMatch(/^[0-9a-f]{32}$/);
    for (const secret of [API_SECRET, passphrase, stored!.accessToken]) {
      expect(printed).not.toContain(secret);
    }
    // The request token is single-use: a second exchange fails cleanly with Kite's message.
    const again = await runLogin([requestToken], env, { stdin: new PassThrough(), stdout: out, stderr: err });
    expect(again).toBe(1);
    expect(chunks.join('')).toMatch(/TokenException: Token is invalid or has expired/);
    // Missing settings are named.
    expect(
      await runLogin([requestToken], { KITE_API_KEY: API_KEY }, { stdin: new PassThrough(), stdout: out, stderr: err }),
    ).toBe(2);
    expect(chunks.join('')).toMatch(/KITE_API_SECRET, G6_TOKEN_PASSPHRASE must be set/);
  });
});
