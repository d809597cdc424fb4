import { describe, expect, it } from 'vitest';
import type { MarketStatus } from '../../../src/domain/calendar/exchange-calendar.ts';
import type { IndexSymbol } from '../../../src/domain/indices.ts';
import type { ProfileStore } from '../../../src/history/profile-store.ts';
import { createProfileUpdater, lastClosedDay } from '../../../src/history/profile-updater.ts';
import { createLogger } from '../../../src/logger.ts';

const status = (state: MarketStatus['state'], tradingDay: string, segment: MarketStatus['segment'] = 'NSE_FO') =>
  ({ segment, state, tradingDay }) as MarketStatus;

function recordingStore() {
  const calls: Array<[IndexSymbol, string]> = [];
  const store = {
    settings: { bucketSeconds: 30, alpha: 0.5, maxOffset: 10 },
    async update(index: IndexSymbol, throughDay: string) {
      calls.push([index, throughDay]);
      return { index, folded: [], rebuilt: [] };
    },
  } as unknown as ProfileStore;
  return { store, calls };
}

describe('profile updater', () => {
  it('takes the current day once its session closed, else the day before', () => {
    expect(lastClosedDay(status('CLOSED', '2026-12-02'))).toBe('20261202');
    expect(lastClosedDay(status('HOLIDAY', '2026-12-02'))).toBe('20261202');
    expect(lastClosedDay(status('OPEN', '2026-12-03'))).toBe('20261202');
    expect(lastClosedDay(status('PRE_OPEN', '2026-12-03'))).toBe('20261202');
  });

  it('catches up at start, folds a segment’s indices at its close, one update at a time, and nothing after stop', async () => {
    const { store, calls } = recordingStore();
    const updater = createProfileUpdater({
      store,
      indices: ['NIFTY', 'SENSEX'],
      indicesOf: (s) => (s.segment === 'NSE_FO' ? ['NIFTY'] : ['SENSEX']),
      statusOf: (index) =>
        status(index === 'NIFTY' ? 'OPEN' : 'CLOSED', '2026-12-03', index === 'NIFTY' ? 'NSE_FO' : 'BSE_FO'),
      logger: createLogger({ logLevel: 'silent' as never, logFormat: 'json' }),
    });
    updater.start();
    updater.onMarketStatus(status('OPEN', '2026-12-03'));
    updater.onMarketStatus(status('CLOSED', '2026-12-03'));
    await updater.idle();
    expect(calls).toEqual([
      ['NIFTY', '20261202'],
      ['SENSEX', '20261203'],
      ['NIFTY', '20261203'],
    ]);
    await updater.stop();
    updater.onMarketStatus(status('CLOSED', '2026-12-04', 'BSE_FO'));
    await updater.idle();
    expect(calls).toHaveLength(3);
  });
});
