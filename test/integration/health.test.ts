import { createHmac } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCESS_TOKEN, API_KEY, startFakeKite } from '../helpers/fake-kite.ts';
import { clockFrom, postGraphQL, startTestApp, subscribe } from '../helpers/test-app.ts';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) {
    await step();
  }
});

const GIB = 1_073_741_824;
const SECRET = 'webhook-secret-for-tests';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A webhook receiver on a free loopback port that records every request and answers 204. */
async function startReceiver(): Promise<{
  url: string;
  received: Received[];
  next(count: number): Promise<Received[]>;
}> {
  const received: Received[] = [];
  const events = new EventEmitter();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
      events.emit('request');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/g6?token=abc`,
    received,
    next: (count) =>
      new Promise((resolve) => {
        const check = () => {
          if (received.length >= count) {
            events.off('request', check);
            resolve(received.slice(0, count));
          }
        };
        events.on('request', check);
        check();
      }),
  };
}

const HEALTH_FIELDS = 'status ready notReadyReasons components { name status reason since }';

interface HealthData {
  status: string;
  ready: boolean;
  notReadyReasons: string[];
  components: Array<{ name: string; status: string; reason: string | null; since: string }>;
}

/** The next healthChanged event satisfying `accept`. */
async function healthUntil(
  stream: ReturnType<typeof subscribe<{ healthChanged: HealthData }>>,
  accept: (health: HealthData) => boolean,
): Promise<HealthData> {
  for (;;) {
    const event = await stream.next();
    expect(event.errors).toBeUndefined();
    const health = event.data?.healthChanged;
    if (health !== undefined && accept(health)) {
      return health;
    }
  }
}

const statusOf = (health: HealthData, name: string) => health.components.find((c) => c.name === name)?.status;

async function metricsText(httpUrl: string): Promise<string> {
  return (await fetch(`${httpUrl}/metrics`)).text();
}

describe('component health and alerts', () => {
  it('turns a filling disk into one alert on the log, alertRaised, a signed webhook and the metrics, then resolves it', async () => {
    const receiver = await startReceiver();
    let freeBytes = 50 * GIB;
    const app = await startTestApp(
      {
        G6_INDICES: 'NIFTY',
        G6_ALERT_WEBHOOK_URLS: receiver.url,
        G6_ALERT_WEBHOOK_SECRET: SECRET,
        G6_ALERT_FOR: '0',
        G6_ALERT_KEEP_FIRING_FOR: '0',
      },
      {
        healthSamplers: {
          diskSpace: async () => ({ freeBytes, totalBytes: 100 * GIB }),
          diskSampleIntervalMs: 50,
          eventLoopP99Ms: () => 7,
          rssBytes: () => 300 * 1_048_576,
        },
      },
    );
    cleanup.push(() => app.stop());
    await app.waitForLog((line) => line.msg === 'collected');
    const health = subscribe<{ healthChanged: HealthData }>(
      app.wsUrl,
      `subscription { healthChanged { ${HEALTH_FIELDS} } }`,
    );
    cleanup.push(() => health.close());

    const first = await healthUntil(health, (h) => statusOf(h, 'collector/NIFTY') === 'HEALTHY' && h.ready);
    expect(first.components.map((c) => c.name).sort()).toEqual(
      ['collector/NIFTY', 'disk', 'event-loop', 'memory', 'provider', 'sink/csv'].sort(),
    );
    expect(first.components.find((c) => c.name === 'memory')?.reason).toBe('RSS 300 MiB');
    const ready = await fetch(`${app.httpUrl}/ready`);
    expect(ready.status).toBe(200);
    const readyBody = (await ready.json()) as { status: string; components: Array<{ name: string; status: string }> };
    expect(readyBody.status).toBe('HEALTHY');
    expect(readyBody.components.find((c) => c.name === 'disk')?.status).toBe('HEALTHY');

    freeBytes = 3 * GIB;
    const degraded = await healthUntil(health, (h) => statusOf(h, 'disk') === 'DEGRADED');
    expect(degraded.status).toBe('DEGRADED');
    expect(degraded.ready).toBe(true);
    // Subscribed mid-alert: the firing one comes first, so the stream is known to be open.
    const alerts = subscribe<{ alertRaised: Record<string, unknown> }>(
      app.wsUrl,
      'subscription { alertRaised { id component state severity status reason startsAt endsAt at } }',
    );
    cleanup.push(() => alerts.close());
    const fired = (await alerts.next()).data?.alertRaised;
    expect(fired).toMatchObject({
      component: 'disk',
      state: 'FIRING',
      severity: 'WARNING',
      status: 'DEGRADED',
      endsAt: null,
    });
    expect(String(fired?.reason)).toMatch(/3\.0 GiB free of 100\.0 GiB \(3\.0 %\), below 5 %/);
    expect(String(fired?.id)).toBe(`disk@${String(fired?.startsAt)}`);

    freeBytes = 0.5 * GIB;
    const escalated = (await alerts.next()).data?.alertRaised;
    expect(escalated).toMatchObject({ id: fired?.id, state: 'FIRING', severity: 'CRITICAL', status: 'DOWN' });
    const firing = await postGraphQL(app.httpUrl, '{ health { status alerts { id severity } } }');
    expect(firing.data?.health).toEqual({ status: 'DOWN', alerts: [{ id: fired?.id, severity: 'CRITICAL' }] });
    const duringOutage = await metricsText(app.httpUrl);
    expect(duringOutage).toContain('g6_health_status{component="disk",status="DOWN"} 1');
    expect(duringOutage).toContain('g6_health_status{component="disk",status="HEALTHY"} 0');
    expect(duringOutage).toContain('g6_health_overall_status{status="DOWN"} 1');
    expect(duringOutage).toContain('g6_alerts_firing{severity="CRITICAL"} 1');
    expect(duringOutage).toContain(`g6_data_dir_free_bytes ${0.5 * GIB}`);
    expect(duringOutage).toContain(`g6_data_dir_size_bytes ${100 * GIB}`);

    freeBytes = 60 * GIB;
    const resolved = (await alerts.next()).data?.alertRaised;
    expect(resolved).toMatchObject({ id: fired?.id, state: 'RESOLVED', severity: 'CRITICAL', status: 'HEALTHY' });
    expect(resolved?.endsAt).not.toBeNull();

    // The webhook got the same three events, in order, each signed over its timestamp and body.
    const hooks = await receiver.next(3);
    const payloads = hooks.map((hook) => {
      const timestamp = String(hook.headers['x-g6-timestamp']);
      const expected = createHmac('sha256', SECRET).update(`${timestamp}.`).update(hook.body).digest('hex');
      expect(hook.headers['x-g6-signature']).toBe(`sha256=${expected}`);
      expect(hook.headers['content-type']).toMatch(/^application\/json/);
      return JSON.parse(hook.body) as Record<string, unknown>;
    });
    expect(payloads.map((p) => [p.id, p.state, p.severity])).toEqual([
      [fired?.id, 'FIRING', 'WARNING'],
      [fired?.id, 'FIRING', 'CRITICAL'],
      [fired?.id, 'RESOLVED', 'CRITICAL'],
    ]);
    expect(payloads[0]).toMatchObject({ schemaVersion: 1, source: 'g6', component: 'disk', startsAt: fired?.startsAt });

    // Logged once per event; the webhook URL's token and the secret never reach the log.
    await app.waitForLog((line) => line.msg === 'alert resolved: disk');
    const alertLines = app.logLines.filter((l) => l.includes('"alert firing: disk'));
    expect(alertLines).toHaveLength(2);
    expect(app.logLines.join('\n')).not.toContain(SECRET);
    expect(app.logLines.join('\n')).not.toContain('token=abc');

    const history = await postGraphQL(app.httpUrl, '{ health { history(last: 3) { component from to } } }');
    expect(history.data?.health).toEqual({
      history: [
        { component: 'disk', from: 'DOWN', to: 'HEALTHY' },
        { component: 'disk', from: 'DEGRADED', to: 'DOWN' },
        { component: 'disk', from: 'HEALTHY', to: 'DEGRADED' },
      ],
    });
    const delivered = await metricsText(app.httpUrl);
    expect(delivered).toContain('g6_alert_webhook_events_total{webhook="0",outcome="delivered"} 3');
    expect(delivered).toContain('g6_alerts_firing{severity="CRITICAL"} 0');
    const bad = await postGraphQL(app.httpUrl, '{ health { history(last: 0) { at } } }');
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('pages for a collector whose data goes stale while the market trades, and /ready lists the components', async () => {
    const now = clockFrom('2026-12-02T05:00:00Z'); // 10:30 IST, Wednesday: in session
    const fake = await startFakeKite({ now, quoteRequestsPerSecond: 1000 });
    cleanup.push(() => fake.close());
    const app = await startTestApp(
      {
        G6_INDICES: 'NIFTY',
        KITE_API_KEY: API_KEY,
        KITE_ACCESS_TOKEN: ACCESS_TOKEN,
        G6_KITE_ROOT: fake.restUrl,
        G6_KITE_TICKER: 'false',
        G6_COLLECTION_INTERVAL: '0.2',
        G6_COLLECTION_TIMEOUT: '3',
        G6_ALERT_FOR: '0',
      },
      { now },
    );
    cleanup.push(() => app.stop());
    await app.waitForLog((line) => line.msg === 'collected');
    const alerts = subscribe<{ alertRaised: Record<string, unknown> }>(
      app.wsUrl,
      'subscription { alertRaised { id component state severity status reason } }',
    );
    cleanup.push(() => alerts.close());
    const health = subscribe<{ healthChanged: HealthData }>(
      app.wsUrl,
      `subscription { healthChanged { ${HEALTH_FIELDS} } }`,
    );
    cleanup.push(() => health.close());
    await healthUntil(health, (h) => h.ready);

    fake.failNext('quote', '500', 1_000_000);
    const down = await healthUntil(health, (h) => statusOf(h, 'collector/NIFTY') === 'DOWN');
    expect(down.ready).toBe(false);
    expect(down.components.find((c) => c.name === 'collector/NIFTY')?.reason).toMatch(
      /^last good snapshot \d+ s ago, more than 3 s \(last error: .+\)$/,
    );
    const events: Array<Record<string, unknown> | undefined> = [];
    while (!events.some((e) => e?.severity === 'CRITICAL')) {
      events.push((await alerts.next()).data?.alertRaised);
    }
    // A failing tick with fresh data warns first; stale data escalates the same alert.
    expect(events.every((e) => e?.component === 'collector/NIFTY' && e.id === events[0]?.id)).toBe(true);
    const ready = await fetch(`${app.httpUrl}/ready`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as {
      ready: boolean;
      status: string;
      problems: string[];
      components: Array<{ name: string; status: string; since: string }>;
    };
    expect(body).toMatchObject({ ready: false, status: 'DOWN', marketOpen: true });
    expect(body.problems[0]).toMatch(/^NIFTY: last good snapshot/);
    expect(body.components.find((c) => c.name === 'collector/NIFTY')).toMatchObject({ status: 'DOWN' });
    expect(body.components.find((c) => c.name === 'provider')).toMatchObject({ status: 'HEALTHY' });
  });

  it('calls a closed market healthy: no alert for an index resting at night', async () => {
    const app = await startTestApp(
      { G6_INDICES: 'NIFTY', G6_SIM_CLOCK: 'exchange' },
      { now: clockFrom('2026-12-02T20:30:00Z') }, // 02:00 IST Thursday
    );
    cleanup.push(() => app.stop());
    await app.waitForLog((line) => line.msg === 'market closed: collection resting');
    const result = await postGraphQL(
      app.httpUrl,
      `{ health { ${HEALTH_FIELDS} alerts { id } history { component } } }`,
    );
    const h = result.data?.health as HealthData & { alerts: unknown[]; history: unknown[] };
    expect(h.components.find((c) => c.name === 'collector/NIFTY')).toMatchObject({ status: 'HEALTHY' });
    expect(h.components.find((c) => c.name === 'collector/NIFTY')?.reason).toMatch(
      /^market closed; resumes at 2026-12-03T03:30:00\.000Z$/,
    );
    expect(h.ready).toBe(true);
    expect(h.alerts).toEqual([]);
    expect(h.history).toEqual([]);
  });
});
