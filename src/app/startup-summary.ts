import { resolve } from 'node:path';
import type { Config } from '../config.ts';
import { IST_OFFSET_MS } from '../domain/ist-time.ts';
import { describeLogFiles, resolveLogFileLayout } from '../logger.ts';
import type { ReplaySettings } from './start-app.ts';

export type SummaryConfig = Pick<
  Config,
  | 'host'
  | 'dataDir'
  | 'logLevel'
  | 'logFormat'
  | 'logFile'
  | 'logRetentionDays'
  | 'mockMode'
  | 'indices'
  | 'collectionIntervalMs'
  | 'collectionTimeoutMs'
  | 'maxWorkers'
  | 'csvEnabled'
  | 'csvCompress'
  | 'influx'
  | 'healthIntervalMs'
  | 'metricsEnabled'
  | 'kite'
  | 'role'
  | 'redis'
  | 'alertWebhooks'
>;

export interface StartupSummaryInput {
  readonly config: SummaryConfig;
  /** The port the server is bound to: with G6_PORT=0 it is known only once listening. */
  readonly port: number;
  readonly replay?: ReplaySettings | undefined;
  readonly version: string;
  readonly startedAt: Date;
  /** Relative data and log paths are shown resolved against this directory. */
  readonly cwd: string;
}

const RULE = '='.repeat(64);

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-12-02 21:55:41 IST`: the market's clock, whatever the machine's time zone. */
function istTimestamp(instant: Date): string {
  const t = new Date(instant.getTime() + IST_OFFSET_MS);
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} IST`;
}

/** A URL with any user name and password replaced: the summary is seen on screens and in recordings. */
function withoutCredentials(text: string): string {
  try {
    const url = new URL(text);
    if (url.password !== '') {
      url.password = '***';
    }
    return url.toString().replace(/\/$/, '');
  } catch {
    return '[unparsable URL]';
  }
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`;

function describeMode(config: SummaryConfig, replay: ReplaySettings | undefined): string {
  if (replay !== undefined) {
    return `replay of stored days ${replay.fromDay} to ${replay.toDay} at ${replay.speed}x`;
  }
  const role = config.role === 'ALL' ? '' : `, role ${config.role.toLowerCase()}`;
  if (config.role === 'API') {
    return `API replica: serves what the collector publishes through Redis${role}`;
  }
  if (config.mockMode) {
    return `simulated market (mock)${role}`;
  }
  return `live, Kite Connect (ticker ${config.kite.ticker ? 'on' : 'off'})${role}`;
}

/**
 * The banner printed on a terminal once the server listens: what runs, where it writes, and where to
 * reach it. Pure: the caller passes the real port, the start time and the working directory.
 */
export function formatStartupSummary(input: StartupSummaryInput): string[] {
  const { config, port, replay } = input;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  // A replay reads the store and an API replica relays: neither writes storage.
  const writes = replay === undefined && config.role !== 'API';
  const noWrites = replay !== undefined ? 'off (a replay writes nothing)' : 'off (the collector writes)';

  const csv = !writes
    ? noWrites
    : config.csvEnabled
      ? `on   ${resolve(input.cwd, config.dataDir, 'csv')}${config.csvCompress ? ' (closed days gzipped)' : ''}`
      : 'off';
  const influx = !writes
    ? noWrites
    : config.influx === null
      ? 'off'
      : `on   ${withoutCredentials(config.influx.url)} bucket ${config.influx.bucket}`;
  const logFile =
    config.logFile === null
      ? 'off (G6_LOG_FILE)'
      : `${describeLogFiles(resolveLogFileLayout(config.logFile, input.cwd))}, ${config.logRetentionDays} days kept`;
  const webhooks = config.alertWebhooks?.urls.length ?? 0;

  return [
    `G6 ${input.version}: options analytics for Indian index options`,
    RULE,
    `Started:     ${istTimestamp(input.startedAt)}`,
    `Mode:        ${describeMode(config, replay)}`,
    `Indices:     ${config.indices.join(', ')}`,
    `Interval:    ${seconds(config.collectionIntervalMs)} (timeout ${seconds(config.collectionTimeoutMs)})`,
    `Workers:     ${config.maxWorkers}`,
    '',
    'Storage',
    `  CSV:       ${csv}`,
    `  InfluxDB:  ${influx}`,
    `  Redis:     ${config.redis === null ? 'off' : `on   ${withoutCredentials(config.redis.url)} prefix ${config.redis.prefix}`}`,
    'Logs',
    `  stdout:    ${config.logFormat}, level ${config.logLevel}`,
    `  File:      ${logFile}`,
    'Monitoring',
    `  Health:    every ${seconds(config.healthIntervalMs)}`,
    `  Metrics:   ${config.metricsEnabled ? 'on' : 'off (G6_METRICS_ENABLED)'}`,
    `  Alerts:    log and alertRaised subscription${webhooks === 0 ? '' : `, ${webhooks} webhook${webhooks === 1 ? '' : 's'}`}`,
    'Endpoints',
    `  GraphiQL:  ${origin}/graphql`,
    `  Health:    ${origin}/health`,
    `  Ready:     ${origin}/ready`,
    ...(config.metricsEnabled ? [`  Metrics:   ${origin}/metrics`] : []),
    RULE,
  ];
}
