import { describe, expect, it } from 'vitest';
import { createCalendar } from '../../src/app/market-calendar.ts';
import { loadConfig } from '../../src/config.ts';

const expectInvalid = (env: Record<string, string>, argv: string[] = []) => {
  const result = loadConfig(env, argv);
  if (result.kind !== 'invalid') {
    throw new Error(`expected invalid, got ${result.kind}`);
  }
  return result.errors;
};

describe('loadConfig', () => {
  it('defaults to the simulated market on port 4000 with all five indices', () => {
    const result = loadConfig({}, []);
    expect(result.kind).toBe('config');
    if (result.kind === 'config') {
      expect(result.config.mockMode).toBe(true);
      expect(result.config.port).toBe(4000);
      expect(result.config.indices).toEqual(['NIFTY', 'BANKNIFTY', 'FINNIFTY', 'MIDCPNIFTY', 'SENSEX']);
      expect(result.config.collectionIntervalMs).toBe(2000);
      expect(result.config.csvEnabled).toBe(true);
      expect(result.config.riskFreeRate).toBe(0.065);
    }
  });

  it('reads G6.1 variable names and flags, flags winning', () => {
    const result = loadConfig(
      {
        G6_PORT: '5000',
        G6_INDICES: 'nifty, SENSEX,NIFTY',
        G6_COLLECTION_INTERVAL: '0.5',
        G6_ENABLE_CSV: 'false',
        G6_DEBUG: 'no',
      },
      ['--port', '5001', '--debug'],
    );
    expect(result.kind).toBe('config');
    if (result.kind === 'config') {
      expect(result.config.port).toBe(5001);
      expect(result.config.indices).toEqual(['NIFTY', 'SENSEX']);
      expect(result.config.collectionIntervalMs).toBe(500);
      expect(result.config.csvEnabled).toBe(false);
      expect(result.config.logLevel).toBe('debug');
    }
  });

  it('names the variable and the allowed values for each bad value', () => {
    const errors = expectInvalid({
      G6_PORT: 'eighty',
      G6_INDICES: 'NIFTY,DOWJONES',
      G6_DEBUG: 'maybe',
      G6_MAX_WORKERS: '0',
    });
    expect(errors).toHaveLength(4);
    expect(errors.find((e) => e.startsWith('G6_PORT='))).toMatch(/whole number from 0 to 65535/);
    expect(errors.find((e) => e.startsWith('G6_INDICES='))).toMatch(/NIFTY, BANKNIFTY, FINNIFTY, MIDCPNIFTY, SENSEX/);
    expect(errors.find((e) => e.startsWith('G6_DEBUG='))).toMatch(/true or false/);
    expect(errors.find((e) => e.startsWith('G6_MAX_WORKERS='))).toMatch(/from 1 to 64/);
  });

  it('reads the weekday-profile and retention settings, with defaults from the collection interval', () => {
    const loaded = loadConfig({ G6_COLLECTION_INTERVAL: '30' }, []);
    expect(loaded.kind === 'config' && loaded.config.profiles).toEqual({
      alpha: 0.5,
      bucketSeconds: 30,
      maxOffset: 10,
    });
    expect(loaded.kind === 'config' && loaded.config.retention).toBeNull();
    const set = loadConfig(
      {
        G6_PROFILE_EMA_ALPHA: '0.2',
        G6_PROFILE_BUCKET_SECONDS: '60',
        G6_RETENTION_DAYS: '90',
        G6_RETENTION_ACTION: 'archive',
        G6_DATA_DIR: '/srv/g6',
      },
      [],
    );
    expect(set.kind === 'config' && [set.config.profiles, set.config.retention]).toEqual([
      { alpha: 0.2, bucketSeconds: 60, maxOffset: 10 },
      { days: 90, action: 'ARCHIVE', archiveDir: '/srv/g6/archive' },
    ]);
    const errors = expectInvalid({ G6_PROFILE_EMA_ALPHA: '2', G6_RETENTION_ACTION: 'move', G6_RETENTION_DAYS: '0' });
    expect(errors.find((e) => e.startsWith('G6_PROFILE_EMA_ALPHA='))).toMatch(/0.01 to 1|from 0.01/);
    expect(errors.find((e) => e.startsWith('G6_RETENTION_ACTION='))).toMatch(/delete or archive/);
    expect(errors.find((e) => e.startsWith('G6_RETENTION_DAYS='))).toMatch(/whole number/);
  });

  it('reads the role and the Redis settings; collector and api need G6_REDIS_URL; the URL is never echoed', () => {
    const result = loadConfig(
      { G6_ROLE: 'API', G6_REDIS_URL: 'redis://:pw@127.0.0.1:6379', G6_REDIS_PREFIX: 'desk1' },
      [],
    );
    expect(result.kind).toBe('config');
    if (result.kind === 'config') {
      expect(result.config.role).toBe('API');
      expect(result.config.redis).toEqual({
        url: 'redis://:pw@127.0.0.1:6379',
        prefix: 'desk1',
        leaseTtlMs: 5000,
        heartbeatMs: 1000,
      });
    }
    const flagWins = loadConfig({ G6_ROLE: 'api', G6_REDIS_URL: 'redis://localhost' }, ['--role', 'collector']);
    expect(flagWins.kind === 'config' && flagWins.config.role).toBe('COLLECTOR');
    const plain = loadConfig({}, []);
    expect(plain.kind === 'config' && [plain.config.role, plain.config.redis]).toEqual(['ALL', null]);

    expect(expectInvalid({ G6_ROLE: 'api' })).toEqual([
      'G6_REDIS_URL: required by G6_ROLE=api (the Redis the collector publishes to, e.g. redis://localhost:6379)',
    ]);
    expect(expectInvalid({}, ['--role', 'writer'])[0]).toBe('--role "writer": expected all, collector or api');
    expect(expectInvalid({ G6_ROLE: 'both' })[0]).toMatch(/^G6_ROLE="both": expected all, collector or api/);
    const badUrl = expectInvalid({ G6_REDIS_URL: 'http://:secret@host' });
    expect(badUrl[0]).toMatch(/^G6_REDIS_URL=\[Redacted\]: expected a URL starting redis:\/\/ or rediss:\/\//);
    expect(badUrl.join()).not.toContain('secret');
  });

  it('reads the health thresholds and alert webhooks; webhook URLs and the secret are never echoed', () => {
    const plain = loadConfig({}, []);
    expect(plain.kind === 'config' && [plain.config.health, plain.config.alertWebhooks]).toEqual([
      {
        staleIntervals: 3,
        diskMinFreePercent: 5,
        eventLoopP99Ms: 200,
        maxRssBytes: 2048 * 1_048_576,
        alertForMs: 30_000,
        keepFiringForMs: 60_000,
      },
      null,
    ]);
    const set = loadConfig(
      {
        G6_HEALTH_STALE_INTERVALS: '5',
        G6_ALERT_FOR: '30',
        G6_ALERT_WEBHOOK_URLS: ' https://hooks.example.com/T0/abc , http://127.0.0.1:9000/g6 ,',
        G6_ALERT_WEBHOOK_SECRET: 'shh-its-a-secret',
        G6_ALERT_WEBHOOK_ATTEMPTS: '3',
      },
      [],
    );
    expect(set.kind === 'config' && set.config.health.staleIntervals).toBe(5);
    expect(set.kind === 'config' && set.config.health.alertForMs).toBe(30_000);
    expect(set.kind === 'config' && set.config.alertWebhooks).toEqual({
      urls: ['https://hooks.example.com/T0/abc', 'http://127.0.0.1:9000/g6'],
      secret: 'shh-its-a-secret',
      timeoutMs: 5000,
      maxBackoffMs: 60_000,
      maxAttempts: 3,
      maxQueue: 100,
    });
    const bad = expectInvalid({ G6_ALERT_WEBHOOK_URLS: 'ftp://token@files.example.com', G6_HEALTH_MAX_RSS_MB: '8' });
    expect(bad).toEqual([
      expect.stringMatching(/^G6_HEALTH_MAX_RSS_MB="8": expected a whole number from 16 to 1048576/),
      expect.stringMatching(
        /^G6_ALERT_WEBHOOK_URLS=\[Redacted\]: expected comma-separated URLs starting http:\/\/ or https:\/\//,
      ),
    ]);
    expect(bad.join()).not.toContain('token@');
  });

  it('rejects unknown flags and a bad --port', () => {
    expect(expectInvalid({}, ['--verbose'])[0]).toMatch(/command line: .*--verbose/);
    expect(expectInvalid({}, ['--port=99999'])[0]).toMatch(/--port "99999": expected a whole number from 0 to 65535/);
  });

  it('refuses live mode without Kite credentials, naming the variables', () => {
    const errors = expectInvalid({ G6_MOCK_MODE: 'false' });
    expect(errors[0]).toMatch(/^KITE_API_KEY: required by G6_MOCK_MODE=false/);
    expect(errors[1]).toMatch(/^KITE_ACCESS_TOKEN or G6_TOKEN_PASSPHRASE: /);
    expect(expectInvalid({ KITE_API_KEY: 'k' }, ['--provider', 'kite'])[0]).toMatch(
      /^KITE_ACCESS_TOKEN or G6_TOKEN_PASSPHRASE: --provider kite/,
    );
    expect(expectInvalid({}, ['--provider', 'zerodha'])[0]).toMatch(/--provider "zerodha": expected kite or simulated/);
    expect(expectInvalid({}, ['--mock', '--provider', 'kite'])[0]).toMatch(/contradict/);
  });

  it('selects Kite when an API key and a token are configured, the simulator otherwise', () => {
    const kite = loadConfig({ KITE_API_KEY: 'k', KITE_ACCESS_TOKEN: 't', G6_KITE_ROOT: 'http://127.0.0.1:9/' }, []);
    expect(kite.kind === 'config' && kite.config.mockMode).toBe(false);
    expect(kite.kind === 'config' && kite.config.kite.root).toBe('http://127.0.0.1:9');
    const vault = loadConfig({ KITE_API_KEY: 'k', G6_TOKEN_PASSPHRASE: 'long enough phrase' }, []);
    expect(vault.kind === 'config' && vault.config.mockMode).toBe(false);
    const forced = loadConfig({ KITE_API_KEY: 'k', KITE_ACCESS_TOKEN: 't' }, ['--mock']);
    expect(forced.kind === 'config' && forced.config.mockMode).toBe(true);
    expect(expectInvalid({ G6_KITE_TICKER_ROOT: 'http://x' })[0]).toMatch(/^G6_KITE_TICKER_ROOT=.*ws:\/\/ or wss:\/\//);
    // The value of a secret variable is never echoed.
    expect(expectInvalid({ G6_TOKEN_PASSPHRASE: 'short' })[0]).toBe(
      'G6_TOKEN_PASSPHRASE=[Redacted]: must be at least 12 characters',
    );
  });

  it('rejects bad holiday dates and rates', () => {
    const errors = expectInvalid({ G6_MARKET_HOLIDAYS: '2026-02-30', G6_RISK_FREE_RATE: '6.5%' });
    expect(errors.some((e) => e.startsWith('G6_MARKET_HOLIDAYS='))).toBe(true);
    expect(errors.some((e) => e.startsWith('G6_RISK_FREE_RATE='))).toBe(true);
  });

  it('reads the market-clock settings and lays G6_MARKET_CALENDAR_FILE over the built-in calendar', () => {
    const defaults = loadConfig({}, []);
    if (defaults.kind !== 'config') {
      throw new Error('expected a config');
    }
    expect(defaults.config.simulatedClock).toBe('SESSION');
    expect(defaults.config.collectOutsideHours).toBe(false);
    expect(defaults.config.marketHolidays).toBeNull();
    const override = JSON.stringify({
      sessions: {
        BSE_FO: [{ from: '2026-08-03', preOpen: '09:00', open: '09:15', close: '15:40', expiryCutoff: '15:40' }],
      },
      years: [{ year: 2027, segments: { NSE_FO: { holidays: [{ date: '2027-01-26', name: 'Republic Day' }] } } }],
    });
    const files: Record<string, string> = { '/etc/g6/calendar.json': override };
    const result = loadConfig(
      { G6_SIM_CLOCK: 'Exchange', G6_COLLECT_OUTSIDE_HOURS: 'yes', G6_MARKET_CALENDAR_FILE: '/etc/g6/calendar.json' },
      [],
      false,
      (path) => files[path] ?? '',
    );
    if (result.kind !== 'config') {
      throw new Error(`expected a config, got ${JSON.stringify(result)}`);
    }
    expect(result.config.simulatedClock).toBe('EXCHANGE');
    expect(result.config.collectOutsideHours).toBe(true);
    const calendar = createCalendar(result.config);
    expect(calendar.expiryCutoff('BSE_FO', '2026-12-03').toISOString()).toBe('2026-12-03T10:10:00.000Z');
    expect(calendar.isYearKnown('NSE_FO', 2027)).toBe(true);
    expect(calendar.status('NSE_FO', new Date('2027-01-26T05:00:00Z')).state).toBe('HOLIDAY');
    // The built-in years are still there.
    expect(calendar.holiday('NSE_FO', '2026-12-25')?.name).toBe('Christmas');
  });

  it('names G6_MARKET_CALENDAR_FILE and the problem when the file is unreadable or wrong', () => {
    const clock = expectInvalid({ G6_SIM_CLOCK: 'wall' });
    expect(clock).toEqual(['G6_SIM_CLOCK="wall": expected session or exchange']);
    const missing = expectInvalid({ G6_MARKET_CALENDAR_FILE: '/nope.json' });
    expect(missing.some((e) => e.startsWith('G6_MARKET_CALENDAR_FILE="/nope.json": cannot read it'))).toBe(true);
    const bad = loadConfig({ G6_MARKET_CALENDAR_FILE: 'c.json' }, [], false, () =>
      JSON.stringify({
        years: [{ year: 2027, segments: { NSE_FO: { holidays: [{ date: '2027-02-30', name: 'x' }] } } }],
      }),
    );
    expect(bad.kind).toBe('invalid');
    expect(bad.kind === 'invalid' && bad.errors.join('\n')).toMatch(
      /G6_MARKET_CALENDAR_FILE="c.json": years\.0\.segments\.NSE_FO\.holidays\.0\.date: expected a date/,
    );
    const notJson = loadConfig({ G6_MARKET_CALENDAR_FILE: 'c.json' }, [], false, () => '{ holidays');
    expect(notJson.kind === 'invalid' && notJson.errors[0]).toMatch(/^G6_MARKET_CALENDAR_FILE="c.json": not JSON/);
  });

  it('treats empty variables as unset and answers --help', () => {
    expect(loadConfig({ G6_PORT: '' }, []).kind).toBe('config');
    expect(loadConfig({}, ['--help']).kind).toBe('help');
  });
});

describe('storage configuration', () => {
  it('enables the Influx sink with the G6.1 variables and names each missing one', () => {
    const missing = loadConfig({ G6_ENABLE_INFLUXDB: 'true', INFLUXDB_URL: 'http://influx:8086' }, []);
    expect(missing).toEqual({
      kind: 'invalid',
      errors: [
        'INFLUXDB_TOKEN: required by G6_ENABLE_INFLUXDB=true (an API token with write access to the bucket)',
        'INFLUXDB_ORG: required by G6_ENABLE_INFLUXDB=true (the organisation)',
        'INFLUXDB_BUCKET: required by G6_ENABLE_INFLUXDB=true (the bucket (InfluxDB 1.8: database/retention-policy))',
      ],
    });
    const result = loadConfig(
      {
        G6_ENABLE_INFLUXDB: 'true',
        INFLUXDB_URL: 'http://influx:8086/',
        INFLUXDB_TOKEN: 'secret-token',
        INFLUXDB_ORG: 'g6',
        INFLUXDB_BUCKET: 'options_data',
        G6_SPOOL_MAX_BYTES: '2097152',
        G6_CSV_COMPRESS: 'true',
      },
      [],
    );
    expect(result.kind).toBe('config');
    if (result.kind === 'config') {
      expect(result.config.influx).toMatchObject({
        url: 'http://influx:8086',
        token: 'secret-token',
        org: 'g6',
        bucket: 'options_data',
        spoolMaxBytes: 2_097_152,
      });
      expect(result.config.csvCompress).toBe(true);
    }
    const defaults = loadConfig({}, []);
    expect(defaults.kind === 'config' ? defaults.config.influx : 'not a config').toBe(null);
  });

  it('never echoes the Influx token and bounds the spool', () => {
    const result = loadConfig({ INFLUXDB_TOKEN: ' ', INFLUXDB_URL: 'ftp://x', G6_SPOOL_MAX_BYTES: '10' }, []);
    expect(result).toEqual({
      kind: 'invalid',
      errors: [
        'INFLUXDB_URL="ftp://x": expected a URL starting http:// or https://',
        'G6_SPOOL_MAX_BYTES="10": expected a whole number from 1048576 to 1099511627776',
      ],
    });
    const secret = loadConfig({ INFLUXDB_TOKEN: 'x'.repeat(5), G6_ENABLE_INFLUXDB: 'maybe' }, []);
    expect(JSON.stringify(secret)).not.toContain('xxxxx');
  });
});
