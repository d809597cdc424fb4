import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SharedOutcome } from './shared-http-answers.ts';

export type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown';

export interface ServerMetrics {
  wsConnectionsChanged(delta: 1 | -1): void;
  shed(): void;
  slowConsumerClosed(): void;
  sharedAnswer(outcome: SharedOutcome): void;
  subscriptionEventSkipped(): void;
  subscriptionEventsSent(count: number): void;
  fanOut(waitedMs: number, writingMs: number): void;
  /** One GraphQL result (HTTP answer or subscription start), with the error codes it carried. */
  operationDone(
    name: string | null,
    type: OperationType,
    durationMs: number | null,
    errorCodes: readonly string[],
  ): void;
}

/** At most this many distinct operation names are labelled; the rest count as `other`. */
export const MAX_OPERATION_LABELS = 100;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * Clients choose operation names and error codes could be anything a resolver throws, so both are
 * bounded before they become label values: a client sending random names cannot grow the series.
 */
export function createLabelBound(max: number, pattern: RegExp): (value: string | null) => string {
  const seen = new Set<string>();
  return (value) => {
    if (value === null || value === '') {
      return 'anonymous';
    }
    if (seen.has(value)) {
      return value;
    }
    if (seen.size >= max || !pattern.test(value)) {
      return 'other';
    }
    seen.add(value);
    return value;
  };
}

/** The API server's metrics, registered into `registry`. */
export function registerServerMetrics(
  registry: Registry,
  sources: { groupCount(): number; memberCount(): number },
): ServerMetrics {
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  const wsConnections = new Gauge({
    name: 'g6_graphql_ws_connections',
    help: 'Open GraphQL WebSocket connections',
    registers: [registry],
  });
  new Gauge({
    name: 'g6_ws_subscription_groups',
    help: 'Distinct subscription operations (document, variables, operation name) being served: each event is executed and serialised once per group',
    registers: [registry],
    collect() {
      this.set(sources.groupCount());
    },
  });
  new Gauge({
    name: 'g6_ws_subscription_group_members',
    help: 'WebSocket subscriptions served by the groups',
    registers: [registry],
    collect() {
      this.set(sources.memberCount());
    },
  });
  const fanOut = new Histogram({
    name: 'g6_ws_fanout_seconds',
    help: 'Per event and subscription group: waiting for collection to finish (phase=waiting), then from the first socket write to the last (phase=writing)',
    labelNames: ['phase'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const shed = counter(
    'g6_http_requests_shed_total',
    'GraphQL HTTP requests answered 503 at once because G6_MAX_IN_FLIGHT were in flight',
  );
  const slowConsumers = counter(
    'g6_ws_slow_consumers_closed_total',
    'WebSockets closed (1013) because unsent data stayed above G6_WS_MAX_BUFFERED_BYTES',
  );
  const sharedAnswers = counter(
    'g6_http_shared_answers_total',
    'GraphQL HTTP requests on the answer-sharing path: hit (served a shared answer), miss (executed and shared), not_modified (304), unshareable (executed, an answer with errors or a refusal)',
    ['outcome'] as const,
  );
  const skipped = counter(
    'g6_ws_events_skipped_total',
    'Subscription events a WebSocket subscriber skipped: it had not taken the previous one when a newer one came (a slow reader gets the newest)',
  );
  const sent = counter('g6_ws_events_sent_total', 'Subscription events written to WebSocket subscribers');
  const operations = counter(
    'g6_graphql_operations_total',
    'GraphQL results by operation name (bounded: anonymous, other), type and outcome (ok, error); shared HTTP answers served without executing are in g6_http_shared_answers_total',
    ['operation', 'type', 'outcome'] as const,
  );
  const durations = new Histogram({
    name: 'g6_graphql_operation_duration_seconds',
    help: 'Execution time of GraphQL queries and mutations (a subscription: its start) by operation name and type',
    labelNames: ['operation', 'type'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const errors = counter(
    'g6_graphql_errors_total',
    'GraphQL errors by operation name and extensions.code (bounded: other)',
    ['operation', 'code'] as const,
  );
  const operationLabel = createLabelBound(MAX_OPERATION_LABELS, OPERATION_NAME);
  const codeLabel = createLabelBound(50, ERROR_CODE);
  for (const outcome of ['hit', 'miss', 'not_modified', 'unshareable'] as const) {
    sharedAnswers.inc({ outcome }, 0);
  }
  return {
    wsConnectionsChanged: (delta) => wsConnections.inc(delta),
    shed: () => shed.inc(),
    slowConsumerClosed: () => slowConsumers.inc(),
    sharedAnswer: (outcome) => sharedAnswers.inc({ outcome }),
    subscriptionEventSkipped: () => skipped.inc(),
    subscriptionEventsSent: (count) => sent.inc(count),
    fanOut(waitedMs, writingMs) {
      fanOut.observe({ phase: 'waiting' }, waitedMs / 1000);
      fanOut.observe({ phase: 'writing' }, writingMs / 1000);
    },
    operationDone(name, type, durationMs, errorCodes) {
      const operation = operationLabel(name);
      operations.inc({ operation, type, outcome: errorCodes.length === 0 ? 'ok' : 'error' });
      if (durationMs !== null) {
        durations.observe({ operation, type }, durationMs / 1000);
      }
      for (const code of errorCodes) {
        errors.inc({ operation, code: codeLabel(code) });
      }
    },
  };
}
