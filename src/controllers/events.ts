import { randomBytes } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import { MicroTime } from '../kube/client/micro-time.js';
import { httpStatusOf } from '../kube/errors.js';
import type { KubeObjects } from '../kube/kube-objects.js';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../time/clock.js';
import { MANAGED_BY } from './ownership.js';

export type EventType = 'Normal' | 'Warning';

type Regarding = KubernetesObject & { kind: string };

export interface EventRecorder {
  /** Fire and forget: an Event that cannot be written is logged, never fails a reconcile. */
  record(regarding: Regarding, type: EventType, reason: string, note: string): void;
  /**
   * The Event named `name`, written at most once whoever tries: a second create of the name is
   * the API server's 409, which counts as done (`existed`). Rejects when the write failed.
   */
  recordOnce(
    regarding: Regarding,
    type: EventType,
    reason: string,
    note: string,
    name: string,
  ): Promise<'created' | 'existed'>;
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
  const create = (regarding: Regarding, type: EventType, reason: string, note: string, name: string) => {
    const namespace = regarding.metadata?.namespace ?? 'default';
    return kube.createEvent(namespace, {
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
    });
  };
  return {
    record(regarding, type, reason, note) {
      const name = `${regarding.metadata?.name ?? 'object'}.${randomBytes(8).toString('hex')}`;
      create(regarding, type, reason, note, name).catch((error: unknown) => {
        logger.warn('could not record event', {
          reason,
          error: String((error as Error)?.message ?? error),
        });
      });
    },
    async recordOnce(regarding, type, reason, note, name) {
      try {
        await create(regarding, type, reason, note, name);
        return 'created';
      } catch (error) {
        if (httpStatusOf(error) === 409) return 'existed';
        throw error;
      }
    },
  };
}
