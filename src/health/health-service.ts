import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AlertEvent } from './alert-event.ts';
import type { AlertPolicy } from './alert-manager.ts';
import type { AlertWebhooks } from './alert-webhooks.ts';
import { type DiskSpace, readDiskSpace } from './disk-space.ts';
import { createHealthRecorder, type HealthFeed } from './health-feed.ts';
import { type HealthMetrics, registerHealthMetrics } from './health-metrics.ts';
import {
  assessHealth,
  type DiskReading,
  freeSpaceFallPerHour,
  type HealthInputs,
  type HealthThresholds,
} from './health-model.ts';
import type { HealthView } from './health-tracker.ts';

/** What the composition reads from the running parts on every check; the service samples the rest. */
export type PartInputs = Pick<
  HealthInputs,
  'provider' | 'collectors' | 'collectingSinceMs' | 'sinks' | 'redis' | 'draining' | 'marketOpen'
>;

export interface HealthServiceOptions {
  readonly parts: () => PartInputs;
  readonly thresholds: HealthThresholds;
  readonly alertPolicy: AlertPolicy;
  /** The directory whose filesystem is watched; null when this process writes nothing there. */
  readonly dataDir: string | null;
  readonly now: () => Date;
  readonly logger: Logger;
  readonly registry: Registry | null;
  /** Where alerts are POSTed; null without G6_ALERT_WEBHOOK_URLS. */
  readonly webhooks: AlertWebhooks | null;
  readonly webhookCount?: number;
  /** G6_HEALTH_INTERVAL: a summary line in the log this often, whatever changed. */
  readonly summaryIntervalMs: number;
  /** How often components are read (changes and alerts are found at this pace). @default 1000 */
  readonly checkIntervalMs?: number;
  /** Replaceable samplers and their pace, for tests that fill a disk or stall a loop without doing either. */
  readonly samplers?: HealthSamplers;
}

export interface HealthSamplers {
  readonly diskSpace?: (dir: string) => Promise<DiskSpace>;
  /** @default 10000 */
  readonly diskSampleIntervalMs?: number;
  readonly eventLoopP99Ms?: () => number | null;
  /** The event-loop delay p99 is of this window. @default 5000 */
  readonly eventLoopWindowMs?: number;
  readonly rssBytes?: () => number;
}

export interface HealthService {
  /** Takes the first disk sample and starts the timers. */
  start(): Promise<void>;
  stop(): void;
  /** Reads every component now, records what changed and raises its alerts; also what /ready calls. */
  check(): HealthView;
  readonly feed: HealthFeed;
  /** Feeds the webhook counters (`webhook` is the URL's index). */
  readonly webhookEvents: Pick<HealthMetrics, 'webhookEvent'>;
}

const DISK_WINDOW_MS = 3_600_000;
const DISK_MIN_SPAN_MS = 10 * 60_000;

/**
 * Reads the health of every part once a second (the parts are cheap to ask), keeps since-when and history,
 * raises alerts to the log, the `alertRaised` stream and the webhooks, and a summary every
 * G6_HEALTH_INTERVAL. Samples what no part reports: event-loop delay, the data directory's free space
 * and its rate of decline, and RSS.
 */
export function createHealthService(options: HealthServiceOptions): HealthService {
  const checkIntervalMs = options.checkIntervalMs ?? 1_000;
  const diskSampleIntervalMs = options.samplers?.diskSampleIntervalMs ?? 10_000;
  const eventLoopWindowMs = options.samplers?.eventLoopWindowMs ?? 5_000;
  const logger = options.logger;
  let metrics: HealthMetrics | null = null;
  const recorder = createHealthRecorder({
    alertPolicy: options.alertPolicy,
    onAlertSubscriberDropped: () => metrics?.alertSubscriberDropped(),
  });
  if (options.registry !== null) {
    metrics = registerHealthMetrics(options.registry, recorder, options.webhookCount ?? 0);
  }

  const histogram = monitorEventLoopDelay({ resolution: 10 });
  let eventLoopP99Ms: number | null = null;
  const readEventLoop = options.samplers?.eventLoopP99Ms ?? (() => eventLoopP99Ms);
  const rssBytes = options.samplers?.rssBytes ?? (() => process.memoryUsage.rss());
  const diskSpace = options.samplers?.diskSpace ?? readDiskSpace;
  const diskSamples: { atMs: number; freeBytes: number }[] = [];
  let disk: DiskReading | { error: string } | null = null;
  let sampling = false;

  const sampleDisk = async () => {
    if (options.dataDir === null) {
      return;
    }
    try {
      const space = await diskSpace(options.dataDir);
      const atMs = options.now().getTime();
      diskSamples.push({ atMs, freeBytes: space.freeBytes });
      while (diskSamples.length > 0 && atMs - (diskSamples[0]?.atMs ?? atMs) > DISK_WINDOW_MS) {
        diskSamples.shift();
      }
      disk = { ...space, fallBytesPerHour: freeSpaceFallPerHour(diskSamples, DISK_WINDOW_MS, DISK_MIN_SPAN_MS) };
      metrics?.diskMeasured(space.freeBytes, space.totalBytes);
    } catch (error) {
      disk = { error: (error as Error).message };
    }
  };

  const logAlert = (event: AlertEvent) => {
    // `subject`, not `component`: the child logger's own `component` is 'health'.
    const fields = { alert: event.id, subject: event.component, severity: event.severity, reason: event.reason };
    if (event.state === 'RESOLVED') {
      logger.info(fields, `alert resolved: ${event.component}`);
    } else if (event.severity === 'CRITICAL') {
      logger.error(fields, `alert firing: ${event.component} is ${event.status}: ${event.reason}`);
    } else {
      logger.warn(fields, `alert firing: ${event.component} is ${event.status}: ${event.reason}`);
    }
  };

  const check = (): HealthView => {
    const at = options.now();
    const assessment = assessHealth(
      { ...options.parts(), nowMs: at.getTime(), eventLoopP99Ms: readEventLoop(), disk, rssBytes: rssBytes() },
      options.thresholds,
    );
    const { changes, alerts } = recorder.record(assessment, at);
    for (const change of changes) {
      logger.info(
        { subject: change.component, from: change.from, to: change.to, reason: change.reason },
        `health: ${change.component} ${change.from ?? 'new'} → ${change.to}`,
      );
    }
    for (const event of alerts) {
      logAlert(event);
      options.webhooks?.send(event);
    }
    return recorder.current();
  };

  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, run: () => void) => {
    const timer = setInterval(run, ms);
    timer.unref();
    timers.push(timer);
  };

  return {
    async start() {
      if (timers.length > 0) {
        return;
      }
      histogram.enable();
      await sampleDisk();
      check();
      let lastFailure: string | null = null;
      every(checkIntervalMs, () => {
        // A part whose health() throws must not take the process down from a timer; said once per message.
        try {
          check();
          lastFailure = null;
        } catch (error) {
          const message = (error as Error).message;
          if (message !== lastFailure) {
            lastFailure = message;
            logger.error({ err: error }, 'health check failed');
          }
        }
      });
      every(diskSampleIntervalMs, () => {
        // One statfs at a time: a hung NFS mount must not pile them up.
        if (!sampling) {
          sampling = true;
          void sampleDisk().finally(() => {
            sampling = false;
          });
        }
      });
      every(eventLoopWindowMs, () => {
        eventLoopP99Ms = histogram.percentile(99) / 1e6;
        histogram.reset();
      });
      every(options.summaryIntervalMs, () => {
        const view = recorder.current();
        logger.info(
          {
            status: view.status,
            ready: view.ready,
            unhealthy: view.components
              .filter((c) => c.status !== 'HEALTHY')
              .map((c) => `${c.name} ${c.status}: ${c.reason}`),
            firing: recorder.firingAlerts().length,
          },
          'health',
        );
      });
    },
    stop() {
      for (const timer of timers.splice(0)) {
        clearInterval(timer);
      }
      histogram.disable();
      recorder.close();
    },
    check,
    // A query reads the parts now, as /ready does, not the last timed reading.
    feed: { ...recorder, current: () => check() },
    webhookEvents: { webhookEvent: (webhook, outcome) => metrics?.webhookEvent(webhook, outcome) },
  };
}
