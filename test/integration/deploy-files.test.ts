import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config.ts';

/**
 * The deployment files users copy, validated by the tools that read them (there is no Docker engine and no
 * systemd as PID 1 here): `docker compose config` for docker-compose.yml, `systemd-analyze verify` and
 * `security` for the units, `systemd-sysusers` for the user, and G6's own configuration parser for what
 * both hand to G6.
 */

const REPO = resolve('.');
const COMPOSE_FILE = join(REPO, 'docker-compose.yml');
const SYSTEMD_DIR = join(REPO, 'deploy/systemd');

const scratch = mkdtempSync(join(tmpdir(), 'g6-deploy-files-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A Docker duration (`30s`, `1m30s`) or a systemd time span (`30s`, `1min 30s`), in milliseconds. */
function durationMs(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)\s*(ms|sec|min|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.replace(/\s+/g, '')) {
    throw new Error(`not a duration: ${JSON.stringify(text)}`);
  }
  return parts.reduce((sum, [, value, unit]) => sum + Number(value) * units[unit!]!, 0);
}

/** What G6 makes of an environment and command line, or the errors it would exit 2 with. */
function g6Config(env: Record<string, string>, argv: readonly string[]): Config {
  const result = loadConfig(env, argv);
  if (result.kind !== 'config') {
    throw new Error(`G6 rejects ${JSON.stringify(argv)}: ${JSON.stringify(result)}`);
  }
  return result.config;
}

// ---------------------------------------------------------------------------------------------------------
// docker-compose.yml

interface ComposeVolume {
  readonly type: string;
  readonly source?: string;
  readonly target: string;
  readonly read_only?: boolean;
}

interface ComposeService {
  readonly build?: { readonly context: string };
  readonly image?: string;
  readonly command?: readonly string[];
  readonly environment?: Readonly<Record<string, string | null>>;
  readonly volumes?: ReadonlyArray<string | ComposeVolume>;
  readonly ports?: ReadonlyArray<{ readonly target: number; readonly published?: number | string }>;
  readonly depends_on?: Readonly<Record<string, unknown>>;
  readonly profiles?: readonly string[];
  readonly healthcheck?: unknown;
  readonly stop_grace_period?: string;
}

interface ComposeConfig {
  readonly services: Readonly<Record<string, ComposeService>>;
}

interface ComposeTool {
  readonly command: string;
  readonly args: readonly string[];
  /** docker-compose 1.x: prints YAML only, and every service whatever the active profiles. */
  readonly legacy: boolean;
}

/** `docker compose` (the v2 plugin) when it answers, else `docker-compose`; neither is a failure. */
function findCompose(): ComposeTool {
  const tried: string[] = [];
  for (const [command, args] of [
    ['docker', ['compose']],
    ['docker-compose', []],
  ] as const) {
    const probe = spawnSync(command, [...args, 'version'], { encoding: 'utf8' });
    if (probe.status === 0) {
      return { command, args, legacy: /^docker-compose version 1\./m.test(probe.stdout) };
    }
    tried.push(`  ${[command, ...args].join(' ')}: ${probe.error?.message ?? probe.stderr.trim()}`);
  }
  throw new Error(
    `neither \`docker compose\` nor \`docker-compose\` runs (apt-get install docker-compose):\n${tried.join('\n')}`,
  );
}

/**
 * docker-compose 1.x prints YAML only. It is a Python program that imports PyYAML, so the interpreter on
 * its `#!` line can read what it printed.
 */
function legacyYamlToJson(yaml: string): string {
  const which = spawnSync('sh', ['-c', 'command -v docker-compose'], { encoding: 'utf8' });
  const script = realpathSync(which.stdout.trim());
  const head = Buffer.alloc(200);
  const fd = openSync(script, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const python = /^#!\s*(\S*python\S*)/.exec(head.toString('latin1'))?.[1];
  if (python === undefined) {
    throw new Error(`${script} is docker-compose 1.x but not a Python script: cannot read its YAML output`);
  }
  const run = spawnSync(python, ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], {
    input: yaml,
    encoding: 'utf8',
  });
  if (run.status !== 0) {
    throw new Error(`${python} could not read docker-compose's YAML: ${run.stderr}`);
  }
  return run.stdout;
}

const compose = findCompose();
// An empty env file, so a developer's .env cannot change what the test sees.
const EMPTY_ENV_FILE = join(scratch, 'empty.env');
writeFileSync(EMPTY_ENV_FILE, '');

function runCompose(profiles: readonly string[], vars: Record<string, string>, extra: readonly string[]) {
  const args = [
    ...compose.args,
    '--env-file',
    EMPTY_ENV_FILE,
    '--project-directory',
    REPO,
    '-f',
    COMPOSE_FILE,
    ...profiles.flatMap((p) => ['--profile', p]),
    'config',
    ...extra,
  ];
  // Only what compose needs: no G6_*, INFLUXDB_* or GRAFANA_* of the developer's shell leaks in.
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? scratch, ...vars };
  const run = spawnSync(compose.command, args, { cwd: REPO, env, encoding: 'utf8' });
  if (run.status !== 0) {
    throw new Error(`${compose.command} ${args.join(' ')} failed (${run.status}):\n${run.stderr}`);
  }
  // Compose v2 notes that `version:` is obsolete (kept for docker-compose 1.29); anything else (an unset
  // variable, an unknown key) is a defect.
  const warnings = run.stderr.split('\n').filter((line) => line.trim() !== '' && !/`?version`? is obsolete/.test(line));
  return { stdout: run.stdout, warnings };
}

const resolved = new Map<string, { config: ComposeConfig; warnings: string[] }>();

/** The resolved configuration with these profiles active, and compose's warnings about it. */
function composeConfig(profiles: readonly string[], vars: Record<string, string> = {}) {
  const key = JSON.stringify([profiles, vars]);
  let result = resolved.get(key);
  if (result === undefined) {
    const run = runCompose(profiles, vars, compose.legacy ? [] : ['--format', 'json']);
    const config = JSON.parse(compose.legacy ? legacyYamlToJson(run.stdout) : run.stdout) as ComposeConfig;
    result = { config, warnings: run.warnings };
    resolved.set(key, result);
  }
  return result;
}

/** Services started with these profiles (docker-compose 1.x lists all of them; v2 only these). */
function activeServices(config: ComposeConfig, profiles: readonly string[]): string[] {
  return Object.entries(config.services)
    .filter(([, s]) => s.profiles === undefined || s.profiles.some((p) => profiles.includes(p)))
    .map(([name]) => name)
    .sort();
}

/** Volumes as {source, target, readOnly}, from either tool's notation. */
function mountsOf(service: ComposeService): Array<{ source: string; target: string; readOnly: boolean }> {
  return (service.volumes ?? []).map((volume) => {
    if (typeof volume === 'string') {
      const [source = '', target = '', mode = 'rw'] = volume.split(':');
      return { source, target, readOnly: mode === 'ro' };
    }
    return { source: volume.source ?? '', target: volume.target, readOnly: volume.read_only === true };
  });
}

/** The variables a container gets: unset pass-through names (`NAME:` alone) give it nothing. */
function environmentOf(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).filter((entry): entry is [string, string] => entry[1] !== null),
  );
}

/** The G6 processes: built from this repository's Dockerfile. */
function g6Services(config: ComposeConfig, profiles: readonly string[]): Array<[string, ComposeService]> {
  return activeServices(config, profiles)
    .map((name) => [name, config.services[name]!] as [string, ComposeService])
    .filter(([, s]) => s.build !== undefined && resolve(s.build.context) === REPO);
}

/** G6's command line after `dist/main.js`, as the image's entrypoint (tini) passes it to node. */
function g6Argv(service: ComposeService): string[] {
  const command = service.command ?? ['node', 'dist/main.js'];
  expect(command.slice(0, 2)).toEqual(['node', 'dist/main.js']);
  return command.slice(2);
}

const DEFAULT_SERVICES = ['api-1', 'api-2', 'collector', 'grafana', 'prometheus', 'redis'];

describe('docker-compose.yml', () => {
  it('is valid, without warnings, for the default profile and each profile, and a profile only adds its services', () => {
    const profiles = runCompose([], {}, ['--profiles']).stdout.trim().split('\n').sort();
    expect(profiles).toEqual(['influx']);

    const expected: Record<string, string[]> = {
      '': DEFAULT_SERVICES,
      influx: [...DEFAULT_SERVICES, 'influxdb'].sort(),
    };
    for (const active of [[], ...profiles.map((p) => [p])]) {
      const { config, warnings } = composeConfig(active);
      expect(warnings, `warnings with profiles [${active}]`).toEqual([]);
      const services = activeServices(config, active);
      expect(services).toEqual(expected[active.join(',')]);
      // A dependency on a service its profile leaves out would break `up` for that profile.
      for (const name of services) {
        for (const dependency of Object.keys(config.services[name]!.depends_on ?? {})) {
          expect(services, `${name} depends on ${dependency}`).toContain(dependency);
        }
      }
    }
  });

  it('runs the image of the Dockerfile as one collector writing the data volume and two API replicas reading it', () => {
    const { config } = composeConfig([]);
    const g6 = g6Services(config, []);
    expect(g6.map(([name]) => name)).toEqual(['api-1', 'api-2', 'collector']);

    const roles: Record<string, string[]> = {};
    for (const [name, service] of g6) {
      expect(service.image, name).toBe('g6');
      // The image's HEALTHCHECK (GET /health on G6_PORT) applies unless a service overrides it.
      expect(service.healthcheck, name).toBeUndefined();
      const settings = g6Config(environmentOf(service), g6Argv(service));
      roles[settings.role] = [...(roles[settings.role] ?? []), name];
      // Docker's SIGKILL must come after G6's own deadline, with time to log and exit.
      expect(durationMs(service.stop_grace_period ?? '10s'), name).toBeGreaterThan(settings.shutdownTimeoutMs + 5000);
      // Every process reaches the one Redis of this file.
      expect(new URL(settings.redis?.url ?? '').hostname, name).toBe('redis');
      // Port 4000 inside every container: the one Prometheus scrapes and the health check probes.
      expect(settings.port, name).toBe(4000);
      expect(
        service.ports?.map((p) => Number(p.target)),
        name,
      ).toEqual([4000]);
      const data = mountsOf(service).filter((m) => m.target === '/app/data');
      expect(data, name).toEqual([{ source: 'g6-data', target: '/app/data', readOnly: settings.role === 'API' }]);
    }
    expect(roles).toEqual({ COLLECTOR: ['collector'], API: ['api-1', 'api-2'] });
    expect(config.services.redis?.healthcheck).toBeDefined();
  });

  it('has Prometheus scrape every G6 service with the rules of deploy/prometheus', () => {
    const { config } = composeConfig([]);
    const prometheus = config.services.prometheus!;
    const mounts = mountsOf(prometheus);
    const configMount = mounts.find((m) => m.target === '/etc/prometheus/prometheus.yml');
    expect(configMount).toEqual({
      source: join(REPO, 'deploy/prometheus/prometheus.yml'),
      target: '/etc/prometheus/prometheus.yml',
      readOnly: true,
    });
    const promConfig = readFileSync(configMount!.source, 'utf8');
    // rule_files names the container path: the rules directory must be mounted there.
    const ruleGlob = /^rule_files:\s*\n\s+-\s+(\S+)/m.exec(promConfig)?.[1] ?? '';
    const rulesMount = mounts.find((m) => ruleGlob.startsWith(`${m.target}/`));
    expect(rulesMount?.source).toBe(join(REPO, 'deploy/prometheus/rules'));
    expect(readdirSync(rulesMount!.source).filter((f) => f.endsWith('.yml')).length).toBeGreaterThan(0);

    const targets = [...promConfig.matchAll(/^\s+-\s+["']?([\w.-]+:\d+)["']?\s*$/gm)].map((m) => m[1]).sort();
    const g6 = g6Services(config, []).map(([name]) => `${name}:4000`);
    expect(targets).toEqual(g6.sort());
    expect(prometheus.ports?.map((p) => Number(p.target))).toEqual([9090]);
  });

  it('provisions Grafana from deploy/grafana, with its admin password and anonymous viewing from the environment', () => {
    const grafanaOf = (vars: Record<string, string>) => composeConfig([], vars).config.services.grafana!;

    const grafana = grafanaOf({});
    const mounts = mountsOf(grafana);
    expect(mounts).toContainEqual({
      source: join(REPO, 'deploy/grafana/provisioning'),
      target: '/etc/grafana/provisioning',
      readOnly: true,
    });
    // The dashboards provider reads the directory the dashboards are mounted at.
    const provider = readFileSync(join(REPO, 'deploy/grafana/provisioning/dashboards/g6.yml'), 'utf8');
    const providerPath = /^\s+path:\s*(\S+)\s*$/m.exec(provider)?.[1];
    expect(mounts).toContainEqual({
      source: join(REPO, 'deploy/grafana/dashboards'),
      target: providerPath,
      readOnly: true,
    });
    // The data source reaches the prometheus service on the port it listens on.
    const datasource = readFileSync(join(REPO, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8');
    const url = new URL(/^\s+url:\s*(\S+)\s*$/m.exec(datasource)?.[1] ?? '');
    expect(url.hostname).toBe('prometheus');
    expect(composeConfig([]).config.services[url.hostname]?.ports?.map((p) => Number(p.target))).toEqual([
      Number(url.port),
    ]);

    expect(environmentOf(grafana)).toMatchObject({
      GF_AUTH_ANONYMOUS_ENABLED: 'false',
      GF_USERS_ALLOW_SIGN_UP: 'false',
    });
    expect(
      environmentOf(grafanaOf({ GRAFANA_ADMIN_PASSWORD: 'a-test-password', GRAFANA_ANONYMOUS: 'true' })),
    ).toMatchObject({
      GF_SECURITY_ADMIN_PASSWORD: 'a-test-password',
      GF_AUTH_ANONYMOUS_ENABLED: 'true',
      GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer',
    });
  });

  it('starts InfluxDB only with the influx profile, and the collector writes to it with its org, bucket and token', () => {
    const vars = {
      G6_ENABLE_INFLUXDB: 'true',
      INFLUXDB_TOKEN: 'a-test-token-0123',
      INFLUXDB_ADMIN_PASSWORD: 'pw-123456',
    };
    const { config } = composeConfig(['influx'], vars);
    const influxdb = config.services.influxdb!;
    expect(influxdb.profiles).toEqual(['influx']);
    const init = environmentOf(influxdb);
    expect(init).toMatchObject({ DOCKER_INFLUXDB_INIT_MODE: 'setup', DOCKER_INFLUXDB_INIT_PASSWORD: 'pw-123456' });

    const collector = config.services.collector!;
    const influx = g6Config(environmentOf(collector), g6Argv(collector)).influx;
    expect(influx).not.toBeNull();
    const url = new URL(influx!.url);
    expect(url.hostname).toBe('influxdb');
    expect(influxdb.ports?.map((p) => Number(p.target))).toEqual([Number(url.port)]);
    expect(influx).toMatchObject({
      org: init.DOCKER_INFLUXDB_INIT_ORG,
      bucket: init.DOCKER_INFLUXDB_INIT_BUCKET,
      token: 'a-test-token-0123',
    });
    expect(init.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN).toBe('a-test-token-0123');

    // Without G6_ENABLE_INFLUXDB the collector writes CSV only, so no spool grows for a server that is not there.
    const plain = composeConfig([]).config.services.collector!;
    expect(g6Config(environmentOf(plain), g6Argv(plain)).influx).toBeNull();
  });

  it('passes Kite credentials through to the collector only when the shell sets them', () => {
    const withKite = composeConfig([], { KITE_API_KEY: 'test-key', KITE_ACCESS_TOKEN: 'test-token' }).config.services;
    const collector = g6Config(environmentOf(withKite.collector!), g6Argv(withKite.collector!));
    expect(collector.mockMode).toBe(false);
    // Unset, the names give the container nothing (an empty KITE_API_KEY would be a configuration error).
    const plain = composeConfig([]).config.services.collector!;
    expect(environmentOf(plain)).not.toHaveProperty('KITE_API_KEY');
    expect(g6Config(environmentOf(plain), g6Argv(plain)).mockMode).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------
// deploy/systemd

/** One unit file: each section's keys, with every value of a key given more than once. */
type Unit = Record<string, Record<string, string[]>>;

function parseUnit(text: string): Unit {
  const unit: Unit = {};
  let section: Record<string, string[]> | undefined;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) {
      continue;
    }
    const header = /^\[(.+)\]$/.exec(trimmed);
    if (header) {
      section = unit[header[1]!] ??= {};
      continue;
    }
    const eq = trimmed.indexOf('=');
    if (section === undefined || eq < 0) {
      throw new Error(`not a unit line: ${line}`);
    }
    const key = trimmed.slice(0, eq);
    section[key] = [...(section[key] ?? []), trimmed.slice(eq + 1)];
  }
  return unit;
}

const UNIT_FILES = readdirSync(SYSTEMD_DIR)
  .filter((f) => f.endsWith('.service'))
  .sort();

/** The name a unit is started by: a template is verified as one of its instances. */
const instanceName = (file: string) => file.replace('@.service', '@4001.service');

/** Whatever directory holds systemd's own units (sysinit.target…), which verify loads with ours. */
function systemUnitDir(): string {
  const found = ['/usr/lib/systemd/system', '/lib/systemd/system'].find((dir) =>
    existsSync(join(dir, 'sysinit.target')),
  );
  if (found === undefined) {
    throw new Error('systemd is not installed (no sysinit.target): apt-get install systemd');
  }
  return found;
}

/**
 * A file system root for `--root`: systemd's units, ours in /etc/systemd/system, and an executable stub at
 * each ExecStart path. verify then checks the units as shipped (ExecStart=/usr/bin/node included) whatever
 * node this machine has, and nothing of the host's own /etc/systemd leaks in.
 */
function stageRoot(units: Record<string, string>): string {
  const root = mkdtempSync(join(scratch, 'root-'));
  cpSync(systemUnitDir(), join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  const unitDir = join(root, 'etc/systemd/system');
  mkdirSync(unitDir, { recursive: true });
  for (const [name, text] of Object.entries(units)) {
    writeFileSync(join(unitDir, name), text);
    for (const exec of parseUnit(text).Service?.ExecStart ?? []) {
      const binary = exec.replace(/^[-@:+!]+/, '').split(/\s+/)[0]!;
      mkdirSync(join(root, dirname(binary)), { recursive: true });
      writeFileSync(join(root, binary), '#!/bin/sh\n');
      chmodSync(join(root, binary), 0o755);
    }
  }
  return root;
}

function systemdAnalyze(args: readonly string[]) {
  const run = spawnSync('systemd-analyze', args, { encoding: 'utf8' });
  if (run.error) {
    throw new Error(`systemd-analyze: ${run.error.message} (apt-get install systemd)`);
  }
  return run;
}

const shipped = Object.fromEntries(UNIT_FILES.map((f) => [f, readFileSync(join(SYSTEMD_DIR, f), 'utf8')]));

/** What G6 makes of a unit's Environment= lines and ExecStart, %-specifiers expanded as systemd would. */
function g6ConfigOfUnit(unit: Unit, extraEnv: Record<string, string>): Config {
  const expand = (text: string) => text.replaceAll('%S', '/var/lib').replaceAll('%i', '4001');
  const env = Object.fromEntries(
    (unit.Service?.Environment ?? []).map((assignment) => {
      const [name, ...value] = expand(assignment).split('=');
      return [name!, value.join('=')];
    }),
  );
  const [node, script, ...argv] = expand(unit.Service!.ExecStart![0]!).split(/\s+/);
  expect(node).toBe('/usr/bin/node');
  expect(script).toBe(`${unit.Service!.WorkingDirectory![0]}/dist/main.js`);
  return g6Config({ ...env, ...extraEnv }, argv);
}

describe('deploy/systemd', () => {
  it('ships the all-in-one unit and the collector/API pair', () => {
    expect(UNIT_FILES).toEqual(['g6-api@.service', 'g6-collector.service', 'g6.service']);
  });

  it('passes systemd-analyze verify for every unit with nothing on stderr', () => {
    const root = stageRoot(shipped);
    for (const file of UNIT_FILES) {
      const run = systemdAnalyze(['verify', `--root=${root}`, instanceName(file)]);
      expect({ unit: file, status: run.status, stderr: run.stderr, stdout: run.stdout }).toEqual({
        unit: file,
        status: 0,
        stderr: '',
        stdout: '',
      });
    }
  });

  it('has systemd-analyze verify report a misspelt key in the staged root (so its silence above means something)', () => {
    const broken = shipped['g6.service']!.replace(/^ProtectSystem=strict$/m, 'ProtectSystm=strict');
    expect(broken).not.toBe(shipped['g6.service']);
    const root = stageRoot({ 'g6-broken.service': broken });
    const run = systemdAnalyze(['verify', `--root=${root}`, 'g6-broken.service']);
    expect(run.stderr).toMatch(/Unknown key (name )?'ProtectSystm'/);
  });

  it("rates every unit's exposure at 4.0 or below (systemd-analyze security, offline)", () => {
    const root = stageRoot(shipped);
    for (const file of UNIT_FILES) {
      const run = systemdAnalyze(['security', '--offline=yes', '--threshold=40', `--root=${root}`, instanceName(file)]);
      const level = /Overall exposure level for \S+: ([\d.]+)/.exec(run.stdout)?.[1];
      expect({ unit: file, status: run.status, level, stderr: run.stderr }).toMatchObject({
        unit: file,
        status: 0,
        stderr: '',
      });
      expect(Number(level), file).toBeLessThanOrEqual(4);
    }
  });

  it('creates, through sysusers.d, the system user the units run as, with no login shell', () => {
    const root = mkdtempSync(join(scratch, 'sysusers-'));
    mkdirSync(join(root, 'etc'));
    const run = spawnSync('systemd-sysusers', [`--root=${root}`, join(SYSTEMD_DIR, 'g6.sysusers.conf')], {
      encoding: 'utf8',
    });
    expect(run.error, 'systemd-sysusers (apt-get install systemd)').toBeUndefined();
    expect(run.status, run.stderr).toBe(0);
    const users = readFileSync(join(root, 'etc/passwd'), 'utf8').trim().split('\n');
    expect(users).toHaveLength(1);
    const [name, , uid, gid, , home, shell] = users[0]!.split(':');
    expect({ name, home, shell }).toEqual({ name: 'g6', home: '/var/lib/g6', shell: '/usr/sbin/nologin' });
    expect(Number(uid)).toBeLessThan(1000);
    expect(readFileSync(join(root, 'etc/group'), 'utf8')).toContain(`g6:x:${gid}:`);
    for (const file of UNIT_FILES) {
      expect(parseUnit(shipped[file]!).Service, file).toMatchObject({ User: [name], Group: ['g6'] });
    }
  });

  it('hardens every unit, stops it after G6 has drained, and starts G6 in the role of the unit', () => {
    const roles: Record<string, string> = {};
    for (const file of UNIT_FILES) {
      const unit = parseUnit(shipped[file]!);
      const service = unit.Service!;
      expect(service, file).toMatchObject({
        Type: ['exec'],
        ProtectSystem: ['strict'],
        ProtectHome: ['yes'],
        PrivateTmp: ['yes'],
        NoNewPrivileges: ['yes'],
        CapabilityBoundingSet: [''],
        Restart: ['on-failure'],
        // Exit 2 is a configuration error: restarting cannot fix it.
        RestartPreventExitStatus: ['2'],
        KillSignal: ['SIGTERM'],
        EnvironmentFile: ['-/etc/g6/g6.env'],
        // The one writable place besides the data directory, for G6_LOG_FILE.
        LogsDirectory: ['g6'],
      });
      expect(service.DynamicUser, file).toBeUndefined();
      expect(unit.Install?.WantedBy, file).toEqual(['multi-user.target']);

      // Roles that need Redis get G6_REDIS_URL from the EnvironmentFile; stand in for it.
      const config = g6ConfigOfUnit(unit, { G6_REDIS_URL: 'redis://127.0.0.1:6379' });
      roles[file] = config.role;
      // systemd's SIGKILL comes after G6's own deadline (it exits 1 then), with time to log and exit.
      expect(durationMs(service.TimeoutStopSec![0]!), file).toBeGreaterThan(config.shutdownTimeoutMs + 5000);
      expect(config.dataDir, file).toBe('/var/lib/g6');
      if (config.role === 'API') {
        // A replica reads the collector's directory and never gets it writable.
        expect(service.StateDirectory, file).toBeUndefined();
        expect(service.ReadOnlyPaths, file).toEqual(['-/var/lib/g6']);
        expect(config.port, file).toBe(4001);
      } else {
        expect(service.StateDirectory, file).toEqual(['g6']);
      }
    }
    expect(roles).toEqual({ 'g6-api@.service': 'API', 'g6-collector.service': 'COLLECTOR', 'g6.service': 'ALL' });
    // Both write /var/lib/g6 and listen on 4000: never both on one host.
    expect(parseUnit(shipped['g6.service']!).Unit?.Conflicts).toEqual(['g6-collector.service']);
    expect(parseUnit(shipped['g6-collector.service']!).Unit?.Conflicts).toEqual(['g6.service']);
  });
});
