import {
  existsSync,
  type FSWatcher,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import {
  createLogger,
  expiredLogFiles,
  LogFileError,
  logFileTransportOptions,
  resolveLogFileLayout,
} from '../../src/logger.ts';
import { runCli } from '../helpers/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'g6-log-file-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Values of every secret the configuration reads that --mock accepts; none may reach a log line.
const SECRETS = {
  KITE_API_KEY: 'kite_key_value_4711',
  KITE_API_SECRET: 'kite_secret_value_4711',
  KITE_ACCESS_TOKEN: 'kite_access_value_4711',
  G6_TOKEN_PASSPHRASE: 'vault passphrase value 4711',
  G6_ALERT_WEBHOOK_SECRET: 'webhook_hmac_value_4711',
};

/**
 * Resolves once `check` holds for the directory's file names, re-checking on each change the kernel
 * reports (inotify), so nothing sleeps; rejects after `timeoutMs` with what the directory held.
 */
function waitForDirectory(dir: string, check: (names: string[]) => boolean, timeoutMs = 20_000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let watcher: FSWatcher | null = null;
    const finish = (error: Error | null, names: string[]) => {
      clearTimeout(timer);
      watcher?.close();
      if (error === null) {
        resolve(names);
      } else {
        reject(error);
      }
    };
    const look = () => {
      const names = readdirSync(dir).sort();
      if (check(names)) {
        finish(null, names);
      }
      return names;
    };
    const timer = setTimeout(
      () => finish(new Error(`timed out; ${dir} holds ${readdirSync(dir).join(', ')}`), []),
      timeoutMs,
    );
    watcher = watch(dir, () => look());
    look();
  });
}

const jsonLines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('G6_LOG_FILE and G6_LOG_RETENTION_DAYS in the configuration', () => {
  it('are read with their defaults and refused with the variable named', () => {
    const plain = loadConfig({}, []);
    expect(plain.kind === 'config' && [plain.config.logFile, plain.config.logRetentionDays]).toEqual([null, 14]);
    const set = loadConfig({ G6_LOG_FILE: 'logs/g6_platform_%DATE%.log', G6_LOG_RETENTION_DAYS: '30' }, []);
    expect(set.kind === 'config' && [set.config.logFile, set.config.logRetentionDays]).toEqual([
      'logs/g6_platform_%DATE%.log',
      30,
    ]);
    const bad = loadConfig({ G6_LOG_FILE: 'logs/g6?.log', G6_LOG_RETENTION_DAYS: '0' }, []);
    expect(bad.kind === 'invalid' && [...bad.errors].sort()).toEqual([
      'G6_LOG_FILE="logs/g6?.log": expected a file path without < > : " | ? *',
      'G6_LOG_RETENTION_DAYS="0": expected a whole number from 1 to 3650',
    ]);
  });
});

describe('log file names and retention (pure parts)', () => {
  it('puts the date where pino-roll puts it, relative paths taken from the working directory', () => {
    const layouts = Object.fromEntries(
      ['logs/g6_platform_%DATE%.log', '/var/log/g6/g6-%DATE%.jsonl', 'g6.log', 'logs/', '%DATE%.log', 'app'].map(
        (file) => [file, resolveLogFileLayout(file, '/srv/g6')],
      ),
    );
    expect(layouts).toEqual({
      'logs/g6_platform_%DATE%.log': { directory: '/srv/g6/logs', base: 'g6_platform', extension: 'log' },
      '/var/log/g6/g6-%DATE%.jsonl': { directory: '/var/log/g6', base: 'g6', extension: 'jsonl' },
      'g6.log': { directory: '/srv/g6', base: 'g6', extension: 'log' },
      'logs/': { directory: '/srv/g6/logs', base: 'g6', extension: 'log' },
      '%DATE%.log': { directory: '/srv/g6', base: 'g6', extension: 'log' },
      app: { directory: '/srv/g6', base: 'app', extension: 'log' },
    });
    expect(logFileTransportOptions(layouts['logs/g6_platform_%DATE%.log']!, 14)).toEqual({
      file: '/srv/g6/logs/g6_platform.log',
      frequency: 'daily',
      dateFormat: 'yyyy-MM-dd',
      mkdir: true,
      symlink: true,
      limit: { count: 14, removeOtherLogFiles: true },
    });
  });

  it("selects this layout's files older than the retention window, by the local date in their names", () => {
    const layout = { directory: '/x', base: 'g6_platform', extension: 'log' };
    const names = [
      'g6_platform.2026-08-03.1.log',
      'g6_platform.2026-08-04.1.log',
      'g6_platform.2026-08-04.2.log',
      'g6_platform.2026-08-05.1.log',
      'g6_platform.2026-08-17.1.log',
      'other.2026-08-01.1.log',
      'g6_platform.2026-08-01.1.log.gz',
      'g6_platform_x.2026-08-01.1.log',
      'current.log',
    ];
    // Fourteen days kept, today included: the 4th to the 17th.
    expect(expiredLogFiles(names, layout, 14, new Date(2026, 7, 17, 23, 59))).toEqual(['g6_platform.2026-08-03.1.log']);
    expect(expiredLogFiles(names, layout, 13, new Date(2026, 7, 17, 0, 1))).toEqual([
      'g6_platform.2026-08-03.1.log',
      'g6_platform.2026-08-04.1.log',
      'g6_platform.2026-08-04.2.log',
    ]);
    expect(expiredLogFiles(names, layout, 1, new Date(2026, 7, 17))).toEqual([
      'g6_platform.2026-08-03.1.log',
      'g6_platform.2026-08-04.1.log',
      'g6_platform.2026-08-04.2.log',
      'g6_platform.2026-08-05.1.log',
    ]);
  });
});

describe('createLogger with a file', () => {
  it('redacts before the file sees a line, creating the directory', async () => {
    const dir = join(root, 'in-process', 'nested', 'logs');
    const captured: string[] = [];
    const stdout = new Writable({
      write(chunk, _encoding, done) {
        captured.push(String(chunk));
        done();
      },
    });
    const logger = createLogger(
      { logLevel: 'debug', logFormat: 'json', logFile: join(dir, 'g6_%DATE%.log'), logRetentionDays: 2 },
      stdout,
    );
    logger.debug(
      {
        kite: { apiSecret: 'in_process_secret', accessToken: 'in_process_token' },
        headers: { authorization: 'Bearer abc' },
      },
      'secrets attached',
    );
    const names = await waitForDirectory(dir, (n) =>
      n.some((name) => name.startsWith('g6.') && readFileSync(join(dir, name), 'utf8').includes('secrets attached')),
    );
    const file = names.find((n) => n !== 'current.log')!;
    expect(file).toMatch(/^g6\.\d{4}-\d{2}-\d{2}\.1\.log$/);
    const [line] = jsonLines(join(dir, file));
    expect(line).toMatchObject({
      msg: 'secrets attached',
      level: 20,
      kite: { apiSecret: '[Redacted]', accessToken: '[Redacted]' },
      headers: { authorization: '[Redacted]' },
    });
    expect(captured.join('')).toContain('"apiSecret":"[Redacted]"');
    // Ends the file's worker (and the capture), as process exit would.
    (logger as unknown as Record<symbol, { end(): void }>)[pino.symbols.streamSym]!.end();
  });

  it('throws LogFileError naming the directory when it cannot be created', () => {
    const blocker = join(root, 'not-a-directory');
    writeFileSync(blocker, '');
    expect(() =>
      createLogger({ logLevel: 'info', logFormat: 'json', logFile: join(blocker, 'logs', 'g6.log') }),
    ).toThrow(LogFileError);
    expect(() =>
      createLogger({ logLevel: 'info', logFormat: 'json', logFile: join(blocker, 'logs', 'g6.log') }),
    ).toThrow(`cannot write log files in ${join(blocker, 'logs')} (G6_LOG_FILE)`);
  });
});

describe('G6_LOG_FILE in the built server (dist/main.js)', () => {
  it('writes the JSON lines, ready line and shutdown included, to a dated file in a new directory; no secret', async () => {
    const dir = join(root, 'server', 'logs');
    const run = runCli(
      ['--mock', '--port', '0', '--debug'],
      {
        G6_HOST: '127.0.0.1',
        G6_DATA_DIR: join(root, 'server', 'data'),
        G6_COLLECTION_INTERVAL: '0.3',
        G6_LOG_FORMAT: 'json',
        G6_LOG_FILE: join(dir, 'g6_platform_%DATE%.log'),
        ...SECRETS,
      },
      // Noon in India: the file's date is that day whatever the real clock says.
      { fakeTime: new Date('2026-08-17T06:30:00Z'), timeZone: 'Asia/Kolkata' },
    );
    const ready = await run.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('G6 server ready'));
    run.child.kill('SIGTERM');
    const exit = await run.exited;
    expect(exit.code).toBe(0);

    expect(readdirSync(dir).sort()).toEqual(['current.log', 'g6_platform.2026-08-17.1.log']);
    expect(readlinkSync(join(dir, 'current.log'))).toBe('g6_platform.2026-08-17.1.log');
    const lines = jsonLines(join(dir, 'g6_platform.2026-08-17.1.log'));
    const fileReady = lines.find((l) => l.msg === ready.msg);
    expect(fileReady).toMatchObject({ port: ready.port, url: ready.url, level: 30, name: 'g6' });
    // The last line, written as the process exits, reached the file: the worker was drained.
    expect(lines.at(-1)?.msg).toBe('stopped');
    expect(lines.some((l) => l.level === 20)).toBe(true);
    // The file holds what stdout holds, line for line.
    expect(lines.map((l) => l.msg)).toEqual(run.lines.map((l) => l.msg));
    const text = readFileSync(join(dir, 'g6_platform.2026-08-17.1.log'), 'utf8');
    for (const secret of Object.values(SECRETS)) {
      expect(text).not.toContain(secret);
      expect(JSON.stringify(run.lines)).not.toContain(secret);
    }
  });

  it('rolls to a new dated file at local midnight and keeps G6_LOG_RETENTION_DAYS days of files', async () => {
    const dir = join(root, 'rolling');
    mkdirSync(dir, { recursive: true });
    const earlier = ['2026-08-01', '2026-08-13', '2026-08-14', '2026-08-15', '2026-08-16'];
    for (const day of earlier) {
      writeFileSync(join(dir, `g6.${day}.1.log`), `{"msg":"from ${day}"}\n`);
    }
    writeFileSync(join(dir, 'other.2026-08-01.1.log'), 'not ours\n');
    const run = runCli(
      ['--mock', '--port', '0', '--debug'],
      {
        G6_HOST: '127.0.0.1',
        G6_DATA_DIR: join(root, 'rolling-data'),
        G6_COLLECTION_INTERVAL: '0.3',
        G6_LOG_FORMAT: 'json',
        G6_LOG_FILE: join(dir, 'g6.log'),
        G6_LOG_RETENTION_DAYS: '3',
      },
      // Six seconds before midnight in India (libfaketime: the wall clock runs on from here; timers do not).
      { fakeTime: new Date('2026-08-17T18:29:54Z'), timeZone: 'Asia/Kolkata' },
    );
    await run.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('G6 server ready'));
    // At start-up, files dated before the three days (the 15th to the 17th) are gone; others' files stay.
    // (The worker opens the day's file on its own time, maybe after the ready line.)
    const atStart = await waitForDirectory(
      dir,
      (names) => names.includes('g6.2026-08-17.1.log') && names.includes('current.log'),
    );
    expect(atStart).toEqual([
      'current.log',
      'g6.2026-08-15.1.log',
      'g6.2026-08-16.1.log',
      'g6.2026-08-17.1.log',
      'other.2026-08-01.1.log',
    ]);

    // Midnight: pino-roll opens the 18th's file and keeps three files of this name, the new one included.
    const afterMidnight = await waitForDirectory(
      dir,
      (names) =>
        names.includes('g6.2026-08-18.1.log') &&
        !names.includes('g6.2026-08-15.1.log') &&
        readFileSync(join(dir, 'g6.2026-08-18.1.log'), 'utf8').length > 0,
    );
    expect(afterMidnight).toEqual([
      'current.log',
      'g6.2026-08-16.1.log',
      'g6.2026-08-17.1.log',
      'g6.2026-08-18.1.log',
      'other.2026-08-01.1.log',
    ]);
    expect(readlinkSync(join(dir, 'current.log'))).toBe('g6.2026-08-18.1.log');
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);

    const before = jsonLines(join(dir, 'g6.2026-08-17.1.log'));
    const after = jsonLines(join(dir, 'g6.2026-08-18.1.log'));
    expect(before.some((l) => typeof l.msg === 'string' && l.msg.startsWith('G6 server ready'))).toBe(true);
    expect(after.at(-1)?.msg).toBe('stopped');
    // Split at midnight IST: the 17th's file holds the lines before it, the 18th's those after.
    const midnight = Date.parse('2026-08-17T18:30:00Z');
    // (A line logged within a moment of the switch may land on either side of it.)
    expect(before.every((l) => (l.time as number) < midnight + 1000)).toBe(true);
    expect(after.every((l) => (l.time as number) >= midnight - 1000)).toBe(true);
    // Nothing was lost at the switch: the two files together hold what stdout showed.
    expect([...before, ...after].map((l) => l.msg)).toEqual(run.lines.map((l) => l.msg));
    expect(existsSync(join(dir, 'other.2026-08-01.1.log'))).toBe(true);
  });
});
