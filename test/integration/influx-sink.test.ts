import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from '@influxdata/influxdb-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IndexSnapshot } from '../../src/domain/snapshot.ts';
import { createInfluxSink, type InfluxSinkEvents } from '../../src/sinks/influx-sink.ts';
import { snapshotToLineProtocol } from '../../src/sinks/line-protocol.ts';
import { SpoolFullError } from '../../src/sinks/line-spool.ts';
import { startBlackHoleProxy } from '../helpers/black-hole-proxy.ts';
import { createEventQueue } from '../helpers/deferred.ts';
import { simulatedSnapshots } from '../helpers/simulated-snapshots.ts';
import { startVictoriaMetrics, type VictoriaMetrics } from '../helpers/victoria-metrics.ts';

let vm: VictoriaMetrics;
const dirs: string[] = [];
const sinks: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  vm = await startVictoriaMetrics();
});
afterAll(async () => {
  await vm?.stop();
});
afterEach(async () => {
  vm.resume();
  await Promise.allSettled(sinks.splice(0).map((s) => s.close()));
  for (const dir of dirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

function spoolDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'g6-spool-'));
  dirs.push(dir);
  return dir;
}

function sinkFor(dir: string, events: InfluxSinkEvents = {}, overrides: { url?: string; maxSpoolBytes?: number } = {}) {
  const sink = createInfluxSink({
    url: overrides.url ?? vm.url,
    token: 'test-token',
    org: 'g6',
    bucket: 'options',
    spoolDir: dir,
    maxSpoolBytes: overrides.maxSpoolBytes ?? 64 * 1024 * 1024,
    requestTimeoutMs: 300,
    retryMinMs: 20,
    retryMaxMs: 100,
    closeFlushMs: 500,
    events,
  });
  sinks.push(sink);
  return sink;
}

/** `measurement,tags timestamp` of every point the snapshots should produce, one entry per line. */
function expectedKeys(snapshots: readonly IndexSnapshot[]): string[] {
  return snapshots.flatMap((s) =>
    snapshotToLineProtocol(s).map((line) => {
      const [series, , timestamp] = line.split(' ');
      return `${series} ${timestamp}`;
    }),
  );
}

/** The same keys as stored: one per (series, timestamp) that has at least one field. */
async function storedKeys(index: string): Promise<string[]> {
  const series = await vm.exportSeries('options_.*|market_overview_.*');
  const keys = new Set<string>();
  for (const s of series) {
    if (s.metric.index !== index) {
      continue;
    }
    const name = s.metric.__name__!;
    const measurement = name.startsWith('market_overview_') ? 'market_overview' : 'options';
    const tags = Object.entries(s.metric)
      .filter(([k]) => k !== '__name__' && k !== 'db')
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    for (const t of s.timestamps) {
      keys.add(`${measurement},${tags} ${t}`);
    }
  }
  return [...keys].sort();
}

/** Every sample of one field, for the count of (series, timestamp) pairs stored more than once. */
async function samplesOf(name: string, index: string): Promise<number[]> {
  const series = await vm.exportSeries(name);
  return series.filter((s) => s.metric.index === index).flatMap((s) => s.timestamps);
}

describe('Influx sink against VictoriaMetrics', () => {
  it('writes every point of a snapshot with its own timestamp and the G6.1 names', async () => {
    const snapshots = simulatedSnapshots('FINNIFTY', 3);
    const sink = sinkFor(spoolDir());
    await sink.start?.();
    for (const s of snapshots) {
      await sink.write(s);
    }
    await sink.drained();
    expect(await storedKeys('FINNIFTY')).toEqual([...new Set(expectedKeys(snapshots))].sort());
    const [first] = snapshots;
    const chain = first!.chains[0]!;
    const contract = chain.strikes[10]!.call!;
    const series = await vm.exportSeries(
      'options_last_price|options_oi|market_overview_pcr_oi|market_overview_max_pain',
    );
    const find = (name: string, labels: Record<string, string>) =>
      series.find((s) => s.metric.__name__ === name && Object.entries(labels).every(([k, v]) => s.metric[k] === v));
    const contractLabels = {
      index: 'FINNIFTY',
      expiry: chain.expiry,
      strike: String(chain.strikes[10]!.strike),
      option_type: 'CE',
    };
    const lastPrice = find('options_last_price', contractLabels)!;
    expect(lastPrice.timestamps[0]).toBe(first!.observedAt.getTime());
    expect(lastPrice.values[0]).toBe(contract.quote.lastPrice);
    expect(find('options_oi', contractLabels)!.values[0]).toBe(contract.quote.oi);
    const pcr = find('market_overview_pcr_oi', { index: 'FINNIFTY', expiry: chain.expiry })!;
    // VictoriaMetrics stores values to about 12 significant digits.
    for (const [i, s] of snapshots.entries()) {
      expect(pcr.values[i]).toBeCloseTo(s.chains[0]!.summary.pcrOi!, 9);
    }
    expect(find('market_overview_max_pain', { index: 'FINNIFTY', expiry: chain.expiry })!.values[0]).toBe(
      chain.summary.maxPainStrike,
    );
  });

  it('loses nothing through a frozen, killed and restarted server, each point stored once', async () => {
    const snapshots = simulatedSnapshots('MIDCPNIFTY', 12);
    const failures = createEventQueue<string>();
    const ups: boolean[] = [];
    const sink = sinkFor(spoolDir(), {
      onSendFailed: (kind) => failures.push(kind),
      onUpChanged: (up) => ups.push(up),
    });
    await sink.start?.();

    // Frozen: the kernel accepts connections and nothing answers; every request times out.
    vm.pause();
    for (const s of snapshots.slice(0, 4)) {
      await sink.write(s);
    }
    for (let i = 0; i < 3; i++) {
      expect(await failures.next()).toBe('retryable');
    }
    expect(sink.health?.().up).toBe(false);
    expect(sink.health?.().problems[0]).toMatch(/influx sink unreachable since .*snapshot\(s\)/);
    // Killed: connections refused.
    await vm.kill();
    for (const s of snapshots.slice(4, 7)) {
      await sink.write(s);
    }
    for (let i = 0; i < 2; i++) {
      expect(await failures.next()).toBe('retryable');
    }
    expect(sink.spool().records).toBe(7);
    await vm.restart();
    await sink.write(snapshots[7]!);
    await sink.drained();
    expect(sink.health?.().up).toBe(true);

    // Frozen again and thawed: requests that timed out are processed late and sent again.
    vm.pause();
    for (const s of snapshots.slice(8, 11)) {
      await sink.write(s);
    }
    for (let i = 0; i < 2; i++) {
      expect(await failures.next()).toBe('retryable');
    }
    vm.resume();
    await sink.write(snapshots[11]!);
    await sink.drained();
    expect(ups).toEqual([false, true, false, true]);
    expect(await storedKeys('MIDCPNIFTY')).toEqual([...new Set(expectedKeys(snapshots))].sort());
    // Once per snapshot and series: a resent batch lands on the same points.
    const timestamps = await samplesOf('market_overview_pcr_oi', 'MIDCPNIFTY');
    expect(timestamps).toHaveLength(snapshots.length * snapshots[0]!.chains.length);
    expect(sink.spool()).toEqual({ bytes: 0, records: 0 });
  });

  it('keeps what is spooled across a restart of G6 with the server down', async () => {
    const dir = spoolDir();
    const snapshots = simulatedSnapshots('SENSEX', 4);
    const failures = createEventQueue<string>();
    const first = sinkFor(dir, { onSendFailed: (kind) => failures.push(kind) }, { url: 'http://127.0.0.1:9' });
    await first.start?.();
    for (const s of snapshots) {
      await first.write(s);
    }
    await failures.next();
    await first.close();
    const second = sinkFor(dir);
    await second.start?.();
    expect(second.spool().records).toBe(4);
    await second.drained();
    expect(await storedKeys('SENSEX')).toEqual([...new Set(expectedKeys(snapshots))].sort());
  });

  it('alerts on a refused write and keeps the points spooled until a server accepts them', async () => {
    const dir = spoolDir();
    const [snapshot] = simulatedSnapshots('BANKNIFTY', 1);
    const failures = createEventQueue<string>();
    // A path the server does not serve answers 400, like a server without /api/v2/write (InfluxDB 1.6: 404).
    const refused = sinkFor(dir, { onSendFailed: (kind) => failures.push(kind) }, { url: `${vm.url}/no-such-api` });
    await refused.start?.();
    await refused.write(snapshot!);
    expect(await failures.next()).toBe('rejected');
    expect(refused.health?.().problems[0]).toMatch(/refused by the server .*HTTP 400/);
    expect(refused.spool().records).toBe(1);
    await refused.close();
    const fixed = sinkFor(dir);
    await fixed.start?.();
    await fixed.drained();
    expect(await storedKeys('BANKNIFTY')).toEqual([...new Set(expectedKeys([snapshot!]))].sort());
  });

  it('refuses records beyond G6_SPOOL_MAX_BYTES and counts them', async () => {
    const [a, b, c] = simulatedSnapshots('NIFTY', 3);
    const full: string[] = [];
    const bytes = snapshotToLineProtocol(a!).join('\n').length;
    const sink = sinkFor(
      spoolDir(),
      { onSpoolFull: (index) => full.push(index) },
      { url: 'http://127.0.0.1:9', maxSpoolBytes: Math.floor(bytes * 2.5) },
    );
    await sink.start?.();
    await sink.write(a!);
    await sink.write(b!);
    await expect(sink.write(c!)).rejects.toBeInstanceOf(SpoolFullError);
    expect(full).toEqual(['NIFTY']);
    expect(sink.spool().records).toBe(2);
  });

  it('shows why the spool exists: the client alone drops points after its retry window', async () => {
    const [snapshot] = simulatedSnapshots('NIFTY', 2);
    const dropped = snapshotToLineProtocol({ ...snapshot!, observedAt: new Date('2026-08-18T07:00:00Z') });
    const control = snapshotToLineProtocol({ ...snapshot!, observedAt: new Date('2026-08-18T07:01:00Z') });
    const proxy = await startBlackHoleProxy(Number(new URL(vm.url).port));
    sinks.push(proxy);
    const failedAttempts: number[] = [];
    const writeApi = new InfluxDB({ url: proxy.url, token: 't', timeout: 200 }).getWriteApi('g6', 'options', 'ms', {
      maxRetryTime: 600,
      minRetryDelay: 100,
      maxRetryDelay: 200,
      writeFailed: (_error, lines, attempt) => {
        if (lines.length === dropped.length) {
          failedAttempts.push(attempt);
        }
      },
    });
    proxy.swallow();
    writeApi.writeRecords(dropped);
    await writeApi.flush().catch(() => undefined);
    // The retry buffer gives up after maxRetryTime; closing discards whatever is left.
    await writeApi.flush(true).catch(() => undefined);
    await writeApi.close().catch(() => undefined);
    expect(failedAttempts.length).toBeGreaterThan(0);
    expect(proxy.swallowedConnections).toBeGreaterThan(0);

    // The way to the server is back: a fresh client's point arrives, the closed client's never will.
    proxy.forward();
    const healthy = new InfluxDB({ url: proxy.url, token: 't' }).getWriteApi('g6', 'options', 'ms');
    healthy.writeRecords(control);
    await healthy.close();
    const stored = await samplesOf('options_last_price', 'NIFTY');
    expect(stored).toContain(Date.parse('2026-08-18T07:01:00Z'));
    expect(stored).not.toContain(Date.parse('2026-08-18T07:00:00Z'));
  });
});
