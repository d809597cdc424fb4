import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_RUN_VARIABLE } from '../helpers/leftovers.ts';

/**
 * `.env` and G6_CONFIG_FILE through the built program (dist/main.js), started in a working directory of
 * its own: main loads `.env` from there before anything reads the configuration.
 */
const MAIN = resolve('dist/main.js');
const SECRET = 'dotenv-secret-influx-token-8c1f';

const cleanup: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) {
    await step();
  }
});

function workDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'g6-dotenv-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

interface Started {
  readonly child: ChildProcess;
  /** Resolves with the first JSON log line whose message starts with `prefix`. */
  waitForLog(prefix: string): Promise<Record<string, unknown>>;
  readonly exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function start(args: string[], cwd: string, env: Record<string, string> = {}): Started {
  const child = spawn(process.execPath, [MAIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', [TEST_RUN_VARIABLE]: process.env[TEST_RUN_VARIABLE] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const watchers: Array<{ prefix: string; found: (line: Record<string, unknown>) => void }> = [];
  let stderr = '';
  createInterface({ input: child.stdout! }).on('line', (line) => {
    stdout.push(line);
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    for (const watcher of [...watchers]) {
      if (typeof parsed.msg === 'string' && parsed.msg.startsWith(watcher.prefix)) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.found(parsed);
      }
    }
  });
  child.stderr!.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    child.on('close', (code) => done({ code, stdout: stdout.join('\n'), stderr }));
  });
  cleanup.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return {
    child,
    exited,
    waitForLog: (prefix) =>
      new Promise((found, fail) => {
        watchers.push({ prefix, found });
        void exited.then(({ code, stderr: err }) => fail(new Error(`g6 exited (${code}) first: ${err}`)));
      }),
  };
}

const DOT_ENV = [
  '# the operator’s settings',
  'G6_INDICES=BANKNIFTY,SENSEX',
  'G6_CONFIG_FILE=g6.config.json',
  'G6_MOCK_MODE=true',
  'G6_LOG_FORMAT=json',
  `INFLUXDB_TOKEN=${SECRET}`,
  '',
].join('\n');

describe('.env and G6_CONFIG_FILE in the built program', () => {
  it('g6 selftest reads .env from the working directory; a variable already set wins over it', async () => {
    const dir = workDir({
      '.env': DOT_ENV,
      'g6.config.json': JSON.stringify({ indices: { SENSEX: { strikesAroundAtm: 4, expiries: ['THIS_WEEK'] } } }),
    });
    mkdirSync(join(dir, 'data'));
    const run = start(['selftest', '--json'], dir, { G6_INDICES: 'SENSEX', G6_DATA_DIR: join(dir, 'data') });
    const { code, stdout, stderr } = await run.exited;
    expect(stderr).not.toContain(SECRET);
    expect(stdout).not.toContain(SECRET);
    const report = JSON.parse(stdout) as { checks: Array<{ name: string; result: string; detail: string }> };
    const configuration = report.checks.find((c) => c.name === 'configuration')!;
    expect(configuration.result).toBe('PASS');
    expect(configuration.detail).toContain('simulated market');
    expect(configuration.detail).toContain('; indices SENSEX; ');
    expect(configuration.detail).toContain(`; config file ${join(dir, 'g6.config.json')}; `);
    expect(report.checks.filter((c) => c.name.startsWith('collection')).map((c) => [c.name, c.result])).toEqual([
      ['collection SENSEX', 'PASS'],
    ]);
    expect(code).toBe(0);
  });

  it('the server logs which file and variable names it read, never a value', async () => {
    const dir = workDir({
      '.env': DOT_ENV,
      'g6.config.json': JSON.stringify({ defaults: { intervalSeconds: 0.5 } }),
    });
    const run = start(['--port', '0'], dir, { G6_HOST: '127.0.0.1', G6_DATA_DIR: join(dir, 'data') });
    const ready = await run.waitForLog('G6 server ready');
    expect(ready.indices).toEqual(['BANKNIFTY', 'SENSEX']);
    expect(ready.collectionIntervalSeconds).toBe(0.5);
    expect(ready.configFile).toBe(join(dir, 'g6.config.json'));
    expect(ready.envFile).toEqual({
      path: join(dir, '.env'),
      variables: ['G6_CONFIG_FILE', 'G6_INDICES', 'G6_LOG_FORMAT', 'G6_MOCK_MODE', 'INFLUXDB_TOKEN'],
    });
    run.child.kill('SIGTERM');
    const { code, stdout } = await run.exited;
    expect(code).toBe(0);
    expect(stdout).not.toContain(SECRET);
  });

  it('fails fast, exit 2, on an unreadable .env or a bad collection file, naming the file', async () => {
    const unreadable = workDir({});
    mkdirSync(join(unreadable, '.env'));
    const dirEnv = await start(['--mock', '--port', '0'], unreadable).exited;
    expect(dirEnv.code).toBe(2);
    expect(dirEnv.stderr).toMatch(new RegExp(`^g6: cannot read ${join(unreadable, '.env')} \\(`));

    const badFile = workDir({
      '.env': 'G6_CONFIG_FILE=g6.config.json\n',
      'g6.config.json': JSON.stringify({ indices: { NIFTY: { expiries: ['THIS_WEEK', 'WEEKLY'] } } }),
    });
    const bad = await start(['--mock', '--port', '0'], badFile).exited;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'g6: invalid configuration\n' +
        '  G6_CONFIG_FILE="g6.config.json": indices.NIFTY.expiries[1]="WEEKLY": expected one of THIS_WEEK, NEXT_WEEK, THIS_MONTH, NEXT_MONTH\n',
    );
  });
});
