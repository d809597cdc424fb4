import { resolve } from 'node:path';
import type { ProgressFactory } from '../cli/progress.ts';
import type { MarketClock } from '../domain/market-clock.ts';
import { createStoredHistory, type StoredHistory } from '../history/stored-history.ts';
import type { MarketDataProvider } from '../providers/market-data-provider.ts';
import { createReplayProvider } from '../providers/replay/replay-provider.ts';
import type { AppCore } from './app-core.ts';
import type { AppMode } from './app-mode.ts';
import { createProvider, RELAY_ONLY_PROVIDER } from './provider-factory.ts';

export interface ModeProviderDependencies extends Pick<AppCore, 'config' | 'logger' | 'registry' | 'now'> {
  readonly clock: MarketClock;
  readonly progress: ProgressFactory | undefined;
  /** The store a replay plays (CSV and compacted days alike). */
  readonly history: StoredHistory | null;
}

/** The mode's market: the configured one, a replay's stored days, or none (a replica's is the relay). */
export async function createModeProvider(mode: AppMode, deps: ModeProviderDependencies): Promise<MarketDataProvider> {
  const { config, logger } = deps;
  const source = mode.provider;
  switch (source.kind) {
    case 'relay-only':
      return RELAY_ONLY_PROVIDER;
    case 'configured':
      return await createProvider(config, logger, deps.registry, deps.now, deps.clock, deps.progress);
    case 'replay':
      return createReplayProvider({
        source: deps.history ?? createStoredHistory({ dataDir: resolve(config.dataDir) }),
        indices: config.indices,
        fromDay: source.replay.fromDay,
        toDay: source.replay.toDay,
        speed: source.replay.speed,
        logger: logger.child({ component: 'replay' }),
        progress: deps.progress,
      });
  }
}
