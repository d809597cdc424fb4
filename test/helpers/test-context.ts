import type { MarketStatus } from '../../src/domain/calendar/exchange-calendar.ts';
import type { IndexSymbol } from '../../src/domain/indices.ts';
import { createHealthRecorder } from '../../src/health/health-feed.ts';
import type { CsvHistory } from '../../src/history/csv-history.ts';
import type { ProfileStore } from '../../src/history/profile-store.ts';
import { createContextFactory, type GraphQLContext } from '../../src/schema/context.ts';
import { createLatestValuePubSub } from '../../src/store/latest-value-pubsub.ts';
import type { SnapshotPubSub } from '../../src/store/snapshot-pubsub.ts';
import type { SnapshotStore } from '../../src/store/snapshot-store.ts';
import { TEST_CLOCK, testSettings } from './simulated-snapshots.ts';
import { clockFrom } from './test-app.ts';

/** The GraphQL context over a store and pub/sub the test controls: no collector, no history, a healthy provider. */
export function createTestContextFactory(options: {
  readonly store: SnapshotStore;
  readonly pubsub: SnapshotPubSub;
  readonly indices: readonly IndexSymbol[];
  /** Where the context's clock starts. */
  readonly startIso: string;
  /** Replaces the running clock from `startIso`. */
  readonly now?: () => Date;
  readonly providerReady?: () => boolean;
  readonly isResting?: (index: IndexSymbol) => boolean;
  readonly history?: CsvHistory;
  readonly profiles?: ProfileStore;
}): () => GraphQLContext {
  return createContextFactory({
    store: options.store,
    pubsub: options.pubsub,
    indices: options.indices,
    analysis: testSettings(),
    history: options.history ?? null,
    profiles: options.profiles ?? null,
    serverInfo: {
      version: 'test',
      provider: 'simulated',
      startedAt: new Date(0),
      collectionIntervalMs: 2000,
      collectorStatus: () => [],
      providerHealth: () =>
        options.providerReady === undefined || options.providerReady()
          ? { ready: true, problems: [] }
          : { ready: false, problems: ['provider: test says down'] },
      staleAfterMs: 60_000,
      isResting: options.isResting ?? (() => false),
    },
    now: options.now ?? clockFrom(options.startIso),
    marketClock: TEST_CLOCK,
    marketStatus: createLatestValuePubSub((s: MarketStatus) => s.segment),
    health: createHealthRecorder({ alertPolicy: { forMs: 0, keepFiringForMs: 0 } }),
  });
}
