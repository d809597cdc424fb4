/**
 * Tick-to-subscriber latency: G6 on the Kite provider against the fake Kite (real kiteconnect client and
 * KiteTicker, real graphql-ws subscriber), all in this process on loopback. Each sample is the time from
 * the fake handing a tick frame to its socket until the subscriber receives the chain carrying that price:
 * ticker parse, merge, analysis of the index's chains, store, publish, GraphQL execution, WebSocket.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import { register } from 'tsx/esm/api';
import { WebSocket } from 'ws';
import { startApp } from '../dist/app/start-app.js';
import { loadConfig } from '../dist/config.js';
import { createLogger } from '../dist/logger.js';

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { samples: sorted.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted.at(-1) };
}

export async function measureTickLatency() {
  // The fake lives in the test tree (TypeScript); only it goes through the loader, G6 runs from dist/.
  const unregister = register();
  const { FakeKite } = await import('../test/fake-kite/fake-kite-server.ts');
  const { loadRealDump } = await import('../test/fake-kite/dump.ts');
  const { DEFAULT_EXCHANGE_CALENDAR } = await import('../dist/domain/calendar/default-calendar.js');
  const { createSimulatedSessionClock } = await import('../dist/domain/market-clock.js');
  const accessToken = randomBytes(16).toString('hex');
  const fake = new FakeKite({
    apiKey: 'benchkey',
    apiSecret: 'benchsecret',
    accessToken,
    clock: createSimulatedSessionClock(DEFAULT_EXCHANGE_CALENDAR),
    dumpCsv: loadRealDump(),
  });
  await fake.start(0);
  const dataDir = mkdtempSync(join(tmpdir(), 'g6-bench-kite-'));
  const config = loadConfig(
    {
      G6_HOST: '127.0.0.1',
      G6_PORT: '0',
      G6_DATA_DIR: dataDir,
      G6_INDICES: 'NIFTY',
      G6_COLLECTION_INTERVAL: '3600',
      KITE_API_KEY: 'benchkey',
      KITE_ACCESS_TOKEN: accessToken,
      G6_KITE_ROOT: fake.restUrl,
      G6_KITE_TICKER_ROOT: fake.tickerUrl,
      // The fake trades at any hour; G6 must not rest for the exchange's night.
      G6_COLLECT_OUTSIDE_HOURS: 'true',
    },
    [],
  );
  const app = await startApp(config.config, createLogger({ logLevel: 'silent', logFormat: 'json' }));
  const url = `http://127.0.0.1:${app.port}/graphql`;
  const query = async (q) =>
    (
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: q }),
      })
    ).json();
  let chain = null;
  while (chain === null) {
    chain =
      (
        await query(
          '{ optionChain(index: NIFTY, strikesAroundAtm: 0) { expiry strikes { call { tradingsymbol instrumentToken } } } }',
        )
      ).data?.optionChain ?? null;
    if (chain === null) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const { tradingsymbol, instrumentToken } = chain.strikes[0].call;
  const client = createClient({
    url: `ws://127.0.0.1:${app.port}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
  });
  const waiting = new Map();
  const done = new Promise((resolve, reject) => {
    client.subscribe(
      {
        query: `subscription { optionChainUpdated(index: NIFTY, expiry: "${chain.expiry}", strikesAroundAtm: 10) { strikes { call { tradingsymbol lastPrice } } } }`,
      },
      {
        next: (event) => {
          const row = event.data?.optionChainUpdated.strikes.find((s) => s.call?.tradingsymbol === tradingsymbol);
          const resolve = row === undefined ? undefined : waiting.get(row.call.lastPrice);
          if (resolve !== undefined) {
            waiting.delete(row.call.lastPrice);
            resolve(performance.now());
          }
        },
        error: reject,
        complete: resolve,
      },
    );
  });
  // Wait until the ticker subscription reached the fake.
  await fake.whenStreaming(instrumentToken);
  fake.pushTicks([instrumentToken]);
  // Let the publish that tick caused age past the throttle period before measuring.
  await new Promise((resolve) => setTimeout(resolve, 300));
  let price = 5000;
  const tick = () => {
    price += 0.05;
    const key = Math.round(price * 100) / 100;
    fake.market.overrides.set(instrumentToken, key);
    const received = new Promise((resolve) => waiting.set(key, resolve));
    const sentAt = performance.now();
    fake.pushTicks([instrumentToken]);
    return received.then((at) => at - sentAt);
  };
  // Isolated ticks, spaced beyond the 4-per-second publish throttle: the pure path.
  const isolated = [];
  for (let i = 0; i < 80; i += 1) {
    isolated.push(await tick());
    await new Promise((resolve) => setTimeout(resolve, 260));
  }
  // A stream at 50 ticks/s: coalesced to 4 snapshots/s, so latency includes the throttle's wait.
  const streamed = [];
  const pending = [];
  for (let i = 0; i < 150; i += 1) {
    pending.push(tick().then((ms) => streamed.push(ms)));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // Ticks overwritten before a publish never reach a subscriber with their own price; count what arrived.
  await Promise.race([Promise.all(pending), new Promise((resolve) => setTimeout(resolve, 2000))]);
  await client.dispose();
  await done.catch(() => undefined);
  await app.stop();
  await fake.close();
  rmSync(dataDir, { recursive: true, force: true });
  await unregister();
  return {
    what: 'tick frame sent by the fake Kite → KiteTicker → merge → NIFTY re-analysis (all expiries, ±30 strikes) → graphql-ws subscriber',
    isolatedTicks: summary(isolated),
    stream50PerSecond: {
      ...summary(streamed),
      note: 'publishes coalesced to G6_LIVE_UPDATES_PER_SECOND=4; ticks superseded before a publish are not counted',
      sent: 150,
    },
  };
}
