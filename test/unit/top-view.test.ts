import { describe, expect, it } from 'vitest';
import {
  chooseBaseline,
  createTopState,
  needsBaseline,
  type TopAlert,
  type TopOverview,
  type TopState,
  withAlert,
  withBaseline,
  withConnection,
  withHealth,
  withHealthUnavailable,
  withIndices,
  withMarket,
  withOverview,
  withServer,
} from '../../src/cli/top-state.ts';
import { formatAge, renderTop } from '../../src/cli/top-view.ts';
import { istWallClockToInstant } from '../../src/domain/ist-time.ts';

const NOW = new Date('2026-12-02T05:00:00.000Z'); // 10:30 IST
const ago = (ms: number) => new Date(NOW.getTime() - ms);

const SERVER = {
  version: '0.1.0',
  provider: 'simulated',
  collectionIntervalSeconds: 2,
  providerReady: true,
  providerProblems: [],
};

function overview(spot: number, over: Partial<TopOverview> = {}): TopOverview {
  return {
    spot,
    atmIv: 0.117425,
    pcrOi: 1.30384,
    maxPainStrike: 24650,
    seq: 41,
    observedAt: ago(7_000),
    tradingDay: '2026-12-02',
    ...over,
  };
}

const OPEN = { state: 'OPEN', holidayName: null, specialSessionName: null };

/** NIFTY with data against the previous close, BANKNIFTY without any yet. */
function baseState(): TopState {
  let state = createTopState('http://127.0.0.1:4000/graphql');
  state = withConnection(state, { kind: 'connected', since: ago(60_000) });
  state = withServer(state, SERVER, ago(1_000));
  state = withIndices(state, ['NIFTY', 'BANKNIFTY']);
  state = withOverview(state, 'NIFTY', overview(24597.72), ago(500));
  state = withMarket(state, 'NIFTY', OPEN, ago(500));
  state = withBaseline(state, 'NIFTY', { spot: 24585.22, basis: 'PREVIOUS_CLOSE', tradingDay: '2026-12-02' });
  return state;
}

function alert(id: string, atMsAgo: number, over: Partial<TopAlert> = {}): TopAlert {
  return {
    id,
    component: 'ticker',
    state: 'FIRING',
    severity: 'CRITICAL',
    status: 'DOWN',
    reason: `reason ${id}`,
    startsAt: ago(atMsAgo),
    endsAt: null,
    at: ago(atMsAgo),
    ...over,
  };
}

function withHealthy(state: TopState, alerts: readonly TopAlert[] = []): TopState {
  return withHealth(
    state,
    {
      status: alerts.length === 0 ? 'HEALTHY' : 'DOWN',
      ready: true,
      notReadyReasons: [],
      components: [
        { name: 'memory', status: 'HEALTHY', reason: 'RSS 184 MiB', since: ago(600_000) },
        { name: 'sink/csv', status: 'HEALTHY', reason: null, since: ago(600_000) },
        { name: 'collector/NIFTY', status: 'DEGRADED', reason: '2 ticks failed', since: ago(30_000) },
        { name: 'ticker', status: 'DOWN', reason: 'no ticks for 30 s', since: ago(45_000) },
        { name: 'provider', status: 'HEALTHY', reason: null, since: ago(3_725_000) },
        { name: 'sink/influx', status: 'DEGRADED', reason: 'writes retrying', since: ago(12_000) },
      ],
    },
    alerts,
    ago(100),
  );
}

/** SGR sequences, as the view writes them. */
const ESCAPES = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const stripEscapes = (line: string) => line.replaceAll(ESCAPES, '');

const plain = (state: TopState, over: Partial<{ width: number; height: number; now: Date }> = {}) =>
  renderTop(state, { width: 160, height: 40, now: NOW, color: false, ...over });

function row(lines: readonly string[], symbol: string): string[] {
  const line = lines.find((l) => l.startsWith(`${symbol} `));
  expect(line, `a row for ${symbol}`).toBeDefined();
  return line!.trim().split(/\s+/);
}

describe('renderTop', () => {
  it('renderTop, for an index with data, formats spot, change, ATM IV, PCR, max pain, age and market', () => {
    const lines = plain(baseState());

    expect(lines.find((l) => l.startsWith('INDEX'))!.split(/\s{2,}/)).toEqual([
      'INDEX',
      'SPOT',
      'CHG',
      'CHG%',
      'ATM IV',
      'PCR(OI)',
      'MAX PAIN',
      'AGE',
      'MARKET',
    ]);
    expect(row(lines, 'NIFTY')).toEqual([
      'NIFTY',
      '24597.72',
      '+12.50',
      '+0.05%',
      '11.74%',
      '1.30',
      '24650',
      '7s',
      'OPEN',
    ]);
    expect(row(lines, 'BANKNIFTY')).toEqual(['BANKNIFTY', '—', '—', '—', '—', '—', '—', '—', '—']);
    expect(lines[0]).toContain('g6 top  http://127.0.0.1:4000/graphql  g6 0.1.0 · simulated · every 2s  10:30:00 IST');
    expect(lines[0]).not.toContain('q: quit');
    expect(lines[1]).toBe('connected, last update 0s ago');
  });

  it('renderTop, for a fall and a fractional strike, signs the change and keeps two decimals', () => {
    let state = withOverview(baseState(), 'NIFTY', overview(24500.1, { maxPainStrike: 24512.5, atmIv: null }), NOW);
    state = withMarket(state, 'NIFTY', { state: 'HOLIDAY', holidayName: 'Diwali', specialSessionName: null }, NOW);

    expect(row(plain(state), 'NIFTY')).toEqual([
      'NIFTY',
      '24500.10',
      '-85.12',
      '-0.35%',
      '—',
      '1.30',
      '24512.50',
      '7s',
      'HOLIDAY',
      '(Diwali)',
    ]);
  });

  it('renderTop, as the injected clock moves on, measures every age to it', () => {
    const state = withHealthy(baseState(), [alert('a1', 95_000)]);

    const later = new Date(NOW.getTime() + 118_000);
    const lines = plain(state, { now: later });

    expect(row(lines, 'NIFTY')[7]).toBe('2m05s');
    expect(lines[0]).toContain('10:31:58 IST');
    expect(lines.find((l) => l.includes('provider'))).toMatch(/provider\s+HEALTHY\s+for 1h04m/);
    expect(lines.find((l) => l.includes('reason a1'))).toMatch(/^ {2}3m33s ago\s+CRITICAL\s+ticker\s+reason a1$/);
  });

  it('renderTop, with color false, writes no escape at all; with color true, colours the change and a stale age', () => {
    const state = withHealthy(baseState(), [alert('a1', 1_000)]);

    const bare = plain(state, { now: new Date(NOW.getTime() + 60_000) });
    const colored = renderTop(state, { width: 160, height: 40, now: new Date(NOW.getTime() + 60_000), color: true });

    expect(bare.join('\n')).not.toContain('\x1b');
    const nifty = colored.find((l) => l.includes('NIFTY') && l.includes('24597.72'))!;
    expect(nifty).toContain('\x1b[32m   +12.50\x1b[0m'); // up: green
    expect(nifty).toContain('\x1b[33m  1m07s\x1b[0m'); // older than 3 intervals of 2 s while OPEN: yellow
    expect(colored.find((l) => l.includes('reason a1'))).toContain('\x1b[31mCRITICAL');
    // The same text once the escapes are taken out.
    expect(colored.map(stripEscapes)).toEqual(bare);
  });

  it('renderTop, on a narrow terminal, cuts every line to the width with an ellipsis and never wraps', () => {
    const state = withHealthy(baseState(), [alert('a1', 1_000, { reason: 'x'.repeat(300) })]);

    const wide = plain(state);
    const narrow = plain(state, { width: 40 });

    expect(narrow).toHaveLength(wide.length);
    for (const line of narrow) {
      expect([...line].length).toBeLessThanOrEqual(40);
    }
    const nifty = narrow.find((l) => l.startsWith('NIFTY'))!;
    expect(nifty).toHaveLength(40);
    expect(nifty).toMatch(/^NIFTY {9}24597\.72 {5}\+12\.50 +\+0\.?…$/);
    const colored = renderTop(state, { width: 40, height: 40, now: NOW, color: true });
    for (const line of colored) {
      expect([...stripEscapes(line)].length).toBeLessThanOrEqual(40);
    }
  });

  it('renderTop, on a short terminal, keeps to its height and says how many lines were left out', () => {
    const state = withHealthy(baseState(), [alert('a1', 1_000), alert('a2', 2_000), alert('a3', 3_000)]);
    const all = plain(state);

    const lines = plain(state, { height: 10 });

    expect(lines).toHaveLength(10);
    expect(lines.slice(0, 9)).toEqual(all.slice(0, 9));
    expect(lines[9]).toBe(`… ${all.length - 9} more lines`);
  });

  it('renderTop, for firing alerts, lists the most recent first and drops one once RESOLVED', () => {
    let state = withHealthy(baseState(), [alert('old', 300_000), alert('new', 5_000)]);
    state = withAlert(state, alert('mid', 60_000, { severity: 'WARNING', component: 'sink/influx' }), NOW);

    const reasons = (s: TopState) =>
      plain(s)
        .filter((l) => l.includes('reason '))
        .map((l) => l.trim().split(/\s+/).at(-1));
    expect(reasons(state)).toEqual(['new', 'mid', 'old']);
    expect(plain(state)).toContain('alerts: 3 firing');

    // An escalation of an episode replaces it (same id, later `at`), and RESOLVED ends it.
    state = withAlert(state, alert('old', 1_000, { reason: 'reason old' }), NOW);
    expect(reasons(state)).toEqual(['old', 'new', 'mid']);
    state = withAlert(state, alert('new', 0, { state: 'RESOLVED', status: 'HEALTHY', endsAt: NOW }), NOW);
    state = withAlert(state, alert('mid', 0, { state: 'RESOLVED', status: 'HEALTHY', endsAt: NOW }), NOW);
    state = withAlert(state, alert('old', 0, { state: 'RESOLVED', status: 'HEALTHY', endsAt: NOW }), NOW);
    expect(reasons(state)).toEqual([]);
    expect(plain(state)).toContain('alerts: none firing');
  });

  it('renderTop, for a health answer, shows provider, ticker and sinks, and other components only when not healthy', () => {
    const lines = plain(withHealthy(baseState()));

    const start = lines.indexOf('health: HEALTHY (ready)');
    expect(start).toBeGreaterThan(0);
    const names = lines
      .slice(start + 1)
      .filter((l) => l.startsWith('  '))
      .map((l) => l.trim().split(/\s+/)[0]);
    expect(names).toEqual(['provider', 'ticker', 'sink/csv', 'sink/influx', 'collector/NIFTY']);
    expect(lines.find((l) => l.startsWith('  ticker'))).toMatch(/ticker\s+DOWN\s+for 45s\s+no ticks for 30 s$/);
  });

  it('renderTop, when not ready, gives the reasons', () => {
    const state = withHealth(
      baseState(),
      { status: 'DOWN', ready: false, notReadyReasons: ['provider cannot deliver'], components: [] },
      [],
      NOW,
    );

    expect(plain(state)).toContain('health: DOWN (not ready: provider cannot deliver)');
  });

  it('renderTop, for a server without the health API, says health: n/a and falls back to the provider readiness', () => {
    let state = withHealthUnavailable(baseState(), 'this server has no health API');
    state = withServer(state, { ...SERVER, providerReady: false, providerProblems: ['token expired'] }, NOW);

    const lines = plain(state);

    expect(lines).toContain('health: n/a (this server has no health API)');
    expect(lines.find((l) => l.startsWith('  provider'))).toMatch(/provider\s+simulated, not ready\s+token expired$/);
    expect(lines.some((l) => l.startsWith('alerts:'))).toBe(false);
  });

  it('renderTop, while disconnected, keeps the last data and says it is retrying and when', () => {
    const state = withConnection(baseState(), {
      kind: 'disconnected',
      since: ago(4_000),
      reason: 'connection lost (1006)',
      retryAt: new Date(NOW.getTime() + 2_000),
    });

    const lines = plain(state);

    expect(lines[1]).toBe('disconnected, retrying… next attempt in 2s (connection lost (1006); down for 4s)');
    expect(row(lines, 'NIFTY')[1]).toBe('24597.72');
  });

  it('renderTop, for a change against the day’s first or the first seen spot, marks it and explains the mark', () => {
    let state = withBaseline(baseState(), 'NIFTY', { spot: 24600, basis: 'DAY_FIRST', tradingDay: '2026-12-02' });
    expect(row(plain(state), 'NIFTY')[3]).toBe('-0.01%*');
    expect(plain(state)).toContain("CHG against the previous close, or * the day's first stored snapshot");

    state = withBaseline(state, 'NIFTY', { spot: 24597.72, basis: 'FIRST_SEEN', tradingDay: '2026-12-02' });
    expect(row(plain(state), 'NIFTY').slice(2, 4)).toEqual(['0.00', '0.00%~']);
    expect(plain(state)).toContain('CHG against the previous close, or ~ the first update seen (no stored history)');
    expect(plain(baseState()).some((l) => l.startsWith('CHG against'))).toBe(false);
  });

  it('renderTop, in the live view, shows the quit key', () => {
    expect(renderTop(baseState(), { width: 160, height: 40, now: NOW, color: false, interactive: true })[0]).toMatch(
      /q: quit$/,
    );
  });
});

describe('top state', () => {
  it('chooseBaseline, with stored closes, takes the last one; else the day’s first; else the spot seen', () => {
    const seen = overview(24597.72);
    const closes = [
      { spot: 24400, timestamp: new Date('2026-11-30T10:00:00Z') },
      { spot: 24585.22, timestamp: new Date('2026-12-01T10:00:00Z') },
    ];
    const dayFirst = { spot: 24600, timestamp: new Date('2026-12-02T03:45:00Z') };

    expect(chooseBaseline(closes, dayFirst, seen)).toEqual({
      spot: 24585.22,
      basis: 'PREVIOUS_CLOSE',
      tradingDay: '2026-12-02',
    });
    expect(chooseBaseline([], dayFirst, seen)).toEqual({ spot: 24600, basis: 'DAY_FIRST', tradingDay: '2026-12-02' });
    expect(chooseBaseline([], null, seen)).toEqual({ spot: 24597.72, basis: 'FIRST_SEEN', tradingDay: '2026-12-02' });
  });

  it('withOverview, on a new trading day, drops the old baseline so a new one is asked for', () => {
    const state = baseState();
    expect(needsBaseline(state.rows[0]!)).toBe(false);

    const next = withOverview(state, 'NIFTY', overview(24610, { tradingDay: '2026-12-03' }), NOW);

    expect(next.rows[0]!.baseline).toBeNull();
    expect(needsBaseline(next.rows[0]!)).toBe(true);
    expect(row(plain(next), 'NIFTY').slice(2, 4)).toEqual(['—', '—']);
    // A late answer for the old day is not applied to the new one.
    const late = withBaseline(next, 'NIFTY', { spot: 1, basis: 'PREVIOUS_CLOSE', tradingDay: '2026-12-02' });
    expect(late.rows[0]!.baseline).toBeNull();
  });

  it('withIndices, after a reconnect, keeps what was known of an index still served', () => {
    const state = withIndices(baseState(), ['SENSEX', 'NIFTY']);

    expect(state.rows.map((r) => r.symbol)).toEqual(['SENSEX', 'NIFTY']);
    expect(state.rows[1]!.overview?.spot).toBe(24597.72);
    expect(state.rows[0]!.overview).toBeNull();
  });

  it('a history day starts at midnight IST, and formatAge uses two units at most', () => {
    expect(istWallClockToInstant('2026-12-02', 0, 0).toISOString()).toBe('2026-12-01T18:30:00.000Z');
    expect([0, 59_999, 60_000, 3_599_000, 3_600_000, 90_061_000].map(formatAge)).toEqual([
      '0s',
      '59s',
      '1m00s',
      '59m59s',
      '1h00m',
      '1d01h',
    ]);
  });
});
