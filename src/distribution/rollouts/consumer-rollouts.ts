import type { BundleConsumer, SecureConnectionBundle } from '../../api/v1alpha1/index.js';
import type { WorkloadKind, WorkloadTemplateView } from '../../kube/kube-objects.js';
import { classifyError } from '../../kube/errors.js';
import { bundleVersionAnnotation, needsRollout } from './rollout-decision.js';
import type { RolloutRateLimiter } from './rollout-rate-limiter.js';

/** The calls a rollout makes (KubeObjects implements them). */
export interface RolloutKube {
  getWorkload(kind: WorkloadKind, namespace: string, name: string): Promise<WorkloadTemplateView | undefined>;
  patchWorkload(
    kind: WorkloadKind,
    namespace: string,
    name: string,
    body: object,
  ): Promise<WorkloadTemplateView>;
}

export type ConsumerRolloutResult = BundleConsumer &
  (
    | { outcome: 'Restarted'; version: number }
    /** Already rolled for this version or a newer one: nothing was written. */
    | { outcome: 'UpToDate'; rolledVersion: number }
    /** Rate-limited: call again after retryAfterMs. */
    | { outcome: 'Deferred'; retryAfterMs: number }
    /** The workload does not exist: a warning for an Event; nothing to retry. */
    | { outcome: 'Missing'; message: string }
    /** The apiserver refused or failed: retry with the reconcile's backoff. */
    | { outcome: 'Failed'; message: string }
  );

/** Re-reads after a 409 at most this often before reporting Failed. */
const CONFLICT_RETRIES = 3;

/**
 * Rolls each of spec.consumers[] for `version` by setting the pod-template annotation
 * `scb-operator.io/bundle-version.<bundle>` to N (any pod-template change makes the workload
 * controller replace its pods). Idempotent: a workload already at N or higher is not touched,
 * so calling again (a requeue, an operator restart) restarts nobody. Each patch carries the
 * resourceVersion it read, so a concurrent writer makes it re-read instead of rolling twice.
 */
export async function rolloutConsumers(
  kube: RolloutKube,
  bundle: SecureConnectionBundle,
  version: number,
  options: { limiter: RolloutRateLimiter },
): Promise<ConsumerRolloutResult[]> {
  const namespace = bundle.metadata.namespace ?? '';
  const annotation = bundleVersionAnnotation(bundle.metadata.name ?? '');
  const results: ConsumerRolloutResult[] = [];
  for (const consumer of bundle.spec.consumers ?? []) {
    results.push(await rolloutConsumer(kube, namespace, consumer, annotation, version, options.limiter));
  }
  return results;
}

async function rolloutConsumer(
  kube: RolloutKube,
  namespace: string,
  consumer: BundleConsumer,
  annotation: string,
  version: number,
  limiter: RolloutRateLimiter,
): Promise<ConsumerRolloutResult> {
  const { kind, name } = consumer;
  let reserved = false;
  try {
    for (let attempt = 0; attempt <= CONFLICT_RETRIES; attempt += 1) {
      const workload = await kube.getWorkload(kind, namespace, name);
      if (!workload) {
        return {
          kind,
          name,
          outcome: 'Missing',
          message: `consumer ${kind} ${namespace}/${name} does not exist: create it or remove it from spec.consumers`,
        };
      }
      const current = workload.spec?.template?.metadata?.annotations?.[annotation];
      if (!needsRollout(current, version)) {
        return { kind, name, outcome: 'UpToDate', rolledVersion: Number(current) };
      }
      if (!reserved) {
        const permit = limiter.reserve(`${kind}/${namespace}/${name}`);
        if (!permit.allowed) return { kind, name, outcome: 'Deferred', retryAfterMs: permit.retryAfterMs };
        reserved = true;
      }
      try {
        await kube.patchWorkload(kind, namespace, name, {
          metadata: { resourceVersion: workload.metadata?.resourceVersion },
          spec: { template: { metadata: { annotations: { [annotation]: String(version) } } } },
        });
        return { kind, name, outcome: 'Restarted', version };
      } catch (error) {
        if (classifyError(error).kind !== 'Conflict') throw error;
      }
    }
    return {
      kind,
      name,
      outcome: 'Failed',
      message: `${kind} ${namespace}/${name} kept changing while being patched`,
    };
  } catch (error) {
    return { kind, name, outcome: 'Failed', message: classifyError(error).message };
  }
}
