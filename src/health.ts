import type { IndexCollectionStatus } from './collectors/collection-loop.ts';

export interface HealthReport {
  readonly ready: boolean;
  /** One line per index that is not fresh. */
  readonly problems: readonly string[];
}

/**
 * Ready when every collected index has a successful collection younger than `staleAfterMs`. An index that
 * has never succeeded is not ready; one that keeps failing turns not-ready once its data goes stale.
 */
export function evaluateHealth(
  statuses: readonly IndexCollectionStatus[],
  nowMs: number,
  staleAfterMs: number,
): HealthReport {
  const problems: string[] = [];
  for (const status of statuses) {
    if (status.lastSuccessAt === null) {
      problems.push(
        `${status.index}: no successful collection yet${status.lastError ? ` (last error: ${status.lastError})` : ''}`,
      );
    } else if (nowMs - status.lastSuccessAt.getTime() > staleAfterMs) {
      const ageSeconds = Math.round((nowMs - status.lastSuccessAt.getTime()) / 1000);
      problems.push(
        `${status.index}: last successful collection ${ageSeconds} s ago${status.lastError ? ` (last error: ${status.lastError})` : ''}`,
      );
    }
  }
  return { ready: problems.length === 0, problems };
}
