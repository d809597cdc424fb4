import { describe, expect, it } from 'vitest';
import type { IndexCollectionStatus } from '../../src/collectors/collection-loop.ts';
import { evaluateHealth } from '../../src/health.ts';

const NOW = Date.parse('2026-12-03T03:30:10Z'); // 09:00:10 IST
const STALE_AFTER_MS = 90_000;

function status(overrides: Partial<IndexCollectionStatus>): IndexCollectionStatus {
  return {
    index: 'NIFTY',
    ticks: 3,
    consecutiveFailures: 0,
    lastSuccessAt: new Date('2026-12-02T10:10:30Z'), // yesterday's closing snapshot, 15:40:30 IST
    lastFailureAt: null,
    lastError: null,
    resting: false,
    resumesAt: null,
    resumedAt: null,
    ...overrides,
  };
}

describe('evaluateHealth', () => {
  it('counts a resting index as fresh however old its closing snapshot', () => {
    const report = evaluateHealth([status({ resting: true, resumesAt: new Date(NOW + 60_000) })], NOW, STALE_AFTER_MS);
    expect(report).toEqual({ ready: true, problems: [], degraded: false, marketOpen: null });
  });

  it('keeps an index fresh from its resumption until its first collection of the session is due', () => {
    const justResumed = status({ resumedAt: new Date(NOW - 10_000) });
    expect(evaluateHealth([justResumed], NOW, STALE_AFTER_MS, undefined, [], true).ready).toBe(true);
    // A session whose collections keep failing goes stale the usual way, counted from the resumption.
    const failing = status({ resumedAt: new Date(NOW - 120_000), lastError: 'Kite unreachable' });
    const report = evaluateHealth([failing], NOW, STALE_AFTER_MS, undefined, [], true);
    expect(report.ready).toBe(false);
    expect(report.problems).toEqual(['NIFTY: last successful collection 120 s ago (last error: Kite unreachable)']);
  });

  it('is not ready before any collection unless the index rests on a restored close', () => {
    const fresh = status({ lastSuccessAt: null, ticks: 0 });
    expect(evaluateHealth([fresh], NOW, STALE_AFTER_MS).problems).toEqual(['NIFTY: no successful collection yet']);
    const restored = status({ lastSuccessAt: null, ticks: 0, resting: true, resumesAt: new Date(NOW + 1) });
    expect(evaluateHealth([restored], NOW, STALE_AFTER_MS, undefined, [], false)).toMatchObject({
      ready: true,
      marketOpen: false,
    });
  });
});
