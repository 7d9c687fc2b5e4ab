import { parseObjectKey } from '../kube/object-key.js';
import type { ReconcileReport } from '../kube/work-queue.js';
import type { Logger } from './logger.js';

/**
 * The line a failed reconcile leaves: the object by namespace and name, as separate fields, so a
 * reader (and a log query) finds which bundle failed, and no redaction rule mistakes it for a key.
 */
export function logReconcileFailure(logger: Logger, controller: string, report: ReconcileReport): void {
  if (!report.error) return;
  logger.warn('reconcile failed', {
    controller,
    ...parseObjectKey(report.key),
    kind: report.error.kind,
    error: report.error.message,
    retryInMs: report.retryInMs,
  });
}
