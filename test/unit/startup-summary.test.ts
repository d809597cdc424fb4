import { describe, expect, it } from 'vitest';
import { formatStartupSummary } from '../../src/app/startup-summary.ts';
import { type Config, loadConfig } from '../../src/config.ts';

function configFrom(env: Record<string, string>, argv: string[] = []): Config {
  const result = loadConfig(env, argv);
  if (result.kind !== 'config') {
    throw new Error(`expected a config, got ${JSON.stringify(result)}`);
  }
  return result.config;
}

// 09:15:30 IST.
const STARTED_AT = new Date('2026-08-17T03:45:30Z');

const field = (lines: readonly string[], label: string) => {
  const line = lines.find((l) => l.trimStart().startsWith(`${label}:`));
  if (line === undefined) {
    throw new Error(`no ${label} line in\n${lines.join('\n')}`);
  }
  return line.slice(line.indexOf(':') + 1).trim();
};

describe('formatStartupSummary', () => {
  it("lists G6.1's banner items for the simulated market, with the real port in every endpoint", () => {
    // G6_PORT=0 asks for any free port: only the bound one is worth printing.
    const config = configFrom({ G6_PORT: '0', G6_INDICES: 'NIFTY,BANKNIFTY', G6_MAX_WORKERS: '6' }, ['--mock']);
    const lines = formatStartupSummary({
      config,
      port: 45_123,
      version: '1.2.3',
      startedAt: STARTED_AT,
      cwd: '/srv/g6',
    });
    expect(lines[0]).toBe('G6 1.2.3: options analytics for Indian index options');
    expect(lines[1]).toMatch(/^=+$/);
    expect(lines.at(-1)).toBe(lines[1]);
    expect(field(lines, 'Started')).toBe('2026-08-17 09:15:30 IST');
    expect(field(lines, 'Mode')).toBe('simulated market (mock)');
    expect(field(lines, 'Indices')).toBe('NIFTY, BANKNIFTY');
    expect(field(lines, 'Interval')).toBe('2 s (timeout 10 s)');
    expect(field(lines, 'Workers')).toBe('6');
    expect(field(lines, 'CSV')).toBe('on   /srv/g6/data/csv');
    expect(field(lines, 'InfluxDB')).toBe('off');
    expect(field(lines, 'Redis')).toBe('off');
    expect(field(lines, 'File')).toBe('off (G6_LOG_FILE)');
    expect(field(lines, 'Health')).toBe('every 60 s');
    expect(field(lines, 'Alerts')).toBe('log and alertRaised subscription');
    const endpoints = lines.slice(lines.indexOf('Endpoints') + 1, -1);
    expect(endpoints).toEqual([
      '  GraphiQL:  http://localhost:45123/graphql',
      '  Health:    http://localhost:45123/health',
      '  Ready:     http://localhost:45123/ready',
      '  Metrics:   http://localhost:45123/metrics',
    ]);
    expect(lines.join('\n')).not.toContain(':0/');
  });

  it('shows live Kite with InfluxDB, the log files and webhooks, never a secret', () => {
    const config = configFrom({
      KITE_API_KEY: 'key-1',
      KITE_ACCESS_TOKEN: 'access-token-value',
      KITE_API_SECRET: 'api-secret-value',
      G6_HOST: '127.0.0.1',
      G6_ENABLE_INFLUXDB: 'true',
      INFLUXDB_URL: 'http://influx.internal:8086',
      INFLUXDB_TOKEN: 'influx-token-value',
      INFLUXDB_ORG: 'desk',
      INFLUXDB_BUCKET: 'options',
      G6_REDIS_URL: 'redis://:redis-password@cache:6379',
      G6_ALERT_WEBHOOK_URLS: 'https://hooks.example.com/T000/secret-path,https://ntfy.example.com/g6?auth=abc',
      G6_LOG_FILE: 'logs/g6_platform_%DATE%.log',
      G6_LOG_RETENTION_DAYS: '30',
      G6_METRICS_ENABLED: 'false',
      G6_ENABLE_CSV: 'false',
      G6_KITE_TICKER: 'false',
      G6_LOG_FORMAT: 'json',
    });
    const lines = formatStartupSummary({ config, port: 4000, version: '1.0.0', startedAt: STARTED_AT, cwd: '/srv/g6' });
    const text = lines.join('\n');
    expect(field(lines, 'Mode')).toBe('live, Kite Connect (ticker off)');
    expect(field(lines, 'Interval')).toBe('30 s (timeout 30 s)');
    expect(field(lines, 'CSV')).toBe('off');
    expect(field(lines, 'InfluxDB')).toBe('on   http://influx.internal:8086 bucket options');
    expect(field(lines, 'Redis')).toBe('on   redis://:***@cache:6379 prefix g6');
    expect(field(lines, 'stdout')).toBe('json, level info');
    expect(field(lines, 'File')).toBe('/srv/g6/logs/g6_platform.<yyyy-MM-dd>.<n>.log, 30 days kept');
    expect(field(lines, 'Metrics')).toBe('off (G6_METRICS_ENABLED)');
    expect(field(lines, 'Alerts')).toBe('log and alertRaised subscription, 2 webhooks');
    expect(lines.slice(lines.indexOf('Endpoints') + 1, -1)).toEqual([
      '  GraphiQL:  http://127.0.0.1:4000/graphql',
      '  Health:    http://127.0.0.1:4000/health',
      '  Ready:     http://127.0.0.1:4000/ready',
    ]);
    for (const secret of [
      'access-token-value',
      'api-secret-value',
      'influx-token-value',
      'redis-password',
      'secret-path',
      'auth=abc',
      'key-1',
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('says a replay and an API replica write no storage', () => {
    const replay = formatStartupSummary({
      config: configFrom({}),
      port: 4100,
      replay: { fromDay: '2026-08-14', toDay: '2026-08-17', speed: 60 },
      version: '1.0.0',
      startedAt: STARTED_AT,
      cwd: '/srv/g6',
    });
    expect(field(replay, 'Mode')).toBe('replay of stored days 2026-08-14 to 2026-08-17 at 60x');
    expect(field(replay, 'CSV')).toBe('off (a replay writes nothing)');

    const api = formatStartupSummary({
      config: configFrom({ G6_REDIS_URL: 'redis://cache:6379', G6_HOST: '::' }, ['--role', 'api']),
      port: 4200,
      version: '1.0.0',
      startedAt: STARTED_AT,
      cwd: '/srv/g6',
    });
    expect(field(api, 'Mode')).toBe('API replica: serves what the collector publishes through Redis, role api');
    expect(field(api, 'CSV')).toBe('off (the collector writes)');
    expect(field(api, 'InfluxDB')).toBe('off (the collector writes)');
    expect(field(api, 'GraphiQL')).toBe('http://localhost:4200/graphql');

    const collector = formatStartupSummary({
      config: configFrom({ G6_REDIS_URL: 'redis://cache:6379', G6_HOST: '::1' }, ['--role', 'collector', '--mock']),
      port: 4300,
      version: '1.0.0',
      startedAt: STARTED_AT,
      cwd: '/srv/g6',
    });
    expect(field(collector, 'Mode')).toBe('simulated market (mock), role collector');
    expect(field(collector, 'CSV')).toBe('on   /srv/g6/data/csv');
    expect(field(collector, 'GraphiQL')).toBe('http://[::1]:4300/graphql');
  });
});
