import { describe, expect, it } from 'vitest';
import {
  createSessionGate,
  DEFAULT_MAX_REST_MS,
  type SessionGateOptions,
} from '../../../src/collectors/session-gate.ts';
import { DEFAULT_EXCHANGE_CALENDAR } from '../../../src/domain/calendar/default-calendar.ts';
import type { IndexSymbol } from '../../../src/domain/indices.ts';
import { createExchangeClock, createSimulatedSessionClock } from '../../../src/domain/market-clock.ts';

const EXCHANGE_CLOCK = createExchangeClock(DEFAULT_EXCHANGE_CALENDAR);
const SESSION_CLOCK = createSimulatedSessionClock(DEFAULT_EXCHANGE_CALENDAR);

/** A gate over a mutable fake clock and a mutable map of the indices' latest snapshot times. */
function harness(options: Partial<SessionGateOptions> = {}) {
  const state = { now: new Date('2026-12-02T06:30:00Z') };
  const last = new Map<IndexSymbol, Date>();
  const gate = createSessionGate({
    clock: EXCHANGE_CLOCK,
    now: () => state.now,
    collectOutsideHours: false,
    lastObservedAt: (index) => last.get(index) ?? null,
    ...options,
  });
  return {
    gate,
    setNow: (instant: string) => {
      state.now = new Date(instant);
    },
    observe: (index: IndexSymbol, instant: string) => {
      last.set(index, new Date(instant));
    },
  };
}

describe('createSessionGate in session', () => {
  it('collects with reason session during a session, whatever the latest snapshot', () => {
    const { gate, setNow, observe } = harness();
    // 12:00 IST Wed 2 Dec 2026
    setNow('2026-12-02T06:30:00Z');
    expect(gate.decide('NIFTY')).toEqual({ collect: true, reason: 'session' });
    // a snapshot a second ago (11:59:59 IST) changes nothing
    observe('NIFTY', '2026-12-02T06:29:59Z');
    expect(gate.decide('NIFTY')).toEqual({ collect: true, reason: 'session' });
    expect(gate.isResting('NIFTY')).toBe(false);
    // 10:00 IST Budget Sunday 1 Feb 2026, a special session
    setNow('2026-02-01T04:30:00Z');
    expect(gate.decide('SENSEX')).toEqual({ collect: true, reason: 'session' });
  });

  it('follows each index’s segment: at 15:35 IST NIFTY (NSE, 15:40) collects while SENSEX (BSE, 15:30) rests', () => {
    const { gate, setNow, observe } = harness();
    // 15:35 IST Wed 2 Dec 2026
    setNow('2026-12-02T10:05:00Z');
    // snapshots at 15:31 IST, after BSE's close
    observe('NIFTY', '2026-12-02T10:01:00Z');
    observe('SENSEX', '2026-12-02T10:01:00Z');
    expect(gate.decide('NIFTY')).toEqual({ collect: true, reason: 'session' });
    const sensex = gate.decide('SENSEX');
    expect(sensex.collect).toBe(false);
    if (!sensex.collect) {
      // Thu 3 Dec 09:00 IST, BSE's pre-open
      expect(sensex.resumesAt.toISOString()).toBe('2026-12-03T03:30:00.000Z');
      expect(sensex.restMs).toBe(DEFAULT_MAX_REST_MS);
    }
  });
});

describe('createSessionGate before the pre-open', () => {
  it('rests at 08:50 IST after the last close was collected, resuming at the 09:00 IST pre-open', () => {
    const { gate, setNow, observe } = harness();
    // 15:45 IST Tue 1 Dec 2026, after its 15:40 IST close
    observe('NIFTY', '2026-12-01T10:15:00Z');
    // 08:50 IST Wed 2 Dec 2026
    setNow('2026-12-02T03:20:00Z');
    const decision = gate.decide('NIFTY');
    expect(decision.collect).toBe(false);
    if (decision.collect) {
      return;
    }
    // 09:00 IST Wed 2 Dec 2026
    expect(decision.resumesAt.toISOString()).toBe('2026-12-02T03:30:00.000Z');
    // 10 minutes to go, capped at the default 60 s
    expect(decision.restMs).toBe(60_000);
    expect(gate.isResting('NIFTY')).toBe(true);
  });

  it('rests for the time to resume when that is shorter than maxRestMs', () => {
    const { gate, setNow, observe } = harness({ maxRestMs: 3_600_000 });
    // 15:45 IST Tue 1 Dec 2026
    observe('NIFTY', '2026-12-01T10:15:00Z');
    // 08:50 IST Wed 2 Dec 2026: 10 minutes before the 09:00 IST pre-open
    setNow('2026-12-02T03:20:00Z');
    expect(gate.decide('NIFTY')).toEqual({
      collect: false,
      restMs: 600_000,
      resumesAt: new Date('2026-12-02T03:30:00Z'),
    });
    // 08:59:30 IST: 30 s to go, below the default cap as well
    const short = harness();
    short.observe('NIFTY', '2026-12-01T10:15:00Z');
    short.setNow('2026-12-02T03:29:30Z');
    const decision = short.gate.decide('NIFTY');
    expect(decision.collect).toBe(false);
    if (!decision.collect) {
      expect(decision.restMs).toBe(30_000);
    }
  });

  it('collects with reason session from 09:00 IST, in the pre-open', () => {
    const { gate, setNow, observe } = harness();
    observe('NIFTY', '2026-12-01T10:15:00Z');
    // 09:00:00 IST Wed 2 Dec 2026
    setNow('2026-12-02T03:30:00Z');
    expect(gate.decide('NIFTY')).toEqual({ collect: true, reason: 'session' });
    expect(gate.isResting('NIFTY')).toBe(false);
    // 08:59:59.999 IST still rests
    setNow('2026-12-02T03:29:59.999Z');
    expect(gate.decide('NIFTY').collect).toBe(false);
  });

  it('without a pre-open (before 8 Dec 2025) resumes resumeBeforeOpenMs before the 09:15 IST open', () => {
    const { gate, setNow, observe } = harness({ resumeBeforeOpenMs: 5 * 60_000 });
    // 15:35 IST Thu 4 Dec 2025, after its 15:30 IST close
    observe('NIFTY', '2025-12-04T10:05:00Z');
    // 09:04 IST Fri 5 Dec 2025
    setNow('2025-12-05T03:34:00Z');
    const decision = gate.decide('NIFTY');
    expect(decision.collect).toBe(false);
    if (!decision.collect) {
      // 09:10 IST
      expect(decision.resumesAt.toISOString()).toBe('2025-12-05T03:40:00.000Z');
    }
    // 09:10 IST
    setNow('2025-12-05T03:40:00Z');
    expect(gate.decide('NIFTY')).toEqual({ collect: true, reason: 'session' });
    // the default is 15 minutes: 09:00 IST with the default options collects
    const byDefault = harness();
    byDefault.observe('NIFTY', '2025-12-04T10:05:00Z');
    byDefault.setNow('2025-12-05T03:30:00Z');
    expect(byDefault.gate.decide('NIFTY')).toEqual({ collect: true, reason: 'session' });
  });
});

describe('createSessionGate while closed', () => {
  it('collects one initial snapshot when there is none', () => {
    const { gate, setNow } = harness();
    // 16:00 IST Wed 2 Dec 2026
    setNow('2026-12-02T10:30:00Z');
    expect(gate.decide('NIFTY')).toEqual({ collect: true, reason: 'initial' });
    expect(gate.isResting('NIFTY')).toBe(false);
    // 12:00 IST Sun 6 Dec 2026
    setNow('2026-12-06T06:30:00Z');
    expect(gate.decide('BANKNIFTY')).toEqual({ collect: true, reason: 'initial' });
  });

  it('collects a closing snapshot when the latest one is before the close, then rests once it is at the close', () => {
    const { gate, setNow, observe } = harness();
    // 16:00 IST Wed 2 Dec 2026
    setNow('2026-12-02T10:30:00Z');
    // 15:39:59 IST, before the 15:40 IST close
    observe('NIFTY', '2026-12-02T10:09:59Z');
    expect(gate.decide('NIFTY')).toEqual({ collect: true, reason: 'closing' });
    expect(gate.isResting('NIFTY')).toBe(false);
    // 15:40:00 IST, at the close
    observe('NIFTY', '2026-12-02T10:10:00Z');
    const decision = gate.decide('NIFTY');
    expect(decision.collect).toBe(false);
    if (!decision.collect) {
      // Thu 3 Dec 09:00 IST
      expect(decision.resumesAt.toISOString()).toBe('2026-12-03T03:30:00.000Z');
      expect(decision.restMs).toBe(DEFAULT_MAX_REST_MS);
    }
    expect(gate.isResting('NIFTY')).toBe(true);
    // 16:00 IST, after the close
    observe('NIFTY', '2026-12-02T10:30:00Z');
    expect(gate.isResting('NIFTY')).toBe(true);
  });

  it('before the pre-open, a snapshot older than the previous close still earns a closing one', () => {
    const { gate, setNow, observe } = harness();
    // 15:00 IST Tue 1 Dec 2026, before its 15:40 IST close
    observe('NIFTY', '2026-12-01T09:30:00Z');
    // 08:50 IST Wed 2 Dec 2026
    setNow('2026-12-02T03:20:00Z');
    expect(gate.decide('NIFTY')).toEqual({ collect: true, reason: 'closing' });
  });

  it('rests across a weekend and a holiday until the next pre-open', () => {
    const { gate, setNow, observe } = harness();
    // 15:45 IST Fri 4 Dec 2026; now 12:00 IST Sat 5 Dec 2026
    observe('NIFTY', '2026-12-04T10:15:00Z');
    setNow('2026-12-05T06:30:00Z');
    const weekend = gate.decide('NIFTY');
    expect(weekend.collect).toBe(false);
    if (!weekend.collect) {
      // Mon 7 Dec 09:00 IST
      expect(weekend.resumesAt.toISOString()).toBe('2026-12-07T03:30:00.000Z');
    }
    // 15:45 IST Thu 24 Dec 2026; now 12:00 IST Fri 25 Dec 2026 (Christmas)
    observe('SENSEX', '2026-12-24T10:15:00Z');
    setNow('2026-12-25T06:30:00Z');
    const holiday = gate.decide('SENSEX');
    expect(holiday.collect).toBe(false);
    if (!holiday.collect) {
      // Mon 28 Dec 09:00 IST
      expect(holiday.resumesAt.toISOString()).toBe('2026-12-28T03:30:00.000Z');
    }
    expect(gate.isResting('SENSEX')).toBe(true);
  });
});

describe('createSessionGate collectOutsideHours', () => {
  it('always collects with reason outside-hours', () => {
    const { gate, setNow, observe } = harness({ collectOutsideHours: true });
    // 15:45 IST Tue 1 Dec 2026, after the close
    observe('NIFTY', '2026-12-01T10:15:00Z');
    const instants = [
      '2026-12-01T20:30:00Z', // 02:00 IST Wed 2 Dec 2026
      '2026-12-02T03:20:00Z', // 08:50 IST
      '2026-12-02T06:30:00Z', // 12:00 IST, in session
      '2026-12-25T06:30:00Z', // 12:00 IST Christmas
    ];
    for (const instant of instants) {
      setNow(instant);
      expect(gate.decide('NIFTY'), instant).toEqual({ collect: true, reason: 'outside-hours' });
      expect(gate.isResting('NIFTY'), instant).toBe(false);
    }
  });
});

describe('createSessionGate on the simulated session clock', () => {
  it('always collects with reason session', () => {
    const { gate, setNow, observe } = harness({ clock: SESSION_CLOCK });
    const instants = [
      '2026-12-01T20:30:00Z', // 02:00 IST Wed 2 Dec 2026
      '2026-12-02T03:44:59Z', // 09:14:59 IST
      '2026-12-06T06:30:00Z', // 12:00 IST Sun 6 Dec 2026
      '2026-12-25T06:30:00Z', // 12:00 IST Christmas
    ];
    for (const instant of instants) {
      setNow(instant);
      // a snapshot taken that very instant
      observe('NIFTY', instant);
      expect(gate.decide('NIFTY'), instant).toEqual({ collect: true, reason: 'session' });
      expect(gate.decide('SENSEX'), instant).toEqual({ collect: true, reason: 'session' });
      expect(gate.isResting('NIFTY'), instant).toBe(false);
    }
  });
});
