import { randomBytes } from 'node:crypto';
import { DEFAULT_EXCHANGE_CALENDAR } from '../../src/domain/calendar/default-calendar.ts';
import { createExchangeClock, createSimulatedSessionClock } from '../../src/domain/market-clock.ts';
import { loadRealDump } from './dump.ts';
import { FakeKite } from './fake-kite-server.ts';

/**
 * `npm run fake-kite`: a Kite-compatible server on loopback for demos and manual testing. Prints the
 * environment G6 needs to collect from it. FAKE_KITE_PORT (default 5010), FAKE_KITE_SEED (default g6).
 */
const port = Number(process.env.FAKE_KITE_PORT ?? 5010);
const apiKey = process.env.FAKE_KITE_API_KEY ?? 'fakekey';
const apiSecret = process.env.FAKE_KITE_API_SECRET ?? 'fakesecret';
const accessToken = process.env.FAKE_KITE_ACCESS_TOKEN ?? randomBytes(16).toString('hex');
const fake = new FakeKite({
  apiKey,
  apiSecret,
  accessToken,
  seed: process.env.FAKE_KITE_SEED ?? 'g6',
  // A demo fake trades at any hour unless FAKE_KITE_CLOCK=exchange (then it is closed at night, as Kite is).
  clock:
    process.env.FAKE_KITE_CLOCK === 'exchange'
      ? createExchangeClock(DEFAULT_EXCHANGE_CALENDAR)
      : createSimulatedSessionClock(DEFAULT_EXCHANGE_CALENDAR),
  dumpCsv: loadRealDump(),
  tickIntervalMs: Number(process.env.FAKE_KITE_TICK_MS ?? 500),
});
await fake.start(port);
process.stdout.write(
  `Fake Kite listening on ${fake.restUrl} (REST) and ${fake.tickerUrl} (ticker).\n\n` +
    `Run G6 against it:\n` +
    `  KITE_API_KEY=${apiKey} KITE_ACCESS_TOKEN=${accessToken} G6_KITE_ROOT=${fake.restUrl} G6_KITE_TICKER_ROOT=${fake.tickerUrl} npm start\n\n` +
    `Or try the login flow (request token, single use): ${fake.issueRequestToken()}\n` +
    `  KITE_API_KEY=${apiKey} KITE_API_SECRET=${apiSecret} G6_TOKEN_PASSPHRASE='a long passphrase' G6_KITE_ROOT=${fake.restUrl} node dist/main.js login <request_token>\n`,
);
const stop = () => {
  void fake.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
