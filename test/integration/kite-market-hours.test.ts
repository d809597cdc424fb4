import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKiteClient } from '../../src/providers/kite/kite-client.ts';
import { writeTokenFile } from '../../src/providers/kite/token-vault.ts';
import type { FakeKite } from '../fake-kite/fake-kite-server.ts';
import { ACCESS_TOKEN, API_KEY, API_SECRET, fakeClock, startFakeKite } from '../helpers/fake-kite.ts';
import { postGraphQL, startTestApp, type TestApp } from '../helpers/test-app.ts';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) {
    await step();
  }
});

const PASSPHRASE = 'correct horse battery staple';
const TEST_SCRYPT = { N: 2 ** 12, r: 8, p: 1 };

function tokenRecord(accessToken: string, loginTime: Date) {
  return { accessToken, userId: 'AB1234', loginTime: loginTime.toISOString(), apiKey: API_KEY };
}

/** A fresh access token from the fake's session endpoint, exchanged by the real client. */
async function freshAccessToken(fake: FakeKite): Promise<string> {
  const client = createKiteClient({ apiKey: API_KEY, accessToken: null, root: fake.restUrl, timeoutMs: 2000 });
  return (await client.generateSession(fake.issueRequestToken(), API_SECRET)).accessToken;
}

const STATE_QUERY = `{
  index(symbol: NIFTY) { stale marketStatus { state nextOpenAt } }
  overview(index: NIFTY) { timestamp seq marketState tradingDay pcrOiChange }
  serverInfo { collectors { index resting resumesAt } }
}`;

async function restChecks(app: TestApp): Promise<number> {
  const text = await (await fetch(`${app.httpUrl}/metrics`)).text();
  const match = /^g6_collection_rest_checks_total\{index="NIFTY"\} (\d+)/m.exec(text);
  return match === null ? 0 : Number(match[1]);
}

/** Waits until the collector has looked at the (closed) clock `n` more times. */
async function restChecksPass(app: TestApp, n: number): Promise<void> {
  const target = (await restChecks(app)) + n;
  while ((await restChecks(app)) < target) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function kiteEnv(fake: { restUrl: string; tickerUrl: string }, dataDir: string): Record<string, string> {
  return {
    G6_INDICES: 'NIFTY',
    G6_COLLECTION_INTERVAL: '0.2',
    G6_DATA_DIR: dataDir,
    KITE_API_KEY: API_KEY,
    KITE_ACCESS_TOKEN: ACCESS_TOKEN,
    G6_KITE_ROOT: fake.restUrl,
    G6_KITE_TICKER_ROOT: fake.tickerUrl,
  };
}

describe('G6 on Kite follows the market session', () => {
  it('takes one closing snapshot, then makes no Kite request and drops the ticker until the pre-open', async () => {
    const clock = fakeClock('2026-12-02T10:05:00Z'); // 15:35 IST, Wednesday: NSE F&O trades until 15:40
    const fake = await startFakeKite({ now: clock.now });
    cleanup.push(() => fake.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'g6-hours-kite-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const tokenFile = join(dataDir, 'token.enc');
    await writeTokenFile(tokenFile, tokenRecord(ACCESS_TOKEN, clock.now()), PASSPHRASE, TEST_SCRYPT);
    const { KITE_ACCESS_TOKEN: _fromVault, ...env } = kiteEnv(fake, dataDir);
    const app = await startTestApp(
      { ...env, G6_TOKEN_PASSPHRASE: PASSPHRASE, G6_TOKEN_FILE: tokenFile },
      { now: clock.now, clockCheckMs: 20 },
    );
    cleanup.push(() => app.stop());
    await app.waitForLog((l) => l.msg === 'collected' && l.index === 'NIFTY');
    await fake.whenTickerConnections(1);

    clock.set('2026-12-02T10:10:30Z'); // 15:40:30 IST: closed
    // Ticks straggling in after the close are live data, not the closing snapshot the store must keep.
    fake.pushTicks();
    await app.waitForLog((l) => l.msg === 'market closed: collection resting' && l.index === 'NIFTY');
    expect(
      app.logLines.some(
        (l) => l.includes('"msg":"collected"') && l.includes('"observedAt":"2026-12-02T10:10:30.000Z"'),
      ),
    ).toBe(true);
    await fake.whenTickerConnections(0);
    const closing = await postGraphQL(app.httpUrl, STATE_QUERY);
    expect(closing.errors).toBeUndefined();
    const overview = closing.data!.overview as Record<string, unknown>;
    // The snapshot after the close is the session's closing one.
    expect(overview.timestamp).toBe('2026-12-02T10:10:30.000Z');
    expect(overview.marketState).toBe('CLOSED');
    expect(overview.tradingDay).toBe('2026-12-02');
    expect((closing.data!.serverInfo as { collectors: unknown[] }).collectors).toEqual([
      { index: 'NIFTY', resting: true, resumesAt: '2026-12-03T03:30:00.000Z' }, // 09:00 IST pre-open
    ]);

    // Through the night: the collector keeps looking at the clock and never calls Kite.
    const requestsAtClose = { ...fake.stats.requests };
    const connectionsAtClose = fake.stats.tickerConnections;
    clock.set('2026-12-02T15:30:00Z'); // 21:00 IST
    await restChecksPass(app, 5);
    const night = await postGraphQL(app.httpUrl, STATE_QUERY);
    expect((night.data!.index as { stale: boolean }).stale).toBe(false);
    const ready = await fetch(`${app.httpUrl}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, marketOpen: false });
    clock.set('2026-12-03T03:29:59Z'); // 08:59:59 IST
    await restChecksPass(app, 5);
    expect(fake.stats.requests).toEqual(requestsAtClose);
    expect(fake.stats.tickerConnections).toBe(connectionsAtClose);
    const seqAtClose = overview.seq as number;
    expect(((await postGraphQL(app.httpUrl, STATE_QUERY)).data!.overview as { seq: number }).seq).toBe(seqAtClose);

    // 06:00 IST killed the token overnight; the morning `g6 login` stores a fresh one in the vault.
    clock.set('2026-12-03T03:00:00Z'); // 08:30 IST
    await writeTokenFile(tokenFile, tokenRecord(await freshAccessToken(fake), clock.now()), PASSPHRASE, TEST_SCRYPT);
    await app.waitForLog((l) => l.msg === 'Kite access token accepted' && l.expiresAt === '2026-12-04T00:30:00.000Z');
    expect(fake.stats.requests['/quote'] ?? 0).toBe(requestsAtClose['/quote'] ?? 0);

    clock.set('2026-12-03T03:30:00Z'); // 09:00 IST: pre-open, collection and the ticker resume
    await app.waitForLog((l) => l.msg === 'market session: collection resumed' && l.index === 'NIFTY');
    // Resumed at the pre-open: ready, the market counts as open, and yesterday's close is not yet stale.
    const preOpen = await fetch(`${app.httpUrl}/ready`);
    expect(preOpen.status).toBe(200);
    expect(await preOpen.text()).not.toContain('"marketOpen":false');
    expect(((await postGraphQL(app.httpUrl, STATE_QUERY)).data!.index as { stale: boolean }).stale).toBe(false);
    await fake.whenTickerConnections(1);
    await app.waitForLog((l) => l.msg === 'collected' && l.index === 'NIFTY' && (l.seq as number) > seqAtClose);
    expect(fake.stats.requests['/quote'] ?? 0).toBeGreaterThan(requestsAtClose['/quote'] ?? 0);
  });

  it('started while closed, serves the stored closing snapshot without asking Kite for quotes', async () => {
    const clock = fakeClock('2026-12-02T08:30:00Z'); // 14:00 IST
    const fake = await startFakeKite({ now: clock.now });
    cleanup.push(() => fake.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'g6-hours-kite-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await startTestApp(kiteEnv(fake, dataDir), { now: clock.now, clockCheckMs: 20 });
    await first.waitForLog((l) => l.msg === 'collected' && l.index === 'NIFTY');
    clock.set('2026-12-02T10:09:00Z'); // 15:39 IST: OI has moved since 14:00
    await first.waitForLog((l) => l.msg === 'collected' && l.observedAt === '2026-12-02T10:09:00.000Z');
    clock.set('2026-12-02T10:10:05Z'); // 15:40:05 IST
    await first.waitForLog((l) => l.msg === 'market closed: collection resting');
    const stored = (await postGraphQL(first.httpUrl, STATE_QUERY)).data!.overview as Record<string, unknown>;
    await first.stop();

    clock.set('2026-12-02T16:30:00Z'); // 22:00 IST
    const quotesBefore = fake.stats.requests['/quote'] ?? 0;
    const connectionsBefore = fake.stats.tickerConnections;
    const second = await startTestApp(kiteEnv(fake, dataDir), { now: clock.now, clockCheckMs: 20 });
    cleanup.push(() => second.stop());
    await second.waitForLog((l) => l.msg === 'market closed: serving the stored closing snapshot');
    await second.waitForLog((l) => l.msg === 'market closed: collection resting');
    const served = (await postGraphQL(second.httpUrl, STATE_QUERY)).data!.overview as Record<string, unknown>;
    // The same close, with the day's OI change counted from the session's first stored snapshot.
    expect(stored.pcrOiChange).not.toBeNull();
    expect(served).toEqual(stored);
    expect(fake.stats.requests['/quote'] ?? 0).toBe(quotesBefore);
    // Started closed, the ticker never connects.
    expect(fake.stats.tickerConnections).toBe(connectionsBefore);
    expect(second.logLines.some((l) => l.includes('"msg":"collected"'))).toBe(false);
  });

  it('started while closed with several indices, never opens the ticker while they take their snapshots', async () => {
    const clock = fakeClock('2026-12-02T16:30:00Z'); // 22:00 IST
    const fake = await startFakeKite({ now: clock.now });
    cleanup.push(() => fake.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'g6-hours-kite-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const app = await startTestApp(
      { ...kiteEnv(fake, dataDir), G6_INDICES: 'NIFTY,SENSEX' },
      { now: clock.now, clockCheckMs: 20 },
    );
    cleanup.push(() => app.stop());
    await app.waitForLog((l) => l.msg === 'market closed: collection resting' && l.index === 'NIFTY');
    await app.waitForLog((l) => l.msg === 'market closed: collection resting' && l.index === 'SENSEX');
    await restChecksPass(app, 3);
    expect(fake.stats.tickerConnections).toBe(0);
    expect(fake.stats.requests['/quote'] ?? 0).toBeGreaterThan(0);
  });
});
