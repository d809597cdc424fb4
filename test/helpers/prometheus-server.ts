import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { TEST_RUN_VARIABLE } from './leftovers.ts';
import { freePort } from './victoria-metrics.ts';

/** One series of an instant query's answer. */
export interface InstantSample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

export interface PrometheusTarget {
  readonly scrapeUrl: string;
  readonly health: 'up' | 'down' | 'unknown';
  readonly lastError: string;
}

export interface PrometheusRule {
  readonly name: string;
  readonly type: 'alerting' | 'recording';
  readonly query: string;
  /** `for:` in seconds (alerting rules). */
  readonly duration?: number;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly health: 'ok' | 'err' | 'unknown';
  readonly lastError?: string;
  readonly lastEvaluation: string;
}

export interface PrometheusServer {
  readonly url: string;
  /** The config it runs (the generated prometheus.yml), for `promtool check config`. */
  readonly configFile: string;
  /** Evaluates `expr` now (`/api/v1/query`); a bad expression rejects with Prometheus' error. */
  query(expr: string): Promise<InstantSample[]>;
  /** The values of one label (`/api/v1/label/<name>/values`), among series matching `match` if given. */
  labelValues(name: string, match?: string): Promise<string[]>;
  /** The active targets as Prometheus last scraped them. */
  targets(): Promise<PrometheusTarget[]>;
  /** Every rule of the loaded rule files, with its last evaluation's health. */
  rules(): Promise<PrometheusRule[]>;
  /** Resolves once every target has been scraped successfully; rejects after `timeoutMs`. */
  waitForTargetsUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** `host:port` of each endpoint serving `/metrics`, all in one job. */
  readonly targets: readonly string[];
  /** Rule files to load (absolute paths). */
  readonly ruleFiles?: readonly string[];
  /** The job label of the targets; `g6` as in deploy/prometheus/prometheus.yml. */
  readonly jobName?: string;
}

const POLL_MS = 100;

async function api<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  const body = (await response.json()) as { status: string; data: T; error?: string; errorType?: string };
  if (body.status !== 'success') {
    throw new Error(`${url}: ${body.errorType ?? response.status}: ${body.error ?? ''}`);
  }
  return body.data;
}

/**
 * Debian's prometheus on a free loopback port with a temporary TSDB, scraping `targets` and evaluating
 * rules every second. Ready when it logs so (and `/-/ready` agrees). Prometheus pushes nothing, so the
 * waits poll its HTTP API, bounded by a deadline.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'g6-prometheus-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const configFile = join(dir, 'prometheus.yml');
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: [
      {
        job_name: options.jobName ?? 'g6',
        metrics_path: '/metrics',
        static_configs: [{ targets: options.targets }],
      },
    ],
  };
  // JSON is YAML: no YAML writer needed.
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);

  const proc: ChildProcess = spawn(
    '/usr/bin/prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1d',
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH ?? '', [TEST_RUN_VARIABLE]: process.env[TEST_RUN_VARIABLE] ?? '' },
    },
  );
  let output = '';
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      await new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGKILL');
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Server is ready to receive web requests.')) {
          proc.stderr?.off('data', onData);
          proc.stderr?.resume();
          resolve();
        }
      };
      proc.stderr?.on('data', onData);
      proc.once('error', (error) =>
        reject(new Error(`prometheus could not start (apt-get install prometheus): ${error.message}`)),
      );
      proc.once('exit', (code) => reject(new Error(`prometheus exited with ${code} before ready:\n${output}`)));
    });
    const ready = await fetch(`${url}/-/ready`);
    if (ready.status !== 200) {
      throw new Error(`prometheus logged ready but /-/ready answers ${ready.status}`);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  const targets = async () => {
    const data = await api<{ activeTargets: PrometheusTarget[] }>(`${url}/api/v1/targets?state=active`);
    return data.activeTargets;
  };
  return {
    url,
    configFile,
    async query(expr) {
      const data = await api<{
        resultType: string;
        result: Array<{ metric: Record<string, string>; value: [number, string] }>;
      }>(`${url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: expr }) });
      if (data.resultType === 'scalar') {
        const [, value] = data.result as unknown as [number, string];
        return [{ metric: {}, value: Number(value) }];
      }
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async labelValues(name, match) {
      const query = match === undefined ? '' : `?${new URLSearchParams({ 'match[]': match })}`;
      return api<string[]>(`${url}/api/v1/label/${encodeURIComponent(name)}/values${query}`);
    },
    targets,
    async rules() {
      const data = await api<{ groups: Array<{ rules: PrometheusRule[] }> }>(`${url}/api/v1/rules`);
      return data.groups.flatMap((g) => g.rules);
    },
    async waitForTargetsUp(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const active = await targets();
        if (active.length === options.targets.length && active.every((t) => t.health === 'up')) {
          return;
        }
        if (Date.now() > deadline) {
          throw new Error(`targets not all up after ${timeoutMs} ms: ${JSON.stringify(active)}`);
        }
        await delay(POLL_MS);
      }
    },
    stop,
  };
}
