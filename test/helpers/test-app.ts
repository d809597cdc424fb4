import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createClient } from 'graphql-ws';
import { WebSocket } from 'ws';
import { type RunningApp, type StartOptions, startApp } from '../../src/app/start-app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';

/**
 * Where a test app's clock starts unless the test picks another: 10:30 IST on Wednesday 2 Dec 2026, a
 * trading day with no expiry. The suite never reads the wall clock's date or hour.
 */
export const TEST_APP_START = '2026-12-02T05:00:00.000Z';

/** A clock that starts at `startIso` and runs at real speed (timers and waits behave as usual). */
export function clockFrom(startIso: string): () => Date {
  const startMs = Date.parse(startIso);
  const origin = performance.now();
  return () => new Date(startMs + (performance.now() - origin));
}

export interface TestApp {
  readonly app: RunningApp;
  /** The app's clock (TEST_APP_START onwards unless the test passed its own `now`). */
  readonly now: () => Date;
  readonly httpUrl: string;
  readonly wsUrl: string;
  readonly dataDir: string;
  readonly logLines: string[];
  /** Resolves with the first log line (parsed) matching `predicate`, already written or yet to come. */
  waitForLog(predicate: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** The real app (simulated market, CSV, server) on a free loopback port with a temporary data dir. */
export async function startTestApp(env: Record<string, string> = {}, options: StartOptions = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'g6-test-'));
  const result = loadConfig(
    { G6_HOST: '127.0.0.1', G6_PORT: '0', G6_DATA_DIR: dataDir, G6_COLLECTION_INTERVAL: '0.2', ...env },
    [],
  );
  if (result.kind !== 'config') {
    throw new Error(`bad test config: ${JSON.stringify(result)}`);
  }
  const logLines: string[] = [];
  const logEvents = new EventEmitter();
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        logLines.push(line);
        logEvents.emit('line', line);
      }
      done();
    },
  });
  const waitForLog = (predicate: (line: Record<string, unknown>) => boolean) => {
    const matches = (text: string) => predicate(JSON.parse(text) as Record<string, unknown>);
    const seen = logLines.find(matches);
    if (seen !== undefined) {
      return Promise.resolve(JSON.parse(seen) as Record<string, unknown>);
    }
    return new Promise<Record<string, unknown>>((resolve) => {
      const onLine = (text: string) => {
        if (matches(text)) {
          logEvents.off('line', onLine);
          resolve(JSON.parse(text) as Record<string, unknown>);
        }
      };
      logEvents.on('line', onLine);
    });
  };
  const now = options.now ?? clockFrom(TEST_APP_START);
  const app = await startApp(result.config, createLogger({ logLevel: 'debug', logFormat: 'json' }, sink), {
    ...options,
    now,
  });
  return {
    app,
    now,
    httpUrl: `http://127.0.0.1:${app.port}`,
    wsUrl: `ws://127.0.0.1:${app.port}/graphql`,
    dataDir,
    logLines,
    waitForLog,
    async stop() {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function postGraphQL(
  httpUrl: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<{
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}> {
  const response = await fetch(`${httpUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as never;
}

/** A graphql-ws subscription whose events can be awaited one by one. */
export function subscribe<T = Record<string, unknown>>(wsUrl: string, query: string) {
  const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
  const iterator = client.iterate<T>({ query });
  return {
    async next(): Promise<{
      data?: T | null;
      errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>;
    }> {
      const result = await iterator.next();
      if (result.done) {
        throw new Error('subscription ended');
      }
      return result.value as never;
    },
    async close() {
      await iterator.return?.();
      await client.dispose();
    },
  };
}
