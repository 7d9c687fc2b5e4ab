import { randomBytes } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import { MicroTime } from '../kube/client/micro-time.js';
import type { KubeObjects } from '../kube/kube-objects.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../time/clock.js';
import { MANAGED_BY } from './ownership.js';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  /** Fire and forget: an Event that cannot be written is logged, never fails a reconcile. */
  record(regarding: KubernetesObject & { kind: string }, type: EventType, reason: string, note: string): void;
}

/** events.k8s.io/v1 notes are capped at 1 kB by the API server. */
const MAX_NOTE = 1024;

/**
 * Writes events.k8s.io/v1 Events. Callers emit only on transitions (a version issued, a failure
 * first counted), so there is no series aggregation here. Notes carry names, versions and
 * reasons, never key material: the callers build them from the same safe messages as status.
 */
export function kubernetesEventRecorder(
  kube: KubeObjects,
  clock: Clock,
  instance: string,
  logger: Logger,
): EventRecorder {
  return {
    record(regarding, type, reason, note) {
      const namespace = regarding.metadata?.namespace ?? 'default';
      const name = `${regarding.metadata?.name ?? 'object'}.${randomBytes(8).toString('hex')}`;
      kube
        .createEvent(namespace, {
          metadata: { name, namespace },
          eventTime: new MicroTime(clock.now().getTime()),
          reportingController: `scb-operator.io/${MANAGED_BY}`,
          reportingInstance: instance,
          action: reason,
          reason,
          type,
          note: note.length > MAX_NOTE ? `${note.slice(0, MAX_NOTE - 1)}…` : note,
          regarding: {
            apiVersion: regarding.apiVersion,
            kind: regarding.kind,
            name: regarding.metadata?.name,
            namespace,
            uid: regarding.metadata?.uid,
            resourceVersion: regarding.metadata?.resourceVersion,
          },
        })
        .catch((error: unknown) => {
          logger.warn('could not record event', {
            reason,
            error: String((error as Error)?.message ?? error),
          });
        });
    },
  };
}
