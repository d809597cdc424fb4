import type { AlertEvent } from '../health/alert-event.ts';
import {
  type ComponentHealth,
  DEFAULT_HISTORY_LIMIT,
  type HealthChange,
  type HealthView,
} from '../health/health-tracker.ts';
import { builder } from './builder.ts';
import type { GraphQLContext } from './context.ts';
import { badUserInput } from './inputs.ts';
import { startWith } from './snapshot-stream.ts';

const HealthStatusEnum = builder.enumType('HealthStatus', {
  values: {
    HEALTHY: { description: 'Working as it should.' },
    DEGRADED: { description: 'Working, but worse than it should (a failing tick, a sink behind, a slow event loop).' },
    DOWN: { description: 'Not working (no current data, a sink not writing, Redis unreachable).' },
  } as const,
});

const AlertSeverityEnum = builder.enumType('AlertSeverity', {
  values: {
    WARNING: { description: 'A component is DEGRADED.' },
    CRITICAL: { description: 'A component is DOWN.' },
  } as const,
});

const AlertStateEnum = builder.enumType('AlertState', {
  values: {
    FIRING: { description: 'Raised, or its severity changed.' },
    RESOLVED: { description: 'The component has been HEALTHY for G6_ALERT_KEEP_FIRING_FOR.' },
  } as const,
});

const HealthComponentRef = builder.objectRef<ComponentHealth>('HealthComponent').implement({
  description: 'One part of the service.',
  fields: (t) => ({
    name: t.exposeString('name', {
      description: 'provider, ticker, collector/<INDEX>, sink/<name>, redis, event-loop, disk or memory.',
    }),
    status: t.field({ type: HealthStatusEnum, resolve: (c) => c.status }),
    reason: t.string({
      nullable: true,
      description: 'What is wrong, or a reading (RSS, free space…).',
      resolve: (c) => c.reason,
    }),
    since: t.field({ type: 'DateTime', description: 'When it entered this status.', resolve: (c) => c.since }),
  }),
});

const HealthChangeRef = builder.objectRef<HealthChange>('HealthChange').implement({
  description: 'A component moving from one status to another.',
  fields: (t) => ({
    component: t.exposeString('component'),
    from: t.field({
      type: HealthStatusEnum,
      nullable: true,
      description: 'Null when the component was first seen in a status other than HEALTHY.',
      resolve: (c) => c.from,
    }),
    to: t.field({ type: HealthStatusEnum, resolve: (c) => c.to }),
    reason: t.string({ nullable: true, resolve: (c) => c.reason }),
    at: t.field({ type: 'DateTime', resolve: (c) => c.at }),
  }),
});

const AlertRef = builder.objectRef<AlertEvent>('Alert').implement({
  description:
    'One event of an alert: FIRING when a component has left HEALTHY for G6_ALERT_FOR (again under the same id when its severity changes), RESOLVED once it is back. The same events go to the log and the webhooks.',
  fields: (t) => ({
    id: t.exposeString('id', { description: 'The same for every event of one episode of one component. Opaque.' }),
    component: t.exposeString('component'),
    state: t.field({ type: AlertStateEnum, resolve: (a) => a.state }),
    severity: t.field({ type: AlertSeverityEnum, resolve: (a) => a.severity }),
    status: t.field({
      type: HealthStatusEnum,
      description: "The component's status at the event (HEALTHY on RESOLVED).",
      resolve: (a) => a.status,
    }),
    reason: t.exposeString('reason'),
    startsAt: t.field({ type: 'DateTime', resolve: (a) => a.startsAt }),
    endsAt: t.field({ type: 'DateTime', nullable: true, description: 'Set on RESOLVED.', resolve: (a) => a.endsAt }),
    at: t.field({ type: 'DateTime', description: 'When this event was made.', resolve: (a) => a.at }),
  }),
});

const HealthRef = builder.objectRef<HealthView>('Health').implement({
  description: 'The service as /ready sees it, component by component.',
  fields: (t) => ({
    status: t.field({ type: HealthStatusEnum, description: 'The worst component status.', resolve: (h) => h.status }),
    ready: t.boolean({
      description:
        'True when /ready answers 200: the provider can deliver, every index has current data, not stopping.',
      resolve: (h) => h.ready,
    }),
    notReadyReasons: t.stringList({
      description: 'Why it is not ready (empty when ready).',
      resolve: (h) => [...h.notReadyReasons],
    }),
    components: t.field({ type: [HealthComponentRef], resolve: (h) => [...h.components] }),
    checkedAt: t.field({ type: 'DateTime', resolve: (h) => h.checkedAt }),
    history: t.field({
      type: [HealthChangeRef],
      description: `Status changes, newest first (the server keeps the last ${DEFAULT_HISTORY_LIMIT}).`,
      args: { last: t.arg.int({ defaultValue: 20, description: `1 to ${DEFAULT_HISTORY_LIMIT}.` }) },
      resolve: (_h, args, ctx) => {
        const last = args.last ?? 20;
        if (!Number.isInteger(last) || last < 1 || last > DEFAULT_HISTORY_LIMIT) {
          throw badUserInput(`last must be from 1 to ${DEFAULT_HISTORY_LIMIT}`, 'last');
        }
        return ctx.health.history(last);
      },
    }),
    alerts: t.field({
      type: [AlertRef],
      description: 'The alerts firing now (the latest event of each), most recent first.',
      resolve: (_h, _args, ctx) => ctx.health.firingAlerts(),
    }),
  }),
});

const currentHealth = (ctx: GraphQLContext) => ctx.health.current();

builder.queryField('health', (t) =>
  t.field({
    type: HealthRef,
    description: 'Component health, as /ready reports it.',
    resolve: (_root, _args, ctx) => currentHealth(ctx),
  }),
);

builder.subscriptionField('healthChanged', (t) =>
  t.field({
    type: HealthRef,
    description: 'The health at once, then after every change of a component status or of readiness.',
    subscribe: (_root, _args, ctx) => startWith<HealthView>(currentHealth(ctx), ctx.health.subscribeChanges()),
    resolve: (health: HealthView) => health,
  }),
);

/** The firing alerts, oldest first, then the live events not already among them. */
function firingThenLive(
  firing: readonly AlertEvent[],
  live: AsyncIterableIterator<AlertEvent>,
): AsyncIterableIterator<AlertEvent> {
  const pending = [...firing].sort((a, b) => a.at.getTime() - b.at.getTime());
  // What a receiver deduplicates on: one event of one alert.
  const keyOf = (e: AlertEvent) => `${e.id}|${e.state}|${e.severity}|${e.at.getTime()}`;
  const sent = new Set(pending.map(keyOf));
  const iterator: AsyncIterableIterator<AlertEvent> = {
    async next() {
      const first = pending.shift();
      if (first !== undefined) {
        return { done: false, value: first };
      }
      for (;;) {
        const result = await live.next();
        if (result.done || !sent.has(keyOf(result.value))) {
          return result;
        }
      }
    },
    async return() {
      pending.length = 0;
      await live.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

builder.subscriptionField('alertRaised', (t) =>
  t.field({
    type: AlertRef,
    description:
      'Alert events in order: first the latest event of each alert firing now (so a client that (re)connects mid-outage knows of it), then every FIRING, escalation and RESOLVED as it happens. A reader 100 events behind loses the oldest.',
    subscribe: (_root, _args, ctx) => {
      // Subscribed before the firing list is read, so nothing raised in between is missed.
      const live = ctx.health.subscribeAlerts();
      return firingThenLive(ctx.health.firingAlerts(), live);
    },
    resolve: (event: AlertEvent) => event,
  }),
);
