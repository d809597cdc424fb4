import { describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config.ts';
import { type ConfigFile, parseConfigFile, resolveCollection } from '../../src/config-file.ts';

const errorsOf = (file: unknown) => {
  const result = parseConfigFile(typeof file === 'string' ? file : JSON.stringify(file));
  if (result.ok) {
    throw new Error('expected the file to be refused');
  }
  return result.errors;
};

/** loadConfig with G6_CONFIG_FILE pointing at `files[path]`; a path not in `files` does not exist. */
function load(env: Record<string, string>, files: Record<string, unknown> = {}, argv: string[] = []) {
  const read = (path: string) => {
    if (!(path in files)) {
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    }
    const content = files[path];
    return typeof content === 'string' ? content : JSON.stringify(content);
  };
  return loadConfig(env, argv, false, read);
}

function configOf(result: ReturnType<typeof loadConfig>): Config {
  if (result.kind !== 'config') {
    throw new Error(`expected a configuration, got ${JSON.stringify(result)}`);
  }
  return result.config;
}

function invalid(result: ReturnType<typeof loadConfig>): readonly string[] {
  if (result.kind !== 'invalid') {
    throw new Error(`expected invalid, got ${result.kind}`);
  }
  return result.errors;
}

const ISSUE_FILE = {
  indices: {
    NIFTY: {
      enabled: true,
      strikesBelowAtm: 10,
      strikesAboveAtm: 12,
      expiries: ['THIS_WEEK', 'NEXT_WEEK', 'THIS_MONTH'],
      intervalSeconds: 30,
    },
    BANKNIFTY: { strikesAroundAtm: 15, expiries: 'all' },
  },
  defaults: { enabled: false, intervalSeconds: 60 },
};

describe('parseConfigFile', () => {
  it('accepts the shape of issue 16, every key optional', () => {
    const result = parseConfigFile(JSON.stringify(ISSUE_FILE));
    expect(result).toEqual({ ok: true, value: ISSUE_FILE });
    expect(parseConfigFile('{}')).toEqual({ ok: true, value: {} });
    expect(parseConfigFile('{"$schema": "./g6.config.schema.json", "indices": {"SENSEX": {}}}').ok).toBe(true);
  });

  it('refuses an unknown key anywhere, naming its path and the keys allowed there', () => {
    expect(errorsOf({ indexes: {} })).toEqual(['indexes: unknown key; expected one of $schema, defaults, indices']);
    expect(errorsOf({ defaults: { interval: 5 } })).toEqual([
      'defaults.interval: unknown key; expected one of enabled, strikesAroundAtm, strikesBelowAtm, strikesAboveAtm, expiries, intervalSeconds',
    ]);
    expect(errorsOf({ indices: { DOWJONES: {}, nifty: {} } })).toEqual([
      'indices.DOWJONES: unknown index; expected one of NIFTY, BANKNIFTY, FINNIFTY, MIDCPNIFTY, SENSEX',
      'indices.nifty: unknown index; expected one of NIFTY, BANKNIFTY, FINNIFTY, MIDCPNIFTY, SENSEX (did you mean "NIFTY"?)',
    ]);
    // G6.1's words get a pointer to G6's.
    const [itm] = errorsOf({ indices: { NIFTY: { strikesItm: 10 } } });
    expect(itm).toMatch(/^indices\.NIFTY\.strikesItm: unknown key; expected one of enabled, /);
    expect(itm).toMatch(/strikesBelowAtm keeps ITM calls and OTM puts, strikesAboveAtm OTM calls and ITM puts/);
  });

  it('names the path, the value and the allowed values of every bad value', () => {
    expect(
      errorsOf({
        defaults: { enabled: 'yes', strikesAroundAtm: 501, intervalSeconds: 0.01 },
        indices: {
          NIFTY: { expiries: ['THIS_WEEK', 'THIS_WEK'], strikesBelowAtm: 1.5, strikesAboveAtm: -1 },
          BANKNIFTY: { expiries: 'ALL', intervalSeconds: '30' },
          FINNIFTY: { expiries: [] },
          SENSEX: { expiries: ['all'] },
          MIDCPNIFTY: 5,
        },
      }),
    ).toEqual([
      'defaults.enabled="yes": expected true or false',
      'defaults.strikesAroundAtm=501: expected a whole number from 0 to 500',
      'defaults.intervalSeconds=0.01: expected seconds from 0.05 to 3600',
      'indices.NIFTY.strikesBelowAtm=1.5: expected a whole number from 0 to 500',
      'indices.NIFTY.strikesAboveAtm=-1: expected a whole number from 0 to 500',
      'indices.NIFTY.expiries[1]="THIS_WEK": expected one of THIS_WEEK, NEXT_WEEK, THIS_MONTH, NEXT_MONTH',
      'indices.BANKNIFTY.expiries="ALL": expected "all" or a non-empty list of THIS_WEEK, NEXT_WEEK, THIS_MONTH, NEXT_MONTH',
      'indices.BANKNIFTY.intervalSeconds="30": expected seconds from 0.05 to 3600',
      'indices.FINNIFTY.expiries: expected "all" or a non-empty list of THIS_WEEK, NEXT_WEEK, THIS_MONTH, NEXT_MONTH',
      'indices.MIDCPNIFTY=5: expected an object of collection settings',
      'indices.SENSEX.expiries[0]="all": "all" stands alone: write "expiries": "all" for every expiry',
    ]);
  });

  it('refuses strikesAroundAtm together with a side, and a file that is not an object of the right shape', () => {
    expect(errorsOf({ indices: { NIFTY: { strikesAroundAtm: 5, strikesAboveAtm: 7 } } })).toEqual([
      'indices.NIFTY.strikesAroundAtm=5: give strikesAroundAtm or strikesBelowAtm/strikesAboveAtm, not both',
    ]);
    expect(errorsOf([1])).toEqual(['(top level): expected an object with "defaults" and/or "indices"']);
    expect(errorsOf({ indices: ['NIFTY'] })).toEqual([
      'indices: expected an object keyed by index (NIFTY, BANKNIFTY, FINNIFTY, MIDCPNIFTY, SENSEX)',
    ]);
  });

  it('reports bad JSON with the line and column', () => {
    expect(errorsOf('{\n  "indices": {},\n}')).toEqual([
      'not valid JSON: Expected double-quoted property name in JSON (line 3, column 1)',
    ]);
    expect(errorsOf('')).toEqual(['not valid JSON: Unexpected end of JSON input']);
  });
});

describe('resolveCollection', () => {
  const builtIn = { strikesAroundAtm: 30, intervalSeconds: 2 };

  it('takes each setting from the index, else the file defaults, else the built-in; a side from either key', () => {
    const file: ConfigFile = {
      defaults: { strikesAroundAtm: 20, expiries: ['THIS_MONTH'] },
      indices: { NIFTY: { strikesBelowAtm: 3, intervalSeconds: 5 }, SENSEX: { expiries: 'all' } },
    };
    const resolved = resolveCollection(file, {}, builtIn);
    expect(resolved.ok && [...resolved.collection]).toEqual([
      ['NIFTY', { strikesBelowAtm: 3, strikesAboveAtm: 20, expiries: ['THIS_MONTH'], intervalMs: 5000 }],
      ['BANKNIFTY', { strikesBelowAtm: 20, strikesAboveAtm: 20, expiries: ['THIS_MONTH'], intervalMs: 2000 }],
      ['FINNIFTY', { strikesBelowAtm: 20, strikesAboveAtm: 20, expiries: ['THIS_MONTH'], intervalMs: 2000 }],
      ['MIDCPNIFTY', { strikesBelowAtm: 20, strikesAboveAtm: 20, expiries: ['THIS_MONTH'], intervalMs: 2000 }],
      ['SENSEX', { strikesBelowAtm: 20, strikesAboveAtm: 20, expiries: 'ALL', intervalMs: 2000 }],
    ]);
  });

  it('lists tags once each in their own order, however the file wrote them', () => {
    const file: ConfigFile = { defaults: { expiries: ['NEXT_MONTH', 'THIS_WEEK', 'NEXT_MONTH'] } };
    const resolved = resolveCollection(file, { indices: ['NIFTY'] }, builtIn);
    expect(resolved.ok && resolved.collection.get('NIFTY')?.expiries).toEqual(['THIS_WEEK', 'NEXT_MONTH']);
  });

  it('enables a listed index unless it says false, the others as defaults.enabled says', () => {
    const enabled = (file: ConfigFile) => {
      const resolved = resolveCollection(file, {}, builtIn);
      return resolved.ok ? resolved.indices : resolved.errors;
    };
    expect(enabled({ indices: { NIFTY: {}, SENSEX: { enabled: false } } })).toEqual([
      'NIFTY',
      'BANKNIFTY',
      'FINNIFTY',
      'MIDCPNIFTY',
    ]);
    expect(enabled({ defaults: { enabled: false }, indices: { SENSEX: {}, NIFTY: { enabled: true } } })).toEqual([
      'NIFTY',
      'SENSEX',
    ]);
    expect(enabled({ defaults: { enabled: false }, indices: { BANKNIFTY: { enabled: false } } })).toEqual([
      expect.stringMatching(/^no index is enabled: list one under "indices"/),
    ]);
    // The environment's list replaces the file's choice, whatever it was.
    const named = resolveCollection({ defaults: { enabled: false } }, { indices: ['SENSEX'] }, builtIn);
    expect(named.ok && named.indices).toEqual(['SENSEX']);
  });
});

describe('loadConfig with G6_CONFIG_FILE', () => {
  it('without a file keeps today’s settings for all five indices', () => {
    const config = configOf(load({}));
    expect(config.configFile).toBeNull();
    expect(config.indices).toEqual(['NIFTY', 'BANKNIFTY', 'FINNIFTY', 'MIDCPNIFTY', 'SENSEX']);
    expect([...config.collection.keys()]).toEqual(config.indices);
    for (const settings of config.collection.values()) {
      expect(settings).toEqual({ strikesBelowAtm: 30, strikesAboveAtm: 30, expiries: 'ALL', intervalMs: 2000 });
    }
    expect([config.strikesAroundAtm, config.collectionIntervalMs, config.collectionTimeoutMs]).toEqual([
      30, 2000, 10_000,
    ]);
    const live = configOf(load({ KITE_API_KEY: 'k', KITE_ACCESS_TOKEN: 't' }));
    expect(live.collection.get('NIFTY')?.intervalMs).toBe(30_000);
  });

  it('collects the file’s enabled indices with their own settings; the summaries cover every index', () => {
    const config = configOf(load({ G6_CONFIG_FILE: 'g6.config.json' }, { 'g6.config.json': ISSUE_FILE }));
    expect(config.configFile).toBe('g6.config.json');
    expect(config.indices).toEqual(['NIFTY', 'BANKNIFTY']);
    expect(Object.fromEntries(config.collection)).toEqual({
      NIFTY: {
        strikesBelowAtm: 10,
        strikesAboveAtm: 12,
        expiries: ['THIS_WEEK', 'NEXT_WEEK', 'THIS_MONTH'],
        intervalMs: 30_000,
      },
      BANKNIFTY: { strikesBelowAtm: 15, strikesAboveAtm: 15, expiries: 'ALL', intervalMs: 60_000 },
    });
    // The widest window of any index, the fastest interval, and a timeout of at least that interval.
    expect(config.strikesAroundAtm).toBe(15);
    expect(config.collectionIntervalMs).toBe(30_000);
    expect(config.collectionTimeoutMs).toBe(30_000);
  });

  it('a whole-chain index makes the summary window whole chains too', () => {
    const file = { indices: { NIFTY: { strikesAroundAtm: 0 }, SENSEX: { strikesBelowAtm: 40 } } };
    const config = configOf(load({ G6_CONFIG_FILE: 'f.json' }, { 'f.json': file }));
    expect(config.collection.get('NIFTY')).toMatchObject({ strikesBelowAtm: 0, strikesAboveAtm: 0 });
    expect(config.collection.get('SENSEX')).toMatchObject({ strikesBelowAtm: 40, strikesAboveAtm: 30 });
    expect(config.strikesAroundAtm).toBe(0);
    const noWhole = configOf(load({ G6_CONFIG_FILE: 'f.json', G6_INDICES: 'SENSEX,BANKNIFTY' }, { 'f.json': file }));
    expect(noWhole.strikesAroundAtm).toBe(40);
  });

  it('lets the environment override the file: G6_INDICES the enabled set, the others every index', () => {
    const files = { 'g6.config.json': ISSUE_FILE };
    const indices = configOf(load({ G6_CONFIG_FILE: 'g6.config.json', G6_INDICES: 'sensex,NIFTY' }, files));
    // SENSEX is disabled by the file's defaults, but the environment names it; it takes the defaults' values.
    expect(indices.indices).toEqual(['SENSEX', 'NIFTY']);
    expect(indices.collection.get('SENSEX')).toEqual({
      strikesBelowAtm: 30,
      strikesAboveAtm: 30,
      expiries: 'ALL',
      intervalMs: 60_000,
    });
    expect(indices.collection.has('BANKNIFTY')).toBe(false);

    const both = configOf(
      load({ G6_CONFIG_FILE: 'g6.config.json', G6_STRIKES_AROUND_ATM: '4', G6_COLLECTION_INTERVAL: '0.5' }, files),
    );
    for (const index of ['NIFTY', 'BANKNIFTY'] as const) {
      expect(both.collection.get(index)).toMatchObject({ strikesBelowAtm: 4, strikesAboveAtm: 4, intervalMs: 500 });
    }
    // Expiries have no variable: the file's stay.
    expect(both.collection.get('NIFTY')?.expiries).toEqual(['THIS_WEEK', 'NEXT_WEEK', 'THIS_MONTH']);
    expect([both.strikesAroundAtm, both.collectionIntervalMs, both.collectionTimeoutMs]).toEqual([4, 500, 10_000]);
  });

  it('flags still win: --mock picks the simulated default interval where nothing else sets one', () => {
    const file = { indices: { NIFTY: { intervalSeconds: 7 } } };
    const env = { G6_CONFIG_FILE: 'f.json', KITE_API_KEY: 'k', KITE_ACCESS_TOKEN: 't' };
    const live = configOf(load(env, { 'f.json': file }));
    const mock = configOf(load(env, { 'f.json': file }, ['--mock']));
    expect([live.collection.get('NIFTY')?.intervalMs, live.collection.get('SENSEX')?.intervalMs]).toEqual([
      7000, 30_000,
    ]);
    expect([mock.collection.get('NIFTY')?.intervalMs, mock.collection.get('SENSEX')?.intervalMs]).toEqual([7000, 2000]);
  });

  it('reads a YAML file (by its extension) as it reads the same settings in JSON', () => {
    const yaml = [
      '# per-index collection',
      'defaults: { strikesAroundAtm: 6 }',
      'indices:',
      '  NIFTY:',
      '    expiries: [THIS_WEEK, NEXT_MONTH]  # the weekly and the far monthly',
      '    intervalSeconds: 5',
      '  SENSEX:',
      '    enabled: false',
      '',
    ].join('\n');
    const json = {
      defaults: { strikesAroundAtm: 6 },
      indices: { NIFTY: { expiries: ['THIS_WEEK', 'NEXT_MONTH'], intervalSeconds: 5 }, SENSEX: { enabled: false } },
    };
    const fromYaml = configOf(load({ G6_CONFIG_FILE: 'conf/g6.YML' }, { 'conf/g6.YML': yaml }));
    const fromJson = configOf(load({ G6_CONFIG_FILE: 'g6.config.json' }, { 'g6.config.json': json }));
    expect(fromYaml.indices).toEqual(fromJson.indices);
    expect(fromYaml.indices).not.toContain('SENSEX');
    expect([...fromYaml.collection]).toEqual([...fromJson.collection]);
    expect(fromYaml.collection.get('NIFTY')).toEqual({
      strikesBelowAtm: 6,
      strikesAboveAtm: 6,
      expiries: ['THIS_WEEK', 'NEXT_MONTH'],
      intervalMs: 5000,
    });
  });

  it('fails fast naming G6_CONFIG_FILE and the path: missing, bad YAML, bad JSON, bad values', () => {
    expect(invalid(load({ G6_CONFIG_FILE: 'nope.json' }))).toEqual([
      `G6_CONFIG_FILE="nope.json": cannot read it (ENOENT: no such file or directory, open 'nope.json')`,
    ]);
    expect(
      invalid(load({ G6_CONFIG_FILE: 'g6.config.yaml' }, { 'g6.config.yaml': 'indices:\n  NIFTY: {}\n  NIFTY: {}\n' })),
    ).toEqual(['G6_CONFIG_FILE="g6.config.yaml": not valid YAML: Map keys must be unique (line 3, column 3)']);
    expect(
      invalid(load({ G6_CONFIG_FILE: 'g6.config.yml' }, { 'g6.config.yml': 'indices: {}\n---\nindices: {}\n' })),
    ).toEqual([
      'G6_CONFIG_FILE="g6.config.yml": not valid YAML: the file holds more than one YAML document (line 2, column 1)',
    ]);
    // YAML 1.2: `yes` is a string, so a YAML 1.1 habit is an error, not a silent true.
    expect(
      invalid(
        load({ G6_CONFIG_FILE: 'g6.config.yaml' }, { 'g6.config.yaml': 'indices:\n  NIFTY:\n    enabled: yes\n' }),
      ),
    ).toEqual(['G6_CONFIG_FILE="g6.config.yaml": indices.NIFTY.enabled="yes": expected true or false']);
    expect(invalid(load({ G6_CONFIG_FILE: 'f.json' }, { 'f.json': '{"indices": {' }))).toEqual([
      `G6_CONFIG_FILE="f.json": not valid JSON: Expected property name or '}' in JSON (line 1, column 14)`,
    ]);
    expect(
      invalid(load({ G6_CONFIG_FILE: 'f.json' }, { 'f.json': { indices: { NIFTY: { expiries: ['SOON'] } } } })),
    ).toEqual([
      'G6_CONFIG_FILE="f.json": indices.NIFTY.expiries[0]="SOON": expected one of THIS_WEEK, NEXT_WEEK, THIS_MONTH, NEXT_MONTH',
    ]);
    expect(invalid(load({ G6_CONFIG_FILE: 'f.json' }, { 'f.json': { defaults: { enabled: false } } }))).toEqual([
      expect.stringMatching(/^G6_CONFIG_FILE="f\.json": no index is enabled/),
    ]);
  });

  it('reports the file’s problems together with the other variables’', () => {
    const errors = invalid(
      load({ G6_CONFIG_FILE: 'f.json', G6_ENABLE_INFLUXDB: 'true' }, { 'f.json': { indices: { NIFTY: { x: 1 } } } }),
    );
    expect(errors.some((e) => e.startsWith('INFLUXDB_URL: required'))).toBe(true);
    expect(errors.some((e) => e.startsWith('G6_CONFIG_FILE="f.json": indices.NIFTY.x: unknown key'))).toBe(true);
  });
});
