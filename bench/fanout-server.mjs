/**
 * The G6 server for bench/subscription-fanout.mjs, run as a child process (fork) so its CPU and memory are
 * its own. Configuration comes from the environment the parent passes (G6_* variables, read by loadConfig
 * like `node dist/main.js`); G6_BENCH_DIST picks the built code (default ../dist). Over IPC it reports
 * {type: 'ready', port} once listening, answers {type: 'usage', gc?} with process.memoryUsage() and
 * process.cpuUsage() (after a full GC when gc is true and --expose-gc is on), and on {type: 'stop'} stops the app and exits 0 (so a --cpu-prof profile is written).
 */
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { startAppOf } from './start-app-of.mjs';

const distUrl = process.env.G6_BENCH_DIST
  ? pathToFileURL(`${process.env.G6_BENCH_DIST.replace(/\/+$/, '')}/`)
  : new URL('../dist/', import.meta.url);
const { loadConfig } = await import(new URL('config.js', distUrl));
const { createLogger } = await import(new URL('logger.js', distUrl));
const startApp = await startAppOf(distUrl);
// Milliseconds since this process started: module loading done, then listening (sent with `ready`).
const importedMs = performance.now();

const loaded = loadConfig(process.env, []);
if (loaded.kind !== 'config') {
  process.send?.({ type: 'error', message: JSON.stringify(loaded) });
  process.exit(2);
}
const app = await startApp(loaded.config, createLogger({ logLevel: 'silent', logFormat: 'json' }));

let stopping = false;
async function stop(code) {
  if (stopping) {
    return;
  }
  stopping = true;
  try {
    await app.stop();
  } finally {
    if (process.env.G6_BENCH_REMOVE_DATA_DIR === '1') {
      rmSync(loaded.config.dataDir, { recursive: true, force: true });
    }
    process.exit(code);
  }
}

process.on('message', (message) => {
  if (message?.type === 'usage') {
    // With --expose-gc (the parent passes it) a full collection first, so heapUsed is live data only.
    if (message.gc === true) {
      globalThis.gc?.();
    }
    process.send({ type: 'usage', memory: process.memoryUsage(), cpu: process.cpuUsage() });
  } else if (message?.type === 'stop') {
    void stop(0);
  }
});
// The parent went away (crash, Ctrl-C): never outlive it.
process.on('disconnect', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.send({ type: 'ready', port: app.port, pid: process.pid, importedMs, readyMs: performance.now() });
