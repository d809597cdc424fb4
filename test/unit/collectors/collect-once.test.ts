import { describe, expect, it } from 'vitest';
import { buildIndexSnapshot, collectOnce, windowStrikes } from '../../../src/collectors/collect-once.ts';
import { createCollectionActivity } from '../../../src/collectors/collection-activity.ts';
import { DayBaselines } from '../../../src/collectors/day-baselines.ts';
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
