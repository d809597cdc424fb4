import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { nearestStrike } from '../../src/analytics/atm-strike.ts';
import { buildIndexSnapshot } from '../../src/collectors/collect-once.ts';
import type { ChainSelection } from '../../src/config-file.ts';
import { segmentOf } from '../../src/domain/calendar/calendar-data.ts';
import { DEFAULT_EXCHANGE_CALENDAR } from '../../src/domain/calendar/default-calendar.ts';
import { INDEX_SPECS, type IndexSymbol } from '../../src/domain/indices.ts';
import { fakeClock, kiteProviderFor, startFakeKite, tempDir } from '../helpers/fake-kite.ts';
import { testSettings } from '../helpers/simulated-snapshots.ts';

/** 10:30 IST on Monday 17 Aug 2026, the day the real instruments dump was taken. */
const DUMP_DAY = '2026-08-17T05:00:00Z';
const YEAR_MS = 365 * 24 * 60 * 60 * 1000;
/** NIFTY's nearest listed expiry that day: THIS_WEEK. */
const THIS_WEEK = '2026-08-18';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) {
    await step();
  }
});

/**
 * An HTTP pass-through to the fake Kite that keeps the instruments of every quote request (`i=`), so a test
 * can say exactly what the provider asked Kite for.
 */
async function startQuoteRecorder(target: string): Promise<{ url: string; quoted: string[][] }> {
  const quoted: string[][] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', target);
    if (url.pathname.startsWith('/quote')) {
      quoted.push(url.searchParams.getAll('i'));
    }
    const upstream = request(url, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (error) => res.destroy(error));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, quoted };
}

/** The dump's NIFTY contracts of one expiry, by strike (ascending), as the fake lists them to Kite clients. */
function listedContracts(csv: string, index: IndexSymbol, expiry: string): Array<{ strike: number; keys: string[] }> {
  const byStrike = new Map<number, string[]>();
  for (const line of csv.split('\n').slice(1)) {
    const cells = line.split(',');
    if (cells[3] === index && cells[5] === expiry && (cells[9] === 'CE' || cells[9] === 'PE')) {
      const strike = Number(cells[6]);
      byStrike.set(strike, [...(byStrike.get(strike) ?? []), `${cells[11]}:${cells[2]}`]);
    }
  }
  return [...byStrike.entries()].sort((a, b) => a[0] - b[0]).map(([strike, keys]) => ({ strike, keys: keys.sort() }));
}

describe('Kite provider with per-index collection settings (Config.collection)', () => {
  it('asks Kite only for the wanted expiry and the below/above window plus its margin', async () => {
    const clock = fakeClock(DUMP_DAY);
    const fake = await startFakeKite({ now: clock.now, quoteRequestsPerSecond: 100, otherRequestsPerSecond: 100 });
    cleanup.push(() => fake.close());
    const recorder = await startQuoteRecorder(fake.restUrl);
    const dir = tempDir();
    cleanup.push(() => dir.remove());
    const selection: ChainSelection = { strikesBelowAtm: 3, strikesAboveAtm: 5, expiries: ['THIS_WEEK'] };
    const provider = kiteProviderFor(fake, {
      cacheDir: dir.path,
      now: clock.now,
      root: recorder.url,
      quoteRequestsPerSecond: 50,
      indices: ['NIFTY'],
      strikesAroundAtm: 30,
      strikeMargin: 5,
      collection: new Map([['NIFTY', selection]]),
    });
    cleanup.push(() => provider.close());
    await provider.start?.();
    const data = await provider.fetchIndex('NIFTY', new AbortController().signal);

    // What the window should be, worked out from the dump and the fake's spot, not from the provider.
    const spotKey = INDEX_SPECS.NIFTY.spotInstrument;
    const listing = listedContracts(fake.market.instrumentsCsv('NFO'), 'NIFTY', THIS_WEEK);
    const cutoff = DEFAULT_EXCHANGE_CALENDAR.expiryCutoff(segmentOf(INDEX_SPECS.NIFTY), THIS_WEEK);
    const forward =
      fake.market.spot('NIFTY') * Math.exp((0.065 * (cutoff.getTime() - clock.now().getTime())) / YEAR_MS);
    const atm = nearestStrike(
      listing.map((c) => c.strike),
      forward,
    );
    const at = listing.findIndex((c) => c.strike === atm);
    // 3 below + 5 margin, the ATM strike, 5 above + 5 margin; a call and a put each.
    const window = listing.slice(at - 8, at + 11);
    expect(window).toHaveLength(19);

    // First collection: the spot alone (a weekly has no future), then that one window.
    expect(recorder.quoted).toHaveLength(2);
    expect(recorder.quoted[0]).toEqual([spotKey]);
    expect([...recorder.quoted[1]!].sort()).toEqual(window.flatMap((c) => c.keys).sort());
    expect(recorder.quoted[1]).toHaveLength(38);

    // Every expiry stays listed (tags are resolved over all of them); only THIS_WEEK carries quotes.
    expect(data.expiries.map((e) => e.expiry)[0]).toBe(THIS_WEEK);
    expect(data.expiries.map((e) => e.strikes.length)).toEqual([19, 0, 0, 0, 0, 0, 0]);
    expect(data.expiries.map((e) => e.futuresPrice ?? null)).toEqual([null, null, null, null, null, null, null]);

    // The collector's snapshot keeps exactly 3 below and 5 above the ATM strike of THIS_WEEK.
    const snapshot = buildIndexSnapshot(data, 1, testSettings({ collection: new Map([['NIFTY', selection]]) }));
    expect(snapshot.chains.map((c) => [c.expiry, c.expiryTags])).toEqual([[THIS_WEEK, ['THIS_WEEK']]]);
    expect(snapshot.chains[0]!.strikes.map((s) => s.strike)).toEqual(
      listing.slice(at - 3, at + 6).map((c) => c.strike),
    );

    // Later collections ask for the spot and the same window in one request.
    await provider.fetchIndex('NIFTY', new AbortController().signal);
    expect(recorder.quoted).toHaveLength(3);
    expect([...recorder.quoted[2]!].sort()).toEqual([spotKey, ...window.flatMap((c) => c.keys)].sort());
  });

  it('resolves NEXT_WEEK over every listed expiry and quotes the monthly’s future with it', async () => {
    const clock = fakeClock(DUMP_DAY);
    const fake = await startFakeKite({ now: clock.now, quoteRequestsPerSecond: 100, otherRequestsPerSecond: 100 });
    cleanup.push(() => fake.close());
    const recorder = await startQuoteRecorder(fake.restUrl);
    const dir = tempDir();
    cleanup.push(() => dir.remove());
    const provider = kiteProviderFor(fake, {
      cacheDir: dir.path,
      now: clock.now,
      root: recorder.url,
      quoteRequestsPerSecond: 50,
      indices: ['NIFTY'],
      strikesAroundAtm: 30,
      collection: new Map([['NIFTY', { strikesBelowAtm: 2, strikesAboveAtm: 2, expiries: ['NEXT_WEEK'] }]]),
    });
    cleanup.push(() => provider.close());
    await provider.start?.();
    const data = await provider.fetchIndex('NIFTY', new AbortController().signal);
    // NEXT_WEEK is the second listed expiry, the August monthly, though THIS_WEEK is not collected.
    expect(data.expiries.filter((e) => e.strikes.length > 0).map((e) => e.expiry)).toEqual(['2026-08-25']);
    expect(data.expiries[1]!.futuresPrice).toBe(fake.market.futuresPrice('NIFTY', '2026-08-25'));
    const options = recorder.quoted.flat().filter((key) => /(CE|PE)$/.test(key));
    expect(options).toHaveLength((2 + 5 + 1 + 2 + 5) * 2);
    expect(options.every((key) => key.startsWith('NFO:NIFTY26AUG'))).toBe(true);
  });
});
