import { describe, expect, it } from 'vitest';
import { createAlertManager } from '../../src/health/alert-manager.ts';
import type { ComponentAssessment } from '../../src/health/health-model.ts';
import { createHealthTracker } from '../../src/health/health-tracker.ts';

const T0 = Date.parse('2026-12-03T04:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const nifty = (status: ComponentAssessment['status'], reason: string | null = null): ComponentAssessment => ({
  name: 'collector/NIFTY',
  status,
  reason,
});

describe('alert manager', () => {
  it('fires after `for`, escalates under the same id, and resolves after keep_firing_for', () => {
    const alerts = createAlertManager({ forMs: 10_000, keepFiringForMs: 30_000 });
    expect(alerts.observe([nifty('DEGRADED', 'tick failed')], at(0))).toEqual([]);
    expect(alerts.observe([nifty('DEGRADED', 'tick failed')], at(9))).toEqual([]);
    const [fired] = alerts.observe([nifty('DEGRADED', 'tick failed')], at(10));
    expect(fired).toMatchObject({
      id: `collector/NIFTY@${at(0).toISOString()}`,
      state: 'FIRING',
      severity: 'WARNING',
      status: 'DEGRADED',
      startsAt: at(0),
      at: at(10),
      endsAt: null,
    });
    // The same state again is no new event: de-duplicated.
    expect(alerts.observe([nifty('DEGRADED', 'tick failed again')], at(11))).toEqual([]);
    const [escalated] = alerts.observe([nifty('DOWN', 'stale')], at(12));
    expect(escalated).toMatchObject({
      id: fired?.id,
      state: 'FIRING',
      severity: 'CRITICAL',
      status: 'DOWN',
      at: at(12),
    });
    expect(alerts.firing()).toEqual([escalated]);
    expect(alerts.observe([nifty('HEALTHY')], at(20))).toEqual([]);
    expect(alerts.observe([nifty('HEALTHY')], at(49))).toEqual([]);
    const [resolved] = alerts.observe([nifty('HEALTHY')], at(50));
    expect(resolved).toMatchObject({
      id: fired?.id,
      state: 'RESOLVED',
      severity: 'CRITICAL',
      status: 'HEALTHY',
      endsAt: at(50),
      at: at(50),
    });
    expect(alerts.firing()).toEqual([]);
  });

  it('does not page for a blip shorter than `for`, nor again for a flap within keep_firing_for', () => {
    const alerts = createAlertManager({ forMs: 5_000, keepFiringForMs: 60_000 });
    alerts.observe([nifty('DOWN')], at(0));
    expect(alerts.observe([nifty('HEALTHY')], at(3))).toEqual([]);
    expect(alerts.observe([nifty('DOWN')], at(4))).toEqual([]);
    expect(alerts.observe([nifty('DOWN')], at(9))).toHaveLength(1);
    // Bouncing: healthy for 30 s, down again, healthy again: still the one alert, nothing new sent.
    expect(alerts.observe([nifty('HEALTHY')], at(10))).toEqual([]);
    expect(alerts.observe([nifty('DOWN')], at(40))).toEqual([]);
    expect(alerts.observe([nifty('HEALTHY')], at(41))).toEqual([]);
    expect(alerts.observe([nifty('HEALTHY')], at(100))).toEqual([]);
    expect(alerts.observe([nifty('HEALTHY')], at(101))).toMatchObject([{ state: 'RESOLVED', startsAt: at(4) }]);
  });

  it('fires at once with for = 0 and resolves a component that is no longer reported', () => {
    const alerts = createAlertManager({ forMs: 0, keepFiringForMs: 0 });
    const ticker = { name: 'ticker', status: 'DEGRADED' as const, reason: 'disconnected' };
    expect(alerts.observe([ticker], at(0))).toMatchObject([{ component: 'ticker', state: 'FIRING' }]);
    expect(alerts.observe([], at(1))).toMatchObject([{ component: 'ticker', state: 'RESOLVED' }]);
  });
});

describe('health tracker', () => {
  it('keeps since-when per component and a newest-first history of status changes only', () => {
    const tracker = createHealthTracker(3);
    const assessment = (status: ComponentAssessment['status'], reason: string | null) => ({
      status,
      ready: status !== 'DOWN',
      components: [nifty(status, reason), { name: 'memory', status: 'HEALTHY' as const, reason: 'RSS 80 MiB' }],
      notReadyReasons: [],
    });
    expect(tracker.observe(assessment('HEALTHY', null), at(0))).toEqual([]);
    tracker.observe(assessment('HEALTHY', null), at(1));
    expect(tracker.current().components[0]?.since).toEqual(at(0));
    expect(tracker.observe(assessment('DEGRADED', 'a'), at(2))).toEqual([
      { component: 'collector/NIFTY', from: 'HEALTHY', to: 'DEGRADED', reason: 'a', at: at(2) },
    ]);
    // A new reason in the same status is no change.
    expect(tracker.observe(assessment('DEGRADED', 'b'), at(3))).toEqual([]);
    expect(tracker.current().components[0]).toMatchObject({ reason: 'b', since: at(2) });
    tracker.observe(assessment('DOWN', 'c'), at(4));
    tracker.observe(assessment('HEALTHY', null), at(5));
    tracker.observe(assessment('DOWN', 'd'), at(6));
    // Bounded at 3, newest first.
    expect(tracker.history(10).map((c) => c.at)).toEqual([at(6), at(5), at(4)]);
    expect(tracker.history(1).map((c) => c.to)).toEqual(['DOWN']);
    expect(tracker.current().components[1]?.since).toEqual(at(0));
  });
});
