import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DEFAULT_EXCHANGE_CALENDAR } from '../../src/domain/calendar/default-calendar.ts';
import {
  createKiteProvider,
  type KiteProvider,
  type KiteProviderOptions,
} from '../../src/providers/kite/kite-provider.ts';
import { loadRealDump } from '../fake-kite/dump.ts';
import { FakeKite, type FakeKiteOptions } from '../fake-kite/fake-kite-server.ts';

export const API_KEY = 'g6testkey';
export const API_SECRET = 'g6-test-secret-4f1d';
export const ACCESS_TOKEN = 'g6accesstoken0123456789abcdef';

let dump: string | null = null;

/** A running fake Kite on a free loopback port, with the real dump and the test credentials. */
export async function startFakeKite(options: Partial<FakeKiteOptions> = {}): Promise<FakeKite> {
  dump ??= loadRealDump();
  const fake = new FakeKite({
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    accessToken: ACCESS_TOKEN,
    dumpCsv: dump,
    ...options,
  });
  await fake.start(0);
  return fake;
}

/** A mutable clock for provider and fake alike. */
export function fakeClock(startIso: string): { now: () => Date; set(iso: string): void } {
  let current = new Date(startIso);
  return {
    now: () => current,
    set(iso) {
      current = new Date(iso);
    },
  };
}

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'g6-kite-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** The real Kite provider pointed at `fake`, quiet logs, fast quote pacing unless told otherwise. */
export function kiteProviderFor(
  fake: FakeKite,
  overrides: Partial<KiteProviderOptions> & { cacheDir: string },
): KiteProvider {
  return createKiteProvider({
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    environmentToken: ACCESS_TOKEN,
    tokenFile: null,
    passphrase: null,
    root: fake.restUrl,
    tickerRoot: fake.tickerUrl,
    indices: ['NIFTY'],
    strikesAroundAtm: 30,
    requestTimeoutMs: 2000,
    ticker: false,
    rate: 0.065,
    dividendYield: 0,
    now: () => new Date(Date.parse('2026-12-02T05:00:00.000Z')),
    calendar: DEFAULT_EXCHANGE_CALENDAR,
    logger: pino({ level: 'silent' }),
    ...overrides,
  });
}
