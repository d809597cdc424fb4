#!/usr/bin/env node
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import type { ReplaySettings, RunningApp } from './app/start-app.ts';
import { formatStartupSummary } from './app/startup-summary.ts';
import { readVersion } from './app/version.ts';
import { runKeygen } from './cli/keygen.ts';
import { createProgressFactory } from './cli/progress.ts';
import { parseReplayArgs, REPLAY_USAGE } from './cli/replay-args.ts';
import { loadConfig } from './config.ts';
import { StartAbortedError } from './lifecycle.ts';
import { createLogger, LogFileError } from './logger.ts';
import { DataDirLockedError } from './sinks/data-dir-lock.ts';

/** A URL with any password replaced, for logs. */
function redactUrl(text: string): string {
  const url = new URL(text);
  if (url.password !== '') {
    url.password = '[Redacted]';
  }
  return url.toString();
}

/** What `loadDotEnv` did: the file it read (null when there is none) and the names it set, never values. */
export type DotEnvResult =
  | { readonly ok: true; readonly path: string | null; readonly variables: readonly string[] }
  | { readonly ok: false; readonly path: string; readonly message: string };

/**
 * Loads `.env` from the working directory into process.env when there is one, with Node's own loader:
 * a variable already set in the environment keeps its value. Before any configuration is read, so every
 * command (the server, `g6 selftest`, `g6 login`, …) sees the same variables.
 */
export function loadDotEnv(cwd: string = process.cwd()): DotEnvResult {
  const path = resolve(cwd, '.env');
  const before = new Set(Object.keys(process.env));
  try {
    process.loadEnvFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { ok: true, path: null, variables: [] };
    }
    return { ok: false, path, message: (error as Error).message };
  }
  return {
    ok: true,
    path,
    variables: Object.keys(process.env)
      .filter((name) => !before.has(name))
      .sort(),
  };
}

/** CLI entry: parse config (exit 2 on bad values), run until SIGTERM/SIGINT, shut down cleanly. */
export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  dotEnv: DotEnvResult = { ok: true, path: null, variables: [] },
): Promise<void> {
  if (argv[0] === 'login') {
    // Each command loads only what it runs: `g6 --version` or `g6 top` need none of the server.
    const { runLogin } = await import('./cli/login.ts');
    process.exitCode = await runLogin(argv.slice(1), env, {
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
    });
    return;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    process.stdout.write(`g6 ${readVersion()}\n`);
    return;
  }
  if (argv[0] === 'selftest') {
    const { runSelftest } = await import('./cli/selftest.ts');
    process.exitCode = await runSelftest(argv.slice(1), env, { stdout: process.stdout, stderr: process.stderr });
    return;
  }
  if (argv[0] === 'top') {
    const { runTop } = await import('./cli/top.ts');
    process.exitCode = await runTop(argv.slice(1), env, {
      stdout: process.stdout,
      stderr: process.stderr,
      stdin: process.stdin,
    });
    return;
  }
  if (argv[0] === 'import') {
    const { runImport } = await import('./cli/import-g6-python.ts');
    process.exitCode = await runImport(argv.slice(1), env, { stdout: process.stdout, stderr: process.stderr });
    return;
  }
  if (argv[0] === 'compact') {
    const { runCompact } = await import('./cli/compact.ts');
    process.exitCode = await runCompact(argv.slice(1), env, { stdout: process.stdout, stderr: process.stderr });
    return;
  }
  if (argv[0] === 'profiles') {
    const { runProfiles } = await import('./cli/profiles.ts');
    process.exitCode = await runProfiles(argv.slice(1), env, { stdout: process.stdout, stderr: process.stderr });
    return;
  }
  if (argv[0] === 'keygen') {
    process.exitCode = runKeygen(argv.slice(1));
    return;
  }
  let replay: ReplaySettings | undefined;
  let configArgv = argv;
  if (argv[0] === 'replay') {
    const parsed = parseReplayArgs(argv.slice(1));
    if ('errors' in parsed) {
      process.stderr.write(
        `g6 replay: invalid arguments\n${parsed.errors.map((e) => `  ${e}\n`).join('')}${REPLAY_USAGE}`,
      );
      process.exitCode = 2;
      return;
    }
    replay = parsed.replay;
    configArgv = parsed.rest;
  }
  const result = loadConfig(env, configArgv, process.stdout.isTTY === true);
  if (result.kind === 'help') {
    process.stdout.write(result.text);
    return;
  }
  if (result.kind === 'invalid') {
    process.stderr.write(`g6: invalid configuration\n${result.errors.map((e) => `  ${e}\n`).join('')}`);
    process.exitCode = 2;
    return;
  }
  const { config } = result;
  let logger: Logger;
  try {
    logger = createLogger(config);
  } catch (error) {
    if (!(error instanceof LogFileError)) {
      throw error;
    }
    // Like a bad variable: G6_LOG_FILE names a place this process cannot write.
    process.stderr.write(`g6: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  let app: RunningApp | null = null;
  let onFatal: (error: Error) => void = (error) => {
    logger.fatal({ err: error }, 'fatal: exiting');
    logger.flush();
    process.exit(1);
  };
  // A crash is logged with its error, then the same bounded shutdown as a signal (exit 1).
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    onFatal(error);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection');
    onFatal(reason instanceof Error ? reason : new Error(String(reason)));
  });
  // A signal while starting (a Kite instruments download can take a while) undoes what started, instead
  // of Node's default of dying with the data-directory lock held.
  const startUp = new AbortController();
  const onStartUpSignal = (signal: NodeJS.Signals) => {
    if (startUp.signal.aborted) {
      logger.warn({ signal }, 'second signal: exiting now');
      logger.flush();
      process.exit(1);
    }
    logger.info({ signal }, 'signal during start-up: stopping what started');
    startUp.abort();
  };
  process.on('SIGTERM', onStartUpSignal);
  process.on('SIGINT', onStartUpSignal);
  try {
    const { startApp } = await import('./app/start-app.ts');
    app = await startApp(config, logger, {
      signal: startUp.signal,
      ...(replay === undefined ? {} : { replay }),
      onFatal: (error) => onFatal(error),
      progress: createProgressFactory({ stream: process.stderr, isTty: process.stderr.isTTY === true, logger }),
    });
  } catch (error) {
    if (error instanceof StartAbortedError) {
      // Asked to stop, and stopped: a part still starting was abandoned, so do not wait for it.
      logger.info({ during: error.message }, 'stopped during start-up');
      logger.flush();
      process.exit(0);
    }
    if (error instanceof DataDirLockedError) {
      // A usage error like a bad variable: the operator started a second writer on one directory.
      logger.fatal({ dataDir: error.dataDir, holder: error.holder }, error.message);
      process.stderr.write(`g6: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
    const message = inUse
      ? `start-up failed: port ${config.port} on ${config.host} is in use (G6_PORT / --port); nothing was collected`
      : 'start-up failed';
    logger.fatal({ err: error, unwound: (error as { unwound?: unknown }).unwound }, message);
    if (inUse) {
      process.stderr.write(`g6: ${message}\n`);
    }
    logger.flush();
    process.exitCode = 1;
    return;
  } finally {
    process.off('SIGTERM', onStartUpSignal);
    process.off('SIGINT', onStartUpSignal);
  }
  const running = app;
  const displayHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  logger.info(
    {
      url: `http://${displayHost}:${running.port}/graphql`,
      port: running.port,
      provider:
        replay !== undefined ? 'replay' : config.role === 'API' ? 'relay' : config.mockMode ? 'simulated' : 'kite',
      indices: config.indices,
      collectionIntervalSeconds: config.collectionIntervalMs / 1000,
      csv: config.csvEnabled ? resolve(config.dataDir, 'csv') : false,
      influx: config.influx === null ? false : config.influx.url,
      metrics: config.metricsEnabled,
      role: config.role.toLowerCase(),
      redis: config.redis === null ? false : redactUrl(config.redis.url),
      configFile: config.configFile === null ? false : resolve(config.configFile),
      // Names only: a .env usually holds secrets.
      envFile: dotEnv.ok && dotEnv.path !== null ? { path: dotEnv.path, variables: dotEnv.variables } : false,
    },
    `G6 server ready: GraphiQL at http://${displayHost}:${running.port}/graphql`,
  );
  if (process.stdout.isTTY === true) {
    const summary = formatStartupSummary({
      config,
      port: running.port,
      replay,
      version: readVersion(),
      startedAt: new Date(),
      cwd: process.cwd(),
    });
    process.stdout.write(`${summary.join('\n')}\n`);
  }

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals, exitCode = 0) => {
    if (stopping) {
      // A second signal: the operator does not want to wait.
      logger.warn({ signal, stopping: running.stopProgress() }, 'second signal: exiting now');
      logger.flush();
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'shutting down');
    const deadline = setTimeout(() => {
      const { current, remaining } = running.stopProgress();
      logger.error(
        { stopping: current, notStopped: remaining, timeoutMs: config.shutdownTimeoutMs },
        `shutdown did not finish within G6_SHUTDOWN_TIMEOUT (${config.shutdownTimeoutMs / 1000} s): still stopping ${current ?? 'nothing'}`,
      );
      logger.flush();
      process.exit(1);
    }, config.shutdownTimeoutMs);
    running
      .stop()
      .then(() => {
        logger.info('stopped');
        return exitCode;
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        return 1;
      })
      .then((code) => {
        clearTimeout(deadline);
        logger.flush();
        process.exit(Math.max(code, Number(process.exitCode ?? 0)));
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  onFatal = (error) => {
    if (stopping) {
      // Already on its way out: a second crash must not cut the drain short; the deadline still holds.
      logger.fatal({ err: error }, 'fatal while shutting down: carrying on with the shutdown');
      process.exitCode = 1;
      return;
    }
    logger.fatal({ err: error }, 'fatal: shutting down');
    shutdown('SIGTERM', 1);
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const dotEnv = loadDotEnv();
  if (dotEnv.ok) {
    await main(process.argv.slice(2), process.env, dotEnv);
  } else {
    // Like a bad variable: the operator's own file, unreadable. Its contents are never printed.
    process.stderr.write(`g6: cannot read ${dotEnv.path} (${dotEnv.message})\n`);
    process.exitCode = 2;
  }
}
