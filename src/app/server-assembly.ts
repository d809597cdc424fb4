import type { AnalysisSettings } from '../collectors/collect-once.ts';
import type { CollectionActivity } from '../collectors/collection-activity.ts';
import type { CsvHistory } from '../history/csv-history.ts';
import type { ProfileStore } from '../history/profile-store.ts';
import { createContextFactory, type GraphQLContext, type ServerInfoSource } from '../schema/context.ts';
import { schema } from '../schema/index.ts';
import { createServer, type G6Server } from '../server/create-server.ts';
import type { SharedBudgetStore } from '../server/operation-limits.ts';
import type { AppCore } from './app-core.ts';
import type { HealthAssembly } from './health-assembly.ts';
import type { ServedCollection } from './relay-assembly.ts';
import { readVersion } from './version.ts';

export interface AppServerOptions
  extends Pick<AppCore, 'config' | 'mode' | 'store' | 'pubsub' | 'now' | 'logger' | 'registry'> {
  readonly settings: AnalysisSettings;
  readonly history: CsvHistory | null;
  readonly profiles: ProfileStore | null;
  readonly marketClock: GraphQLContext['marketClock'];
  readonly marketStatus: GraphQLContext['marketStatus'];
  readonly providerName: string;
  readonly startedAt: Date;
  /** This process's own collection, or the relay's while it serves that. */
  readonly served: ServedCollection;
  readonly health: HealthAssembly;
  /** Null without Redis: each process counts rate budgets alone. */
  readonly sharedBudget: SharedBudgetStore | null;
  readonly activity: CollectionActivity;
}

/** The GraphQL server over this process's store, stream, history and health (not started). */
export function createAppServer(options: AppServerOptions): G6Server {
  const { config, mode, store, served } = options;
  const serverInfo: ServerInfoSource = {
    version: readVersion(),
    provider: options.providerName,
    startedAt: options.startedAt,
    collectionIntervalMs: config.collectionIntervalMs,
    collectorStatus: () => served.collectorStatus(),
    providerHealth: () => served.providerHealth(),
    staleAfterMs: mode.staleAfterMs,
    staleAfterMsOf: (index) => mode.staleAfterMsByIndex.get(index) ?? mode.staleAfterMs,
    isResting: (index) => served.isResting(index),
  };
  const reason = mode.history.unavailableReason;
  return createServer({
    ...(options.sharedBudget === null ? {} : { sharedBudget: options.sharedBudget }),
    schema,
    createContext: createContextFactory({
      store,
      pubsub: options.pubsub,
      indices: config.indices,
      analysis: options.settings,
      history: options.history,
      profiles: options.profiles,
      now: options.now,
      marketClock: options.marketClock,
      marketStatus: options.marketStatus,
      serverInfo,
      ...(reason === undefined ? {} : { historyUnavailableReason: reason }),
      health: options.health.service.feed,
    }),
    logger: options.logger,
    registry: options.registry,
    health: options.health.readiness,
    fieldSuggestions: config.logLevel === 'debug' || config.logLevel === 'trace',
    limits: config.api,
    costSettings: { indices: config.indices.length, defaultStrikesAroundAtm: config.strikesAroundAtm },
    // Live ticks put snapshots too, so a shared answer never outlives the data it was computed from.
    dataVersion: () => store.version(),
    fanOutYieldTo: (maxWaitMs) => options.activity.whenIdle(maxWaitMs),
  });
}
