import { describe, expect, it } from 'vitest';
import type { IndexCollectionStatus } from '../../src/collectors/collection-loop.ts';
import {
  assessHealth,
  freeSpaceFallPerHour,
  type HealthInputs,
  type HealthThresholds,
} from '../../src/health/health-model.ts';

const NOW = Date.parse('2026-12-03T03:30:10Z'); // 09:00:10 IST
const GIB = 1_073_741_824;
const THRESHOLDS: HealthThresholds = {
  staleAfterMs: 90_000,
  diskMinFreePercent: 5,
  diskDownFreePercent: 1,
  diskMinRunwayMs: 24 * 3_600_000,
  eventLoopP99Ms: 200,
  maxRssBytes: 512 * 1_048_576,
};

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

function inputs(overrides: Partial<HealthInputs>): HealthInputs {
  return {
    nowMs: NOW,
    provider: { ready: true, problems: [] },
    collectors: [],
    collectingSinceMs: NOW - 3_600_000,
    sinks: [],
    redis: null,
    eventLoopP99Ms: 12,
    disk: { freeBytes: 50 * GIB, totalBytes: 100 * GIB, fallBytesPerHour: null },
    rssBytes: 100 * 1_048_576,
    draining: false,
    marketOpen: true,
    ...overrides,
  };
}

const component = (assessment: ReturnType<typeof assessHealth>, name: string) =>
  assessment.components.find((c) => c.name === name);

describe('assessHealth: collectors', () => {
  it('counts a resting index as healthy and ready however old its closing snapshot', () => {
    const report = assessHealth(
      inputs({ collectors: [status({ resting: true, resumesAt: new Date(NOW + 60_000) })] }),
      THRESHOLDS,
    );
    expect(report.ready).toBe(true);
    expect(report.status).toBe('HEALTHY');
    expect(component(report, 'collector/NIFTY')).toEqual({
      name: 'collector/NIFTY',
      status: 'HEALTHY',
      reason: `market closed; resumes at ${new Date(NOW + 60_000).toISOString()}`,
    });
  });

  it('keeps an index fresh from its resumption until its first collection of the session is due', () => {
    const justResumed = assessHealth(
      inputs({ collectors: [status({ resumedAt: new Date(NOW - 10_000) })] }),
      THRESHOLDS,
    );
    expect(justResumed.ready).toBe(true);
    // A session whose collections keep failing goes stale the usual way, counted from the resumption.
    const failing = assessHealth(
      inputs({
        collectors: [
          status({ resumedAt: new Date(NOW - 120_000), consecutiveFailures: 4, lastError: 'Kite unreachable' }),
        ],
      }),
      THRESHOLDS,
    );
    expect(failing.ready).toBe(false);
    expect(failing.status).toBe('DOWN');
    expect(component(failing, 'collector/NIFTY')?.reason).toBe(
      'last good snapshot 120 s ago, more than 90 s (last error: Kite unreachable)',
    );
    expect(failing.notReadyReasons).toEqual([
      'NIFTY: last good snapshot 120 s ago, more than 90 s (last error: Kite unreachable)',
    ]);
  });

  it('is DEGRADED, still ready, after a failed tick while the data is fresh', () => {
    const report = assessHealth(
      inputs({
        collectors: [
          status({ lastSuccessAt: new Date(NOW - 30_000), consecutiveFailures: 1, lastError: 'timeout after 5 s' }),
        ],
      }),
      THRESHOLDS,
    );
    expect(report).toMatchObject({ ready: true, status: 'DEGRADED' });
    expect(component(report, 'collector/NIFTY')?.reason).toMatch(
      /^1 collection\(s\) failed in a row; last good snapshot 30 s ago/,
    );
  });

  it('is starting (healthy, not ready) before the first snapshot, and DOWN once that takes longer than the bound', () => {
    const first = status({ lastSuccessAt: null, ticks: 0 });
    const starting = assessHealth(inputs({ collectors: [first], collectingSinceMs: NOW - 5_000 }), THRESHOLDS);
    expect(starting.ready).toBe(false);
    expect(component(starting, 'collector/NIFTY')).toMatchObject({
      status: 'HEALTHY',
      reason: 'starting: no snapshot yet',
    });
    const late = assessHealth(inputs({ collectors: [first], collectingSinceMs: NOW - 100_000 }), THRESHOLDS);
    expect(component(late, 'collector/NIFTY')).toMatchObject({
      status: 'DOWN',
      reason: 'no successful collection in 100 s',
    });
  });

  it('judges each index by its own limit when indices are collected at their own intervals', () => {
    const twoMinutesOld = { lastSuccessAt: new Date(NOW - 120_000) };
    const report = assessHealth(
      inputs({
        collectors: [status({ index: 'NIFTY', ...twoMinutesOld }), status({ index: 'SENSEX', ...twoMinutesOld })],
      }),
      { ...THRESHOLDS, staleAfterMsByIndex: new Map([['SENSEX', 180_000]]) },
    );
    expect(component(report, 'collector/NIFTY')).toMatchObject({
      status: 'DOWN',
      reason: 'last good snapshot 120 s ago, more than 90 s',
    });
    expect(component(report, 'collector/SENSEX')?.status).toBe('HEALTHY');
  });
});

describe('assessHealth: provider, sinks, redis and the process', () => {
  it('splits the ticker from the provider: a dropped ticker degrades without making the provider unready', () => {
    const reason = 'kite: ticker disconnected (live ticks paused; REST snapshots continue)';
    const report = assessHealth(
      inputs({ provider: { ready: true, problems: [reason], ticker: { up: false, reason } } }),
      THRESHOLDS,
    );
    expect(component(report, 'provider')).toEqual({ name: 'provider', status: 'HEALTHY', reason: null });
    expect(component(report, 'ticker')).toEqual({ name: 'ticker', status: 'DEGRADED', reason });
    expect(report.ready).toBe(true);
    const expired = assessHealth(
      inputs({ provider: { ready: false, problems: ['kite: access token expired at 06:00 IST'] } }),
      THRESHOLDS,
    );
    expect(component(expired, 'provider')?.status).toBe('DOWN');
    expect(expired.ready).toBe(false);
    expect(expired.notReadyReasons).toEqual(['kite: access token expired at 06:00 IST']);
    // The same token problem at night only warns: nothing is collected until the next session anyway.
    const atNight = assessHealth(
      inputs({ marketOpen: false, provider: { ready: false, problems: ['kite: access token expired at 06:00 IST'] } }),
      THRESHOLDS,
    );
    expect(component(atNight, 'provider')).toEqual({
      name: 'provider',
      status: 'DEGRADED',
      reason: 'kite: access token expired at 06:00 IST (market closed: needed before the next session)',
    });
    expect(atNight.ready).toBe(false);
  });

  it('marks a sink that holds data for retry DOWN without making the service unready', () => {
    const report = assessHealth(
      inputs({ sinks: [{ name: 'csv', health: { up: false, problems: ['csv sink down since …: ENOSPC'] } }] }),
      THRESHOLDS,
    );
    expect(component(report, 'sink/csv')).toMatchObject({ status: 'DOWN', reason: 'csv sink down since …: ENOSPC' });
    expect(report).toMatchObject({ ready: true, status: 'DOWN' });
  });

  it('reports Redis only when configured', () => {
    expect(component(assessHealth(inputs({}), THRESHOLDS), 'redis')).toBeUndefined();
    const up = assessHealth(inputs({ redis: { up: true, downSinceMs: null, downConnections: [] } }), THRESHOLDS);
    expect(component(up, 'redis')).toMatchObject({ status: 'HEALTHY', reason: null });
    const down = assessHealth(
      inputs({ redis: { up: false, downSinceMs: NOW - 1000, downConnections: ['rate-limits', 'subscriber'] } }),
      THRESHOLDS,
    );
    expect(component(down, 'redis')).toMatchObject({
      status: 'DOWN',
      reason: `unreachable since ${new Date(NOW - 1000).toISOString()}; retrying (connections down: rate-limits, subscriber)`,
    });
    // Not connected yet: down, with no failure time to give.
    const connecting = assessHealth(
      inputs({ redis: { up: false, downSinceMs: null, downConnections: ['rate-limits'] } }),
      THRESHOLDS,
    );
    expect(component(connecting, 'redis')?.reason).toBe('unreachable; retrying (connections down: rate-limits)');
  });

  it('judges the event loop, memory and disk against their thresholds', () => {
    const report = assessHealth(
      inputs({
        eventLoopP99Ms: 250.4,
        rssBytes: 600 * 1_048_576,
        disk: { freeBytes: 4 * GIB, totalBytes: 100 * GIB, fallBytesPerHour: null },
      }),
      THRESHOLDS,
    );
    expect(component(report, 'event-loop')).toMatchObject({
      status: 'DEGRADED',
      reason: 'delay p99 250 ms, above 200 ms',
    });
    expect(component(report, 'memory')).toMatchObject({ status: 'DEGRADED', reason: 'RSS 600 MiB, above 512 MiB' });
    expect(component(report, 'disk')).toMatchObject({ status: 'DEGRADED' });
    expect(component(report, 'disk')?.reason).toMatch(/4\.0 GiB free of 100\.0 GiB \(4\.0 %\), below 5 %/);
    const full = assessHealth(
      inputs({ disk: { freeBytes: 0.5 * GIB, totalBytes: 100 * GIB, fallBytesPerHour: null } }),
      THRESHOLDS,
    );
    expect(component(full, 'disk')?.status).toBe('DOWN');
    expect(full.ready).toBe(true);
  });

  it('warns of a disk that fills within a day at the current rate, however much is free', () => {
    const report = assessHealth(
      inputs({ disk: { freeBytes: 40 * GIB, totalBytes: 100 * GIB, fallBytesPerHour: 2 * GIB } }),
      THRESHOLDS,
    );
    expect(component(report, 'disk')).toMatchObject({ status: 'DEGRADED' });
    expect(component(report, 'disk')?.reason).toMatch(/falling 2048 MiB\/h: full in about 20\.0 h/);
    const slow = assessHealth(
      inputs({ disk: { freeBytes: 40 * GIB, totalBytes: 100 * GIB, fallBytesPerHour: GIB } }),
      THRESHOLDS,
    );
    expect(component(slow, 'disk')?.status).toBe('HEALTHY');
  });

  it('is never ready while draining', () => {
    const report = assessHealth(inputs({ draining: true }), THRESHOLDS);
    expect(report.ready).toBe(false);
    expect(report.notReadyReasons).toEqual(['shutting down']);
  });
});

describe('freeSpaceFallPerHour', () => {
  it('needs samples spanning the minimum before it says anything', () => {
    const samples = [
      { atMs: 0, freeBytes: 1000 },
      { atMs: 60_000, freeBytes: 900 },
    ];
    expect(freeSpaceFallPerHour(samples, 3_600_000, 600_000)).toBeNull();
    const spanned = [...samples, { atMs: 600_000, freeBytes: 500 }];
    expect(freeSpaceFallPerHour(spanned, 3_600_000, 600_000)).toBeCloseTo(3000);
  });

  it('forgets samples older than the window', () => {
    const samples = [
      { atMs: 0, freeBytes: 0 }, // outside the window: a big delete long ago does not count
      { atMs: 4_000_000, freeBytes: 2000 },
      { atMs: 4_000_000 + 1_800_000, freeBytes: 1000 },
    ];
    expect(freeSpaceFallPerHour(samples, 3_600_000, 600_000)).toBeCloseTo(2000);
  });
});
