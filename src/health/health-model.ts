import type { IndexCollectionStatus } from '../collectors/collection-loop.ts';
import type { IndexSymbol } from '../domain/indices.ts';
import type { ProviderHealth } from '../providers/market-data-provider.ts';
import type { SinkHealth } from '../sinks/snapshot-sink.ts';
import type { HealthStatus } from './alert-event.ts';

export type { HealthStatus } from './alert-event.ts';

/** One part of the service as an operator sees it. `reason` is null only when there is nothing to say. */
export interface ComponentAssessment {
  /** `provider`, `ticker`, `collector/<INDEX>`, `sink/<name>`, `redis`, `event-loop`, `disk`, `memory`. */
  readonly name: string;
  readonly status: HealthStatus;
  readonly reason: string | null;
}

export interface HealthThresholds {
  /** A collector's last good snapshot older than this while its market trades is DOWN. */
  readonly staleAfterMs: number;
  /** Per index, in place of staleAfterMs (indices collected at their own intervals). */
  readonly staleAfterMsByIndex?: ReadonlyMap<IndexSymbol, number>;
  /** Free space of the data directory's filesystem below this percentage is DEGRADED. */
  readonly diskMinFreePercent: number;
  /** Below this it is DOWN: writes are about to fail. */
  readonly diskDownFreePercent: number;
  /** Free space that lasts less than this at the current rate of decline is DEGRADED. */
  readonly diskMinRunwayMs: number;
  readonly eventLoopP99Ms: number;
  readonly maxRssBytes: number;
}

/** G6_HEALTH_DISK_MIN_FREE_PERCENT's default. */
export const DEFAULT_DISK_MIN_FREE_PERCENT = 5;
export const DISK_DOWN_FREE_PERCENT = 1;
export const DISK_MIN_RUNWAY_MS = 24 * 3_600_000;

export interface DiskReading {
  readonly freeBytes: number;
  readonly totalBytes: number;
  /** How fast free space falls, from samples over a long enough window; null until there are. */
  readonly fallBytesPerHour: number | null;
}

export interface HealthInputs {
  readonly nowMs: number;
  /** Null for a process that has no provider of its own to report (a replay). */
  readonly provider: ProviderHealth | null;
  readonly collectors: readonly IndexCollectionStatus[];
  /** When the collectors started: an index with no snapshot yet is only starting until staleAfterMs later. */
  readonly collectingSinceMs: number;
  readonly sinks: readonly { readonly name: string; readonly health: SinkHealth }[];
  /**
   * Null when no Redis is configured. Down while any of this process's connections is (rate limits, the
   * relay's), since the earliest of them; `downConnections` names them for the reason.
   */
  readonly redis: {
    readonly up: boolean;
    readonly downSinceMs: number | null;
    readonly downConnections: readonly string[];
  } | null;
  /** Null before the first sample window closes. */
  readonly eventLoopP99Ms: number | null;
  /** Null when the data directory cannot be measured (not created yet); `reason` says why. */
  readonly disk: DiskReading | { readonly error: string } | null;
  readonly rssBytes: number;
  /** Stopping: nothing is ready, whatever the parts say. */
  readonly draining: boolean;
  /** Whether any collected market is in session or pre-open; null when not known. */
  readonly marketOpen: boolean | null;
}

export interface HealthAssessment {
  /** The worst component's status. */
  readonly status: HealthStatus;
  /** Fit to take traffic: the provider can deliver, every index has current data, and not shutting down. */
  readonly ready: boolean;
  readonly components: readonly ComponentAssessment[];
  /** Why it is not ready (empty when ready). */
  readonly notReadyReasons: readonly string[];
}

const RANK: Record<HealthStatus, number> = { HEALTHY: 0, DEGRADED: 1, DOWN: 2 };

export function worstStatus(statuses: readonly HealthStatus[]): HealthStatus {
  return statuses.reduce<HealthStatus>((worst, s) => (RANK[s] > RANK[worst] ? s : worst), 'HEALTHY');
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

function mib(bytes: number): string {
  return `${Math.round(bytes / 1_048_576)} MiB`;
}

function gib(bytes: number): string {
  return `${(bytes / 1_073_741_824).toFixed(1)} GiB`;
}

/**
 * A provider that cannot deliver is DOWN while its market trades, but only DEGRADED while it is closed:
 * a Kite token dies at 06:00 IST every day, and a page at 06:00 on a Sunday helps nobody. It still has
 * to be fixed before the next session, so it warns, and /ready stays 503.
 */
function providerComponents(provider: ProviderHealth, marketOpen: boolean | null): ComponentAssessment[] {
  const parts: ComponentAssessment[] = [];
  const own = provider.problems.filter((p) => provider.ticker?.reason !== p);
  const closed = !provider.ready && marketOpen === false;
  parts.push({
    name: 'provider',
    status: !provider.ready && !closed ? 'DOWN' : own.length > 0 ? 'DEGRADED' : 'HEALTHY',
    reason:
      own.length > 0 ? `${own.join('; ')}${closed ? ' (market closed: needed before the next session)' : ''}` : null,
  });
  if (provider.ticker !== undefined) {
    parts.push({
      name: 'ticker',
      status: provider.ticker.up ? 'HEALTHY' : 'DEGRADED',
      reason: provider.ticker.reason,
    });
  }
  return parts;
}

/**
 * A collector is judged by its data, not its last attempt: one failed tick with a fresh snapshot is
 * DEGRADED, a snapshot older than the stale bound is DOWN. Resting outside market hours is HEALTHY,
 * since the session's close is the current data, so a closed market never pages anyone.
 */
function collectorComponent(
  status: IndexCollectionStatus,
  inputs: HealthInputs,
  thresholds: HealthThresholds,
): { component: ComponentAssessment; fresh: boolean } {
  const name = `collector/${status.index}`;
  const staleAfterMs = thresholds.staleAfterMsByIndex?.get(status.index) ?? thresholds.staleAfterMs;
  const lastError = status.lastError === null ? '' : ` (last error: ${status.lastError})`;
  if (status.resting) {
    const resumes = status.resumesAt === null ? '' : `; resumes at ${status.resumesAt.toISOString()}`;
    return { component: { name, status: 'HEALTHY', reason: `market closed${resumes}` }, fresh: true };
  }
  const freshSince = Math.max(status.lastSuccessAt?.getTime() ?? 0, status.resumedAt?.getTime() ?? 0);
  if (status.lastSuccessAt === null && status.resumedAt === null) {
    const waitedMs = inputs.nowMs - inputs.collectingSinceMs;
    if (waitedMs <= staleAfterMs) {
      const state = status.consecutiveFailures > 0 ? 'DEGRADED' : 'HEALTHY';
      return { component: { name, status: state, reason: `starting: no snapshot yet${lastError}` }, fresh: false };
    }
    return {
      component: { name, status: 'DOWN', reason: `no successful collection in ${seconds(waitedMs)}${lastError}` },
      fresh: false,
    };
  }
  const ageMs = inputs.nowMs - freshSince;
  if (ageMs > staleAfterMs) {
    return {
      component: {
        name,
        status: 'DOWN',
        reason: `last good snapshot ${seconds(ageMs)} ago, more than ${seconds(staleAfterMs)}${lastError}`,
      },
      fresh: false,
    };
  }
  if (status.consecutiveFailures > 0) {
    return {
      component: {
        name,
        status: 'DEGRADED',
        reason: `${status.consecutiveFailures} collection(s) failed in a row; last good snapshot ${seconds(ageMs)} ago${lastError}`,
      },
      fresh: true,
    };
  }
  return { component: { name, status: 'HEALTHY', reason: null }, fresh: true };
}

function diskComponent(disk: HealthInputs['disk'], thresholds: HealthThresholds): ComponentAssessment | null {
  if (disk === null) {
    return null;
  }
  if ('error' in disk) {
    return { name: 'disk', status: 'DOWN', reason: `data directory cannot be measured: ${disk.error}` };
  }
  const freePercent = disk.totalBytes > 0 ? (100 * disk.freeBytes) / disk.totalBytes : 0;
  const free = `${gib(disk.freeBytes)} free of ${gib(disk.totalBytes)} (${freePercent.toFixed(1)} %)`;
  if (freePercent < thresholds.diskDownFreePercent) {
    return { name: 'disk', status: 'DOWN', reason: `${free}: writes are about to fail` };
  }
  if (freePercent < thresholds.diskMinFreePercent) {
    return { name: 'disk', status: 'DEGRADED', reason: `${free}, below ${thresholds.diskMinFreePercent} %` };
  }
  if (disk.fallBytesPerHour !== null && disk.fallBytesPerHour > 0) {
    const runwayMs = (disk.freeBytes / disk.fallBytesPerHour) * 3_600_000;
    if (runwayMs < thresholds.diskMinRunwayMs) {
      return {
        name: 'disk',
        status: 'DEGRADED',
        reason: `${free}, falling ${mib(disk.fallBytesPerHour)}/h: full in about ${(runwayMs / 3_600_000).toFixed(1)} h`,
      };
    }
  }
  return { name: 'disk', status: 'HEALTHY', reason: free };
}

/** Pure: the state of every component and of the whole, from one reading of each. */
export function assessHealth(inputs: HealthInputs, thresholds: HealthThresholds): HealthAssessment {
  const components: ComponentAssessment[] = [];
  const notReady: string[] = [];
  if (inputs.draining) {
    notReady.push('shutting down');
  }
  if (inputs.provider !== null) {
    components.push(...providerComponents(inputs.provider, inputs.marketOpen));
    if (!inputs.provider.ready) {
      notReady.push(...inputs.provider.problems);
    }
  }
  for (const status of inputs.collectors) {
    const { component, fresh } = collectorComponent(status, inputs, thresholds);
    components.push(component);
    if (!fresh) {
      notReady.push(`${status.index}: ${component.reason}`);
    }
  }
  for (const sink of inputs.sinks) {
    // Down is storage behind, not data lost: the sink holds what it accepted, so it degrades, never unreadies.
    components.push({
      name: `sink/${sink.name}`,
      status: !sink.health.up ? 'DOWN' : sink.health.problems.length > 0 ? 'DEGRADED' : 'HEALTHY',
      reason: sink.health.problems.length > 0 ? sink.health.problems.join('; ') : null,
    });
  }
  if (inputs.redis !== null) {
    const { up, downSinceMs, downConnections } = inputs.redis;
    const since = downSinceMs === null ? '' : ` since ${new Date(downSinceMs).toISOString()}`;
    const which = downConnections.length === 0 ? '' : ` (connections down: ${downConnections.join(', ')})`;
    components.push({
      name: 'redis',
      status: up ? 'HEALTHY' : 'DOWN',
      reason: up ? null : `unreachable${since}; retrying${which}`,
    });
  }
  if (inputs.eventLoopP99Ms !== null) {
    const p99 = Math.round(inputs.eventLoopP99Ms);
    components.push({
      name: 'event-loop',
      status: inputs.eventLoopP99Ms > thresholds.eventLoopP99Ms ? 'DEGRADED' : 'HEALTHY',
      reason:
        inputs.eventLoopP99Ms > thresholds.eventLoopP99Ms
          ? `delay p99 ${p99} ms, above ${thresholds.eventLoopP99Ms} ms`
          : `delay p99 ${p99} ms`,
    });
  }
  const disk = diskComponent(inputs.disk, thresholds);
  if (disk !== null) {
    components.push(disk);
  }
  components.push({
    name: 'memory',
    status: inputs.rssBytes > thresholds.maxRssBytes ? 'DEGRADED' : 'HEALTHY',
    reason:
      inputs.rssBytes > thresholds.maxRssBytes
        ? `RSS ${mib(inputs.rssBytes)}, above ${mib(thresholds.maxRssBytes)}`
        : `RSS ${mib(inputs.rssBytes)}`,
  });
  return {
    status: worstStatus(components.map((c) => c.status)),
    ready: notReady.length === 0,
    components,
    notReadyReasons: notReady,
  };
}

/**
 * How fast free space falls, from (time, free bytes) samples oldest first: the decline between the oldest
 * sample within `windowMs` and the newest, per hour. Null until the samples span `minSpanMs`, so one
 * large file written at start does not read as a disk filling within the day.
 */
export function freeSpaceFallPerHour(
  samples: readonly { readonly atMs: number; readonly freeBytes: number }[],
  windowMs: number,
  minSpanMs: number,
): number | null {
  const newest = samples.at(-1);
  if (newest === undefined) {
    return null;
  }
  const oldest = samples.find((s) => newest.atMs - s.atMs <= windowMs);
  if (oldest === undefined || newest.atMs - oldest.atMs < minSpanMs) {
    return null;
  }
  return ((oldest.freeBytes - newest.freeBytes) / (newest.atMs - oldest.atMs)) * 3_600_000;
}
