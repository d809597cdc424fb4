import { describe, expect, it } from 'vitest';
import { nearestStrike, strikeWindow } from '../../../src/analytics/atm-strike.ts';
import { buildIndexSnapshot, collectOnce, windowStrikes } from '../../../src/collectors/collect-once.ts';
import { createCollectionActivity } from '../../../src/collectors/collection-activity.ts';
import { DayBaselines } from '../../../src/collectors/day-baselines.ts';
import type { ChainSelection } from '../../../src/config-file.ts';
import type { IndexSnapshot } from '../../../src/domain/snapshot.ts';
import { createFanOutSink } from '../../../src/sinks/fan-out-sink.ts';
import type { SnapshotSink } from '../../../src/sinks/snapshot-sink.ts';
import { createSnapshotPubSub } from '../../../src/store/snapshot-pubsub.ts';
import { createSnapshotStore } from '../../../src/store/snapshot-store.ts';
import { createTestMarket, emptySnapshot, TEST_INSTANT, testSettings } from '../../helpers/simulated-snapshots.ts';

describe('collectOnce', () => {
  it('stores, then publishes, then writes to sinks; a failing sink is reported, not thrown', async () => {
    const order: string[] = [];
    const market = createTestMarket('MIDCPNIFTY');
    const store = createSnapshotStore();
    const pubsub = createSnapshotPubSub();
    const subscription = pubsub.subscribe('MIDCPNIFTY');
    const received = subscription.next().then((r) => {
      order.push(`published seq=${r.value!.seq} stored=${store.getIndex('MIDCPNIFTY')?.seq}`);
    });
    const good: SnapshotSink = {
      name: 'good',
      async write(snapshot: IndexSnapshot) {
        await received;
        order.push(`good sink seq=${snapshot.seq}`);
      },
      async close() {},
    };
    const broken: SnapshotSink = {
      name: 'broken',
      async write() {
        throw new Error('disk on fire');
      },
      async close() {},
    };
    const deps = {
      provider: {
        name: 'test',
        fetchIndex: async () => market.advance(TEST_INSTANT),
        close: async () => {},
      },
      store,
      pubsub,
      sink: createFanOutSink([good, broken]),
      settings: testSettings({ strikesAroundAtm: 10 }),
      baselines: new DayBaselines(),
      sinkTimeoutMs: 1000,
    };
    const result = await collectOnce(deps, 'MIDCPNIFTY', new AbortController().signal);
    expect(order).toEqual(['published seq=1 stored=1', 'good sink seq=1']);
    expect(result.sinkOutcomes.map((o) => [o.sink, o.ok])).toEqual([
      ['good', true],
      ['broken', false],
    ]);
    expect((result.sinkOutcomes[1]!.error as Error).message).toBe('disk on fire');
    const second = await collectOnce(deps, 'MIDCPNIFTY', new AbortController().signal);
    expect(second.snapshot.seq).toBe(2);
    for (const chain of second.snapshot.chains) {
      expect(chain.strikes).toHaveLength(21);
    }
  });

  it('marks its own processing busy (analytics to sinks) but not the wait on the provider', async () => {
    const market = createTestMarket('MIDCPNIFTY');
    const activity = createCollectionActivity();
    const seen: string[] = [];
    const deps = {
      provider: {
        name: 'test',
        fetchIndex: async () => {
          seen.push(`fetch busy=${activity.busy()}`);
          return market.advance(TEST_INSTANT);
        },
        close: async () => {},
      },
      store: createSnapshotStore(),
      pubsub: createSnapshotPubSub(),
      sink: createFanOutSink([
        {
          name: 'watch',
          async write() {
            seen.push(`sink busy=${activity.busy()}`);
          },
          async close() {},
        },
      ]),
      settings: testSettings({ strikesAroundAtm: 5 }),
      baselines: new DayBaselines(),
      sinkTimeoutMs: 1000,
      activity,
    };
    await collectOnce(deps, 'MIDCPNIFTY', new AbortController().signal);
    expect(seen).toEqual(['fetch busy=false', 'sink busy=true']);
    expect(activity.busy()).toBe(false);

    const failing = {
      ...deps,
      provider: { ...deps.provider, fetchIndex: async () => ({ ...market.advance(TEST_INSTANT), spot: Number.NaN }) },
    };
    await expect(collectOnce(failing, 'MIDCPNIFTY', new AbortController().signal)).rejects.toThrow(/invalid spot/);
    expect(activity.busy()).toBe(false);
  });

  it('times out a hung sink instead of blocking the loop', async () => {
    const sink = createFanOutSink([{ name: 'hung', write: () => new Promise(() => undefined), close: async () => {} }]);
    const [outcome] = await sink.write(emptySnapshot('NIFTY'), 10);
    expect(outcome!.ok).toBe(false);
    expect(String(outcome!.error)).toMatch(/timed out after 10 ms/);
  });
});

describe('buildIndexSnapshot', () => {
  it('drops expired expiries, sorts by expiry and rejects an invalid spot', () => {
    const data = createTestMarket('NIFTY').advance(TEST_INSTANT);
    const late = { ...data, observedAt: new Date('2026-08-18T10:10:00Z') }; // 15:40 IST, the NSE cut-off
    const snapshot = buildIndexSnapshot(late, 1, testSettings({ strikesAroundAtm: 0 }));
    expect(snapshot.chains.map((c) => c.expiry)).not.toContain('2026-08-18');
    expect(snapshot.chains.map((c) => c.expiry)).toEqual([...snapshot.chains.map((c) => c.expiry)].sort());
    expect(() => buildIndexSnapshot({ ...data, spot: Number.NaN }, 1, testSettings())).toThrow(/invalid spot/);
  });

  it('windows strikes around the forward, keeping the window size at the edges', () => {
    const chain = createTestMarket('NIFTY').advance(TEST_INSTANT).expiries[0]!;
    const low = windowStrikes(chain, chain.strikes[0]!.strike, 5);
    expect(low.strikes).toHaveLength(11);
    expect(low.strikes[0]!.strike).toBe(chain.strikes[0]!.strike);
    const mid = chain.strikes[40]!.strike;
    const centred = windowStrikes(chain, mid + 1, 5);
    expect(centred.strikes[5]!.strike).toBe(mid);
  });
});

describe('buildIndexSnapshot with per-index selections (Config.collection)', () => {
  const data = createTestMarket('NIFTY').advance(TEST_INSTANT);
  const only = (selection: ChainSelection) => testSettings({ collection: new Map([['NIFTY', selection]]) });

  it('keeps strikesBelowAtm under and strikesAboveAtm over the ATM strike of the wanted expiries only', () => {
    const snapshot = buildIndexSnapshot(
      data,
      1,
      only({ strikesBelowAtm: 3, strikesAboveAtm: 5, expiries: ['NEXT_WEEK'] }),
    );
    // NEXT_WEEK is the second listed expiry (the August monthly), THIS_WEEK not being collected.
    expect(snapshot.chains.map((c) => [c.expiry, c.expiryTags])).toEqual([['2026-08-25', ['NEXT_WEEK', 'THIS_MONTH']]]);
    const listed = data.expiries[1]!;
    const atm = nearestStrike(
      listed.strikes.map((s) => s.strike),
      listed.futuresPrice!,
    );
    const at = listed.strikes.findIndex((s) => s.strike === atm);
    expect(snapshot.chains[0]!.strikes.map((s) => s.strike)).toEqual(
      listed.strikes.slice(at - 3, at + 6).map((s) => s.strike),
    );
    // The term structure and surface are built from the kept chains alone.
    expect(snapshot.termStructure.map((p) => p.expiry)).toEqual(['2026-08-25']);
  });

  it('resolves tags over every listed expiry, also those a provider left empty', () => {
    // As the Kite provider lists them: every expiry, the unwanted ones without strikes.
    const kiteLike = {
      ...data,
      expiries: data.expiries.map((e, i) => (i === 1 || i === 5 ? e : { ...e, strikes: [] })),
    };
    const months = buildIndexSnapshot(
      kiteLike,
      1,
      only({ strikesBelowAtm: 2, strikesAboveAtm: 2, expiries: ['NEXT_WEEK', 'NEXT_MONTH'] }),
    );
    expect(months.chains.map((c) => [c.expiry, c.expiryTags, c.strikes.length])).toEqual([
      ['2026-08-25', ['NEXT_WEEK', 'THIS_MONTH'], 5],
      ['2026-09-29', ['NEXT_MONTH'], 5],
    ]);
    const thisWeek = buildIndexSnapshot(
      kiteLike,
      1,
      only({ strikesBelowAtm: 2, strikesAboveAtm: 2, expiries: ['THIS_WEEK'] }),
    );
    expect(thisWeek.chains).toEqual([]);
  });

  it('is exactly today’s snapshot without a selection for the index; 0 and 0 keeps whole chains', () => {
    const today = buildIndexSnapshot(data, 1, testSettings({ strikesAroundAtm: 7 }));
    expect(buildIndexSnapshot(data, 1, testSettings({ strikesAroundAtm: 7, collection: new Map() }))).toEqual(today);
    const otherIndex = testSettings({
      strikesAroundAtm: 7,
      collection: new Map([['SENSEX', { strikesBelowAtm: 1, strikesAboveAtm: 1, expiries: ['THIS_WEEK'] }]]),
    });
    expect(buildIndexSnapshot(data, 1, otherIndex)).toEqual(today);
    expect(buildIndexSnapshot(data, 1, only({ strikesBelowAtm: 7, strikesAboveAtm: 7, expiries: 'ALL' }))).toEqual(
      today,
    );
    const whole = buildIndexSnapshot(data, 1, only({ strikesBelowAtm: 0, strikesAboveAtm: 0, expiries: 'ALL' }));
    expect(whole.chains.map((c) => c.strikes.length)).toEqual(data.expiries.map((e) => e.strikes.length));
  });
});

describe('strikeWindow (below, above)', () => {
  const rows = [100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200, 210].map((strike) => ({ strike }));
  const strikes = (kept: readonly { strike: number }[]) => kept.map((r) => r.strike);

  it('keeps below under and above over the nearest strike, the same length at either edge', () => {
    expect(strikes(strikeWindow(rows, 151, 2, 3))).toEqual([130, 140, 150, 160, 170, 180]);
    expect(strikes(strikeWindow(rows, 104, 2, 3))).toEqual([100, 110, 120, 130, 140, 150]);
    expect(strikes(strikeWindow(rows, 209, 2, 3))).toEqual([160, 170, 180, 190, 200, 210]);
  });

  it('keeps none on a side given 0 there, every row for 0 and 0 or a short listing', () => {
    expect(strikes(strikeWindow(rows, 150, 0, 2))).toEqual([150, 160, 170]);
    expect(strikes(strikeWindow(rows, 150, 2, 0))).toEqual([130, 140, 150]);
    expect(strikeWindow(rows, 150, 0, 0)).toBe(rows);
    expect(strikeWindow(rows, 150, 5, 6)).toBe(rows);
  });
});
