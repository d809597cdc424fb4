import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ProgressFactory } from '../cli/progress.ts';
import type { Config } from '../config.ts';
import type { MarketClock } from '../domain/market-clock.ts';
import type { MarketDataProvider } from '../providers/market-data-provider.ts';
import { createSimulatedProvider } from '../providers/simulated/simulated-provider.ts';

/** A provider for a process that never collects (an API replica): serving comes from the relay. */
export const RELAY_ONLY_PROVIDER: MarketDataProvider = {
  name: 'relay',
  fetchIndex: async () => {
    throw new Error('an API replica never calls a provider');
  },
  close: async () => undefined,
};

/** The configured market: the simulated one (G6_MOCK_MODE) or Kite, its metrics in `registry`. */
export async function createProvider(
  config: Config,
  logger: Logger,
  registry: Registry | null,
  now: () => Date,
  clock: MarketClock,
  progress?: ProgressFactory,
): Promise<MarketDataProvider> {
  if (config.mockMode) {
    return createSimulatedProvider({
      seed: config.seed,
      clock,
      rate: config.riskFreeRate,
      dividendYield: config.dividendYield,
      now,
    });
  }
  const { kite } = config;
  // Imported only for Kite: kiteconnect and its HTTP stack add a fifth of a second to every other start.
  const { createKiteProvider } = await import('../providers/kite/kite-provider.ts');
  const { registerKiteMetrics } = await import('../providers/kite/kite-metrics.ts');
  return createKiteProvider({
    apiKey: kite.apiKey as string,
    apiSecret: kite.apiSecret ?? null,
    environmentToken: kite.accessToken ?? null,
    tokenFile: kite.passphrase === undefined ? null : resolve(kite.tokenFile),
    passphrase: kite.passphrase ?? null,
    ...(kite.root === undefined ? {} : { root: kite.root }),
    ...(kite.tickerRoot === undefined ? {} : { tickerRoot: kite.tickerRoot }),
    indices: config.indices,
    strikesAroundAtm: config.strikesAroundAtm,
    // Each index quotes only its own window and expiries (G6_CONFIG_FILE, G6_STRIKES_AROUND_ATM).
    collection: config.collection,
    cacheDir: resolve(config.dataDir, 'kite'),
    requestTimeoutMs: kite.requestTimeoutMs,
    ticker: kite.ticker && config.liveUpdatesPerSecond > 0,
    rate: config.riskFreeRate,
    dividendYield: config.dividendYield,
    now,
    calendar: clock.calendar,
    logger: logger.child({ component: 'kite' }),
    progress,
    ...(registry === null
      ? {}
      : { events: registerKiteMetrics(registry, { ticker: kite.ticker, indices: config.indices }) }),
  });
}
