import { createBoundedEventPubSub } from '../store/bounded-event-pubsub.ts';
import { createLatestValuePubSub } from '../store/latest-value-pubsub.ts';
import type { AlertEvent } from './alert-event.ts';
import { type AlertPolicy, createAlertManager } from './alert-manager.ts';
import type { HealthAssessment } from './health-model.ts';
import { createHealthTracker, type HealthChange, type HealthView } from './health-tracker.ts';

/** What the schema reads: the current state, its history, and the two streams. Never the components. */
export interface HealthFeed {
  current(): HealthView;
  /** The last `last` status changes, newest first. */
  history(last: number): HealthChange[];
  /** The latest event of each firing alert, most recent first. */
  firingAlerts(): AlertEvent[];
  /** The whole view after each status or readiness change (a reader that falls behind gets the newest). */
  subscribeChanges(signal?: AbortSignal): AsyncIterableIterator<HealthView>;
  /** Every alert event after subscribing, in order (bounded per reader). */
  subscribeAlerts(signal?: AbortSignal): AsyncIterableIterator<AlertEvent>;
}

export interface HealthRecorder extends HealthFeed {
  /** Records one reading; returns what it changed and the alerts it raised or resolved. */
  record(assessment: HealthAssessment, at: Date): { changes: HealthChange[]; alerts: AlertEvent[] };
  close(): void;
}

/** Events a stalled `alertRaised` reader may hold before the oldest are dropped. */
export const ALERT_SUBSCRIBER_QUEUE = 100;

export function createHealthRecorder(options: {
  readonly alertPolicy: AlertPolicy;
  readonly historyLimit?: number;
  readonly onAlertSubscriberDropped?: () => void;
}): HealthRecorder {
  const tracker = createHealthTracker(options.historyLimit);
  const alerts = createAlertManager(options.alertPolicy);
  const changed = createLatestValuePubSub<'health', HealthView>(() => 'health');
  const raised = createBoundedEventPubSub<AlertEvent>(ALERT_SUBSCRIBER_QUEUE, options.onAlertSubscriberDropped);
  return {
    record(assessment, at) {
      const before = tracker.current();
      const changes = tracker.observe(assessment, at);
      const events = alerts.observe(assessment.components, at);
      // Readiness can flip with no status change (the first snapshot of an index that was only starting).
      if (changes.length > 0 || before.ready !== assessment.ready || before.status !== assessment.status) {
        changed.publish(tracker.current());
      }
      for (const event of events) {
        raised.publish(event);
      }
      return { changes, alerts: events };
    },
    current: () => tracker.current(),
    history: (last) => tracker.history(last),
    firingAlerts: () => alerts.firing(),
    subscribeChanges: (signal) => changed.subscribe('health', signal),
    subscribeAlerts: (signal) => raised.subscribe(signal),
    close() {
      changed.close();
      raised.close();
    },
  };
}
