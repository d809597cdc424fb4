import { afterEach, describe, expect, it } from 'vitest';
import { fakeClock } from '../helpers/fake-kite.ts';
import { postGraphQL, startTestApp, subscribe } from '../helpers/test-app.ts';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) {
    await step();
  }
});

const STATUS_FIELDS =
  'state exchange segment tradingDay sessionOpensAt sessionClosesAt nextOpenAt lastCloseAt holidayName';

describe('marketStatus over GraphQL (simulated market on the exchange clock)', () => {
  it('marketStatusChanged sends the status at once and the close the moment it happens', async () => {
    const clock = fakeClock('2026-12-02T10:09:59.000Z'); // 15:39:59 IST, a Wednesday
    const app = await startTestApp(
      { G6_SIM_CLOCK: 'exchange', G6_INDICES: 'NIFTY,SENSEX' },
      { now: clock.now, clockCheckMs: 20 },
    );
    cleanup.push(() => app.stop());
    const nifty = subscribe<{ marketStatusChanged: Record<string, unknown> }>(
      app.wsUrl,
      `subscription { marketStatusChanged(index: NIFTY) { ${STATUS_FIELDS} } }`,
    );
    cleanup.push(() => nifty.close());
    const first = (await nifty.next()).data!.marketStatusChanged;
    expect(first).toMatchObject({
      state: 'OPEN',
      exchange: 'NSE',
      segment: 'NSE_FO',
      tradingDay: '2026-12-02',
      sessionClosesAt: '2026-12-02T10:10:00.000Z', // 15:40 IST
    });
    // SENSEX trades on BSE, which closed at 15:30.
    const sensex = await postGraphQL(app.httpUrl, `{ index(symbol: SENSEX) { marketStatus { ${STATUS_FIELDS} } } }`);
    expect((sensex.data!.index as { marketStatus: Record<string, unknown> }).marketStatus).toMatchObject({
      state: 'CLOSED',
      exchange: 'BSE',
      lastCloseAt: '2026-12-02T10:00:00.000Z',
      nextOpenAt: '2026-12-03T03:45:00.000Z',
    });

    clock.set('2026-12-02T10:10:00.000Z'); // 15:40 IST
    const closed = (await nifty.next()).data!.marketStatusChanged;
    expect(closed).toMatchObject({
      state: 'CLOSED',
      tradingDay: '2026-12-02',
      lastCloseAt: '2026-12-02T10:10:00.000Z',
      sessionOpensAt: '2026-12-03T03:45:00.000Z', // Thursday 09:15 IST
      holidayName: null,
    });

    clock.set('2026-12-24T18:30:00.000Z'); // 00:00 IST on Christmas
    const christmas = (await nifty.next()).data!.marketStatusChanged;
    expect(christmas).toMatchObject({ state: 'HOLIDAY', holidayName: 'Christmas', tradingDay: '2026-12-24' });
    const info = await postGraphQL(app.httpUrl, '{ serverInfo { marketStatus { segment state clock } } }');
    expect((info.data!.serverInfo as { marketStatus: unknown[] }).marketStatus).toEqual([
      { segment: 'NSE_FO', state: 'HOLIDAY', clock: 'EXCHANGE' },
      { segment: 'BSE_FO', state: 'HOLIDAY', clock: 'EXCHANGE' },
    ]);
  });

  it('refuses an index the server does not collect with a coded error', async () => {
    const app = await startTestApp({ G6_INDICES: 'NIFTY' }, { now: () => new Date('2026-12-02T05:00:00Z') });
    cleanup.push(() => app.stop());
    const sub = subscribe(app.wsUrl, 'subscription { marketStatusChanged(index: SENSEX) { state } }');
    cleanup.push(() => sub.close());
    const result = await sub.next();
    expect(result.errors?.[0]?.extensions?.code).toBe('INDEX_NOT_CONFIGURED');
  });
});
