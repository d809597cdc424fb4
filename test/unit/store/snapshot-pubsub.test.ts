import { describe, expect, it } from 'vitest';
import type { IndexSnapshot } from '../../../src/domain/snapshot.ts';
import { createSnapshotPubSub } from '../../../src/store/snapshot-pubsub.ts';
import { emptySnapshot } from '../../helpers/simulated-snapshots.ts';

const snap = (index: 'NIFTY' | 'SENSEX', seq: number): IndexSnapshot => emptySnapshot(index, seq);

describe('snapshot pubsub', () => {
  it('delivers every snapshot to a subscriber that keeps up, per index only', async () => {
    const pubsub = createSnapshotPubSub();
    const nifty = pubsub.subscribe('NIFTY');
    const received: number[] = [];
    for (let seq = 1; seq <= 5; seq++) {
      pubsub.publish(snap('SENSEX', seq * 100));
      pubsub.publish(snap('NIFTY', seq));
      received.push((await nifty.next()).value!.seq);
    }
    expect(received).toEqual([1, 2, 3, 4, 5]);
  });

  it('conflates for a stalled subscriber: 5,000 publishes cost it one pending snapshot, and it resumes at the latest', async () => {
    let conflated = 0;
    const pubsub = createSnapshotPubSub({ onConflated: () => (conflated += 1) });
    const stalled = pubsub.subscribe('NIFTY');
    const healthy = pubsub.subscribe('NIFTY');
    const healthySeen: number[] = [];
    for (let seq = 1; seq <= 5000; seq++) {
      pubsub.publish(snap('NIFTY', seq));
      healthySeen.push((await healthy.next()).value!.seq);
    }
    expect(healthySeen).toHaveLength(5000);
    expect(healthySeen.at(-1)).toBe(5000);
    expect(conflated).toBe(4999);
    expect((await stalled.next()).value!.seq).toBe(5000);
  });

  it('ends a pending next() when the subscriber returns, aborts, or the pubsub closes', async () => {
    const pubsub = createSnapshotPubSub();
    const a = pubsub.subscribe('NIFTY');
    const pendingA = a.next();
    await a.return!();
    expect((await pendingA).done).toBe(true);

    const controller = new AbortController();
    const b = pubsub.subscribe('NIFTY', controller.signal);
    const pendingB = b.next();
    controller.abort();
    expect((await pendingB).done).toBe(true);

    const c = pubsub.subscribe('SENSEX');
    const pendingC = c.next();
    pubsub.close();
    expect((await pendingC).done).toBe(true);
    expect(pubsub.subscriberCount()).toBe(0);
  });
});
