import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toIstCompactDate } from '../../src/domain/ist-time.ts';
import { runCli } from '../helpers/cli.ts';
import { CONTRACT_QUERY } from '../helpers/contract-query.ts';
import { postGraphQL, subscribe } from '../helpers/test-app.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'g6-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('g6 command line (dist/main.js)', () => {
  it('starts on the simulated market, serves changing values, writes CSV and stops cleanly on SIGTERM', async () => {
    const run = runCli(['--mock', '--port', '0'], {
      G6_HOST: '127.0.0.1',
      G6_DATA_DIR: dataDir,
      G6_COLLECTION_INTERVAL: '0.3',
      G6_LOG_FORMAT: 'json',
      KITE_ACCESS_TOKEN: 'tok_secret_value_123',
    });
    const ready = await run.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('G6 server ready'));
    const httpUrl = `http://127.0.0.1:${ready.port as number}`;
    expect(ready.url).toBe(`http://127.0.0.1:${ready.port}/graphql`);

    const ws = subscribe<{ overviewUpdated: { seq: number } }>(
      `ws://127.0.0.1:${ready.port}/graphql`,
      'subscription { overviewUpdated(index: NIFTY) { seq } }',
    );
    await ws.next();
    const before = await postGraphQL(httpUrl, CONTRACT_QUERY);
    await ws.next();
    await ws.next();
    await ws.close();
    const after = await postGraphQL(httpUrl, CONTRACT_QUERY);
    expect(before.errors).toBeUndefined();
    const overviewBefore = before.data!.overview as Record<string, unknown>;
    const overviewAfter = after.data!.overview as Record<string, unknown>;
    for (const value of Object.values(overviewBefore)) {
      expect(value).not.toBeNull();
    }
    expect(overviewAfter.timestamp).not.toBe(overviewBefore.timestamp);
    expect(overviewAfter.spot).not.toBe(overviewBefore.spot);
    const strikes = (before.data!.optionChain as { strikes: Array<{ call: Record<string, unknown> }> }).strikes;
    expect(strikes).toHaveLength(11);
    expect(strikes.every((s) => Object.values(s.call).every((v) => v !== null))).toBe(true);

    const day = toIstCompactDate(new Date(overviewAfter.timestamp as string));
    expect(existsSync(join(dataDir, 'csv', 'NIFTY', day, 'options.csv'))).toBe(true);
    expect(existsSync(join(dataDir, 'csv', 'SENSEX', day, 'overview.csv'))).toBe(true);

    run.child.kill('SIGTERM');
    const exit = await run.exited;
    expect(exit.code).toBe(0);
    expect(run.lines.some((l) => l.msg === 'stopped')).toBe(true);
    expect(JSON.stringify(run.lines)).not.toContain('tok_secret_value_123');
  });

  it('exits with status 2 and names the variable when configuration is invalid', async () => {
    const run = runCli([], { G6_COLLECTION_INTERVAL: 'fast', G6_INDICES: 'NIFTY,NASDAQ' });
    const exit = await run.exited;
    expect(exit.code).toBe(2);
    expect(exit.stderr).toContain('G6_COLLECTION_INTERVAL="fast": expected seconds');
    expect(exit.stderr).toContain('G6_INDICES="NIFTY,NASDAQ"');
  });

  it('runs as ./dist/main.js (shebang) and prints its version', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const out = execFileSync('./dist/main.js', ['--version'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(out.trim()).toBe(`g6 ${version}`);
  });

  it('exits 1 naming the port when it is in use, having collected and written nothing', async () => {
    const blocker = createNetServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), 'g6-cli-port-'));
    try {
      const run = runCli(['--mock', '--port', String(port)], {
        G6_HOST: '127.0.0.1',
        G6_DATA_DIR: dir,
        G6_COLLECTION_INTERVAL: '0.05',
        G6_LOG_FORMAT: 'json',
      });
      const exit = await run.exited;
      expect(exit.code).toBe(1);
      expect(exit.stderr).toContain(`port ${port} on 127.0.0.1 is in use`);
      expect(existsSync(join(dir, 'csv'))).toBe(false);
      // The lock taken at start was released on the way out.
      expect(existsSync(join(dir, '.g6.lock'))).toBe(false);
    } finally {
      blocker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints usage for --help and exits 0', async () => {
    const run = runCli(['--help'], {});
    const exit = await run.exited;
    expect(exit.code).toBe(0);
    expect(run.lines.map((l) => l.msg).join('\n')).toContain('--port <n>');
  });
});
