import type { IndexCollectionStatus } from './collectors/collection-loop.ts';
import type { ProviderHealth } from './providers/market-data-provider.ts';
import type { SinkHealth } from './sinks/snapshot-sink.ts';

export interface HealthReport {
  readonly ready: boolean;
  /** One line per index that is not fresh. */
  readonly problems: readonly string[];
  /** True while a sink is down: the API serves, storage is behind (held for retry). */
  readonly degraded: boolean;
  /** Whether any collected index's market is in session (or its pre-open); null when not known. */
  readonly marketOpen: boolean | null;
}

/**
 * Ready when the provider is (a usable Kite token) and every collected index has a successful collection
 * younger than `staleAfterMs`. An index that has never succeeded is not ready; one that keeps failing
 * turns not-ready once its data goes stale. Problems list both. A sink that is down degrades the report
 * without making it unready: the data is served, and what the sink holds is written when it recovers.
 * An index resting outside market hours (its last snapshot is the session's close) is fresh.
 */
export function evaluateHealth(
  statuses: readonly IndexCollectionStatus[],
  nowMs: number,
  staleAfterMs: number,
  provider: ProviderHealth = { ready: true, problems: [] },
  sinks: readonly SinkHealth[] = [],
  marketOpen: boolean | null = null,
): HealthReport {
  const problems: string[] = [...provider.problems];
  const sinkProblems = sinks.flatMap((s) => s.problems);
  for (const status of statuses) {
    if (status.resting) {
      // Outside market hours the session's close is current data, however old.
      continue;
    }
    // Back from resting, the close is current until the session's first collection is due.
    const freshSince = Math.max(status.lastSuccessAt?.getTime() ?? 0, status.resumedAt?.getTime() ?? 0);
    if (status.lastSuccessAt === null && status.resumedAt === null) {
      problems.push(
        `${status.index}: no successful collection yet${status.lastError ? ` (last error: ${status.lastError})` : ''}`,
      );
    } else if (nowMs - freshSince > staleAfterMs) {
      const ageSeconds = Math.round((nowMs - freshSince) / 1000);
      problems.push(
        `${status.index}: last successful collection ${ageSeconds} s ago${status.lastError ? ` (last error: ${status.lastError})` : ''}`,
      );
    }
  }
  // Provider problems that do not make it unready (a dropped ticker while REST works) are reported only.
  const collectorProblems = problems.length - provider.problems.length;
  return {
    ready: provider.ready && collectorProblems === 0,
    problems: [...problems, ...sinkProblems],
    degraded: sinks.some((s) => !s.up),
    marketOpen,
  };
}
