import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'g6-crash-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const PRELOAD = resolve('test/fixtures/crash-on-signal.mjs');

describe('a crash', () => {
  for (const [kind, message, logged] of [
    ['exception', 'test exception from a callback', 'uncaught exception'],
    ['rejection', 'test rejection nobody handles', 'unhandled promise rejection'],
  ] as const) {
    it(`is logged at fatal with the error, then shut down in order, exit 1 (${kind})`, async () => {
      const run = runCli(['--mock', '--port', '0', '--debug'], {
        G6_HOST: '127.0.0.1',
        G6_DATA_DIR: join(dataDir, kind),
        G6_INDICES: 'NIFTY',
        G6_COLLECTION_INTERVAL: '0.25',
        G6_LOG_FORMAT: 'json',
        G6_TEST_CRASH: kind,
        NODE_OPTIONS: `--import=${PRELOAD}`,
      });
      await run.waitForLog((l) => l.msg === 'collected');
      run.child.kill('SIGUSR2');
      const exit = await run.exited;
      expect(exit.code).toBe(1);
      const fatal = run.lines.find((l) => l.msg === logged);
      expect(fatal).toMatchObject({ level: 60, err: { message } });
      expect(String((fatal?.err as { stack?: string }).stack)).toContain('crash-on-signal.mjs');
      // The bounded shutdown ran: parts stopped in order, nothing left hanging until the deadline.
      const order = run.lines.map((l) => l.msg);
      expect(order).toContain('fatal: shutting down');
      expect(order).toContain('stopped');
      expect(order).not.toContain('shutdown did not finish within G6_SHUTDOWN_TIMEOUT');
    });
  }
});
