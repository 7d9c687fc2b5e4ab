import type { V1Lease } from '@kubernetes/client-node';
import type { KubeHttp } from './client/kube-http.js';
import { MicroTime } from './client/micro-time.js';
import { httpStatusOf } from './errors.js';
import type { LeaseRecord, LeaseSpec } from './lease-decisions.js';

/** The three Lease calls leader election needs, for one Lease; an in-memory twin backs unit tests. */
export interface LeaseApi {
  /** Undefined when the Lease does not exist. */
  read(): Promise<LeaseRecord | undefined>;
  /** Fails with 409 when someone created it first. */
  create(spec: LeaseSpec): Promise<LeaseRecord>;
  /** Fails with 409 when `resourceVersion` is no longer current (someone else wrote). */
  replace(spec: LeaseSpec, resourceVersion: string): Promise<LeaseRecord>;
}

export function coordinationLeaseApi(http: KubeHttp, namespace: string, name: string): LeaseApi {
  const collection = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`;
  return {
    async read() {
      try {
        return toRecord(await http.request<V1Lease>('GET', `${collection}/${name}`));
      } catch (error) {
        if (httpStatusOf(error) === 404) return undefined;
        throw error;
      }
    },
    async create(spec) {
      return toRecord(
        await http.request<V1Lease>('POST', collection, { body: toLease(name, namespace, spec) }),
      );
    },
    async replace(spec, resourceVersion) {
      const body = toLease(name, namespace, spec);
      body.metadata = { ...body.metadata, resourceVersion };
      return toRecord(await http.request<V1Lease>('PUT', `${collection}/${name}`, { body }));
    },
  };
}

function toLease(name: string, namespace: string, spec: LeaseSpec): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace },
    spec: {
      holderIdentity: spec.holderIdentity ?? '',
      ...(spec.leaseDurationSeconds !== undefined ? { leaseDurationSeconds: spec.leaseDurationSeconds } : {}),
      // MicroTime fields must be sent with microsecond precision.
      ...(spec.acquireTime ? { acquireTime: new MicroTime(spec.acquireTime.getTime()) } : {}),
      ...(spec.renewTime ? { renewTime: new MicroTime(spec.renewTime.getTime()) } : {}),
      ...(spec.leaseTransitions !== undefined ? { leaseTransitions: spec.leaseTransitions } : {}),
    },
  };
}

function toRecord(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  return {
    resourceVersion: lease.metadata?.resourceVersion ?? '',
    ...(spec.holderIdentity !== undefined ? { holderIdentity: spec.holderIdentity } : {}),
    ...(spec.leaseDurationSeconds !== undefined ? { leaseDurationSeconds: spec.leaseDurationSeconds } : {}),
    ...(spec.acquireTime ? { acquireTime: new Date(spec.acquireTime) } : {}),
    ...(spec.renewTime ? { renewTime: new Date(spec.renewTime) } : {}),
    ...(spec.leaseTransitions !== undefined ? { leaseTransitions: spec.leaseTransitions } : {}),
  };
}
