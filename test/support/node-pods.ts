/**
 * Pods on the test node (test/support/node.ts): run one to completion and read its output from the
 * kubelet's pod log folder, or wait for pods to be Ready.
 */
import type { CoreV1Api, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import type { TestNode } from './node.js';
import { waitFor } from './operator-fixtures.js';

export const podReady = (pod: V1Pod): boolean =>
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

const finished = (pod: V1Pod): boolean => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

export interface FinishedPod {
  phase: string;
  exitCode: number | undefined;
  /** The container's stdout and stderr lines. */
  output: string[];
}

/** Creates a pod with one container named `main` and restartPolicy Never, and waits for it to end. */
export async function runPod(
  core: CoreV1Api,
  node: TestNode,
  namespace: string,
  name: string,
  spec: Omit<V1PodSpec, 'restartPolicy'>,
  timeoutMs = 120_000,
): Promise<FinishedPod> {
  await createPod(core, namespace, { metadata: { name }, spec: { ...spec, restartPolicy: 'Never' } });
  const pod = await waitFor(
    () => core.readNamespacedPod({ namespace, name }),
    finished,
    `pod ${namespace}/${name} to finish`,
    timeoutMs,
  );
  return {
    phase: pod.status?.phase ?? '',
    exitCode: pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode,
    output: node.podLog(namespace, name, 'main'),
  };
}

/**
 * Creates a pod; retried while its namespace's default ServiceAccount does not exist yet (the
 * controller-manager makes it just after the namespace).
 */
export async function createPod(core: CoreV1Api, namespace: string, body: V1Pod): Promise<V1Pod> {
  return waitFor(
    async () => {
      try {
        return await core.createNamespacedPod({ namespace, body });
      } catch (error) {
        if (/serviceaccount .* not found/i.test(String((error as { body?: unknown }).body ?? error))) {
          return undefined;
        }
        throw error;
      }
    },
    (created) => created !== undefined,
    `the default ServiceAccount of ${namespace}, to create pod ${body.metadata?.name}`,
  ) as Promise<V1Pod>;
}
