import { hostname } from 'node:os';
import type { IndexSymbol } from '../domain/indices.ts';
import { type AlertWebhooks, createAlertWebhooks } from '../health/alert-webhooks.ts';
import { DISK_DOWN_FREE_PERCENT, DISK_MIN_RUNWAY_MS } from '../health/health-model.ts';
import {
  createHealthService,
  type HealthSamplers,
  type HealthService,
  type PartInputs,
} from '../health/health-service.ts';
import { type HealthReport, readinessReport } from '../health/readiness.ts';
import type { AppCore } from './app-core.ts';

export interface HealthAssemblyOptions extends Pick<AppCore, 'config' | 'now' | 'logger' | 'registry'> {
  /** Read on every check, from the running parts. */
  readonly parts: () => PartInputs;
  readonly staleAfterMs: number;
  readonly staleAfterMsByIndex: ReadonlyMap<IndexSymbol, number>;
  /** The data directory whose space is watched; null when this process writes none (an API replica, a replay). */
  readonly dataDir: string | null;
  /** Any collected market in session or pre-open; null when the calendar cannot say. */
  readonly marketOpen: () => boolean | null;
  /** The port bound, once it is: alerts name the instance by it (the configured one may be 0). */
  readonly boundPort: () => number | null;
  readonly samplers?: HealthSamplers;
}

export interface HealthAssembly {
  readonly service: HealthService;
  /** Null without G6_ALERT_WEBHOOK_URLS. */
  readonly webhooks: AlertWebhooks | null;
  /** What /ready answers: the health verdict, read now. */
  readiness(): HealthReport;
}

/** The health service over this process's parts, its alerts POSTed to the configured webhooks. */
export function createHealthAssembly(options: HealthAssemblyOptions): HealthAssembly {
  const { config, now } = options;
  const logger = options.logger.child({ component: 'health' });
  const webhooks =
    config.alertWebhooks === null
      ? null
      : createAlertWebhooks({
          urls: config.alertWebhooks.urls,
          secret: config.alertWebhooks.secret,
          instance: () => `${hostname()}:${options.boundPort() ?? config.port}`,
          logger,
          timeoutMs: config.alertWebhooks.timeoutMs,
          maxBackoffMs: config.alertWebhooks.maxBackoffMs,
          maxAttempts: config.alertWebhooks.maxAttempts,
          maxQueue: config.alertWebhooks.maxQueue,
          now,
          // The service counts deliveries; it exists by the time any is made.
          onDelivered: (webhook) => service.webhookEvents.webhookEvent(webhook, 'delivered'),
          onRetry: (webhook) => service.webhookEvents.webhookEvent(webhook, 'retried'),
          onGivenUp: (webhook) => service.webhookEvents.webhookEvent(webhook, 'given_up'),
          onDropped: (webhook) => service.webhookEvents.webhookEvent(webhook, 'dropped'),
        });
  const service = createHealthService({
    parts: options.parts,
    thresholds: {
      staleAfterMs: options.staleAfterMs,
      staleAfterMsByIndex: options.staleAfterMsByIndex,
      diskMinFreePercent: config.health.diskMinFreePercent,
      diskDownFreePercent: Math.min(DISK_DOWN_FREE_PERCENT, config.health.diskMinFreePercent),
      diskMinRunwayMs: DISK_MIN_RUNWAY_MS,
      eventLoopP99Ms: config.health.eventLoopP99Ms,
      maxRssBytes: config.health.maxRssBytes,
    },
    alertPolicy: { forMs: config.health.alertForMs, keepFiringForMs: config.health.keepFiringForMs },
    dataDir: options.dataDir,
    now,
    logger,
    registry: options.registry,
    webhooks,
    webhookCount: config.alertWebhooks?.urls.length ?? 0,
    summaryIntervalMs: config.healthIntervalMs,
    ...(options.samplers === undefined ? {} : { samplers: options.samplers }),
  });
  return {
    service,
    webhooks,
    readiness: () => readinessReport(service.check(), options.marketOpen()),
  };
}
