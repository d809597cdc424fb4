import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { CONTRACT_QUERY } from '../helpers/contract-query.ts';
import { postGraphQL, subscribe } from '../helpers/test-app.ts';

/**
 * The built CLI started at chosen instants under Debian's libfaketime (its wall clock starts there and
 * runs on), so the suite proves the README's query and subscription at the hours that used to fail.
 */
const INSTANTS = [
  { name: '02:00 IST on a weekday', at: '2026-12-01T20:30:00Z', exchangeState: 'CLOSED', timeZone: 'UTC' },
  {
    name: '02:00 IST on a weekday, process in America/New_York',
    at: '2026-12-01T20:30:00Z',
    exchangeState: 'CLOSED',
    timeZone: 'America/New_York',
  },
  { name: '09:20 IST on an NSE expiry day', at: '2026-12-08T03:50:00Z', exchangeState: 'OPEN', timeZone: 'UTC' },
  {
    name: '15:45 IST on a weekday (after the close)',
    at: '2026-12-02T10:15:00Z',
    exchangeState: 'CLOSED',
    timeZone: 'UTC',
  },
  { name: 'a Sunday', at: '2026-12-06T06:30:00Z', exchangeState: 'CLOSED', timeZone: 'UTC' },
] as const;

const STATUS_QUERY = `{
  index(symbol: NIFTY) { marketStatus { state clock tradingDay sessionOpensAt nextOpenAt } }
  overview(index: NIFTY) { marketState tradingDay }
}`;

async function startAt(at: string, timeZone: string, env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'g6-hours-'));
  onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }));
  const run = runCli(
    ['--port', '0'],
    {
      G6_HOST: '127.0.0.1',
      G6_DATA_DIR: dataDir,
      G6_INDICES: 'NIFTY,SENSEX',
      G6_COLLECTION_INTERVAL: '0.3',
      G6_LOG_FORMAT: 'json',
      G6_LOG_LEVEL: 'debug',
      ...env,
    },
    { fakeTime: new Date(at), timeZone },
  );
  const ready = await run.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('G6 server ready'));
  // Both indices: /ready is 503 until every index has its first snapshot, and SENSEX may come second.
  await run.waitForLog((l) => l.msg === 'collected' && l.index === 'NIFTY');
  await run.waitForLog((l) => l.msg === 'collected' && l.index === 'SENSEX');
  return { run, port: ready.port as number };
}

describe('g6 at any hour (built CLI under faketime)', () => {
  for (const instant of INSTANTS) {
    it(`serves a live-looking simulated session at ${instant.name}`, async () => {
      const { run, port } = await startAt(instant.at, instant.timeZone, {});
      const url = `http://127.0.0.1:${port}`;
      const result = await postGraphQL(url, CONTRACT_QUERY);
      expect(result.errors).toBeUndefined();
      const overview = result.data!.overview as Record<string, unknown>;
      for (const [field, value] of Object.entries(overview)) {
        expect(value, field).not.toBeNull();
      }
      // The process's clock is the faked one: the snapshot is minutes from the chosen instant, not today.
      expect(Math.abs(Date.parse(overview.timestamp as string) - Date.parse(instant.at))).toBeLessThan(60_000);
      const strikes = (result.data!.optionChain as { strikes: Array<{ call: { volume: number } }> }).strikes;
      expect(strikes.reduce((n, s) => n + s.call.volume, 0)).toBeGreaterThan(0);
      const status = await postGraphQL(url, STATUS_QUERY);
      const marketStatus = (status.data!.index as { marketStatus: Record<string, unknown> }).marketStatus;
      expect(marketStatus.state).toBe('OPEN');
      expect(marketStatus.clock).toBe('SIMULATED_SESSION');
      expect((status.data!.overview as Record<string, unknown>).marketState).toBe('OPEN');

      const ws = subscribe<{ overviewUpdated: { seq: number; pcrVolume: number | null } }>(
        `ws://127.0.0.1:${port}/graphql`,
        'subscription { overviewUpdated(index: NIFTY) { seq pcrVolume } }',
      );
      const first = await ws.next();
      const second = await ws.next();
      await ws.close();
      expect(first.data!.overviewUpdated.pcrVolume).not.toBeNull();
      expect(second.data!.overviewUpdated.seq).toBeGreaterThan(first.data!.overviewUpdated.seq);
      run.child.kill('SIGTERM');
      expect((await run.exited).code).toBe(0);
    });

    it(`follows the exchange calendar with G6_SIM_CLOCK=exchange at ${instant.name}`, async () => {
      const { run, port } = await startAt(instant.at, instant.timeZone, { G6_SIM_CLOCK: 'exchange' });
      const url = `http://127.0.0.1:${port}`;
      const status = await postGraphQL(url, STATUS_QUERY);
      expect(status.errors).toBeUndefined();
      const marketStatus = (status.data!.index as { marketStatus: Record<string, unknown> }).marketStatus;
      expect(marketStatus.state).toBe(instant.exchangeState);
      expect(marketStatus.clock).toBe('EXCHANGE');
      const overview = status.data!.overview as Record<string, unknown>;
      expect(overview.marketState).toBe(instant.exchangeState);
      // Closed or open, the README's query answers in full: a closed market serves its session's close.
      const result = await postGraphQL(url, CONTRACT_QUERY);
      for (const [field, value] of Object.entries(result.data!.overview as Record<string, unknown>)) {
        expect(value, field).not.toBeNull();
      }
      const ready = await fetch(`${url}/ready`);
      expect(ready.status).toBe(200);
      if (instant.exchangeState === 'CLOSED') {
        // One snapshot at start, then the collector rests: no false staleness, and it says the market is shut.
        await run.waitForLog((l) => l.msg === 'market closed: collection resting' && l.index === 'NIFTY');
        expect(await ready.json()).toMatchObject({ ready: true, marketOpen: false });
        expect(run.lines.filter((l) => l.msg === 'collected' && l.index === 'NIFTY')).toHaveLength(1);
      }
      run.child.kill('SIGTERM');
      expect((await run.exited).code).toBe(0);
    });
  }
});
