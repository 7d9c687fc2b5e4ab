import { ApiException } from '@kubernetes/client-node';
import type { LeaseApi } from '../../../src/kube/lease-api.js';
import type { LeaseRecord, LeaseSpec } from '../../../src/kube/lease-decisions.js';

/**
 * One Lease held in memory with the API server's optimistic concurrency: every write bumps the
 * resourceVersion, a create of an existing lease or a replace with a stale version fails with 409.
 */
export class InMemoryLeaseApi implements LeaseApi {
  stored: LeaseRecord | undefined;
  writes = 0;
  /** Make every call fail with this error (e.g. a 503) until cleared. */
  failure: unknown;
  /** Make every call hang forever until cleared. */
  hanging = false;

  async read(): Promise<LeaseRecord | undefined> {
    await this.gate();
    return this.stored ? { ...this.stored } : undefined;
  }

  async create(spec: LeaseSpec): Promise<LeaseRecord> {
    await this.gate();
    if (this.stored) throw new ApiException(409, 'AlreadyExists', undefined, {});
    return this.write(spec);
  }

  async replace(spec: LeaseSpec, resourceVersion: string): Promise<LeaseRecord> {
    await this.gate();
    if (!this.stored) throw new ApiException(404, 'NotFound', undefined, {});
    if (this.stored.resourceVersion !== resourceVersion)
      throw new ApiException(409, 'Conflict', undefined, {});
    return this.write(spec);
  }

  private write(spec: LeaseSpec): LeaseRecord {
    this.writes++;
    this.stored = { ...spec, resourceVersion: String(this.writes) };
    return { ...this.stored };
  }

  private async gate(): Promise<void> {
    if (this.hanging) await new Promise<never>(() => undefined);
    if (this.failure) throw this.failure;
  }
}
