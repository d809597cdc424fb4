import { describe, expect, it } from 'vitest';
import type { IndexSymbol } from '../../../src/domain/indices.ts';
import { createOverviewWarmer, WARM_OVERVIEW_DAYS } from '../../../src/history/overview-warmer.ts';
import { createLogger } from '../../../src/logger.ts';
import { createDeferred, createEventQueue, type Deferred } from '../../helpers/deferred.ts';

const logger = createLogger({ logLevel: 'silent' as never, logFormat: 'json' });

interface WarmCall {
  readonly index: IndexSymbol;
  readonly dayCount: number;
  readonly gate: Deferred<readonly string[]>;
}

/** A store whose warm of each index waits until the test lets it finish. */
function gatedHistory() {
  const calls = createEventQueue<WarmCall>();
  return {
    calls,
    history: {
      warmOverviewSeries(index: IndexSymbol, dayCount: number) {
        const gate = createDeferred<readonly string[]>();
        calls.push({ index, dayCount, gate });
        return gate.promise;
      },
    },
  };
}

describe('overview warmer', () => {
  it('warms each index in turn over the last month, and goes on past a failure', async () => {
    const store = gatedHistory();
    const warmer = createOverviewWarmer({ history: store.history, indices: ['NIFTY', 'BANKNIFTY', 'SENSEX'], logger });
    warmer.start();
    warmer.start();
    const seen: Array<[IndexSymbol, number]> = [];
    const first = await store.calls.next();
    seen.push([first.index, first.dayCount]);
    first.gate.reject(new Error('disk gone'));
    const second = await store.calls.next();
    seen.push([second.index, second.dayCount]);
    second.gate.resolve(['20261201']);
    const third = await store.calls.next();
    seen.push([third.index, third.dayCount]);
    third.gate.resolve([]);
    await warmer.stop();
    expect(seen).toEqual([
      ['NIFTY', WARM_OVERVIEW_DAYS],
      ['BANKNIFTY', WARM_OVERVIEW_DAYS],
      ['SENSEX', WARM_OVERVIEW_DAYS],
    ]);
  });

  it('stop waits for the index in progress and begins no other', async () => {
    const store = gatedHistory();
    const warmer = createOverviewWarmer({ history: store.history, indices: ['NIFTY', 'BANKNIFTY'], logger });
    warmer.start();
    const first = await store.calls.next();
    let stopped = false;
    const stopping = warmer.stop().then(() => {
      stopped = true;
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    first.gate.resolve(['20261201']);
    await stopping;
    expect(stopped).toBe(true);
    let more = false;
    void store.calls.next().then(() => {
      more = true;
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(more).toBe(false);
  });
});
