/**
 * What happens to a bundle's objects in its store when the bundle goes. With
 * spec.target.objectStore and retainPolicy Delete (the default), the bundle carries the finalizer
 * OBJECT_STORE_FINALIZER from before its first upload; deleting the bundle deletes every object the
 * operator stored for it, and only then the finalizer. Retain, or no objectStore at all, needs no
 * finalizer: one left from before is removed and the objects stay. See docs/object-store.md.
 */
import {
  SECURE_CONNECTION_BUNDLE,
  type Condition,
  type SecureConnectionBundle,
} from '../../api/v1alpha1/index.js';
import { InvalidInputError } from '../../errors.js';
import type { KubeObjects } from '../../kube/kube-objects.js';
import type { Logger } from '../../observability/logger.js';
import type { OutboundGuard } from '../../distribution/outbound/index.js';
import type { Clock } from '../../time/clock.js';
import type { EventRecorder } from '../events.js';
import { statusTime } from '../status-time.js';
import { OBJECT_STORE_CONDITION } from './object-store-sync.js';

export const OBJECT_STORE_FINALIZER = 'scb-operator.io/object-store-cleanup';

const FIELD = 'spec.target.objectStore';

export interface CleanupInputs {
  /** metadata.deletionTimestamp is set. */
  deleting: boolean;
  hasFinalizer: boolean;
  /** spec.target.objectStore.retainPolicy; undefined when the bundle has no object store. */
  retainPolicy: 'Delete' | 'Retain' | undefined;
}

export type CleanupStep =
  /** Before anything is uploaded, so no object can outlive the bundle unnoticed. */
  | 'AddFinalizer'
  /** The finalizer is not (or no longer) needed: objects stay where they are. */
  | 'RemoveFinalizer'
  /** The bundle is going: delete its objects, then the finalizer. */
  | 'DeleteObjects'
  | 'None';

/** Pure: the one step this pass takes. */
export function decideObjectStoreCleanup({
  deleting,
  hasFinalizer,
  retainPolicy,
}: CleanupInputs): CleanupStep {
  const deletesObjects = retainPolicy === 'Delete';
  if (deleting) {
    if (!hasFinalizer) return 'None';
    return deletesObjects ? 'DeleteObjects' : 'RemoveFinalizer';
  }
  if (deletesObjects) return hasFinalizer ? 'None' : 'AddFinalizer';
  return hasFinalizer ? 'RemoveFinalizer' : 'None';
}

/** The store could not be emptied; the finalizer stays and the work queue retries with backoff. */
export class ObjectStoreCleanupPending extends Error {
  override readonly name = 'ObjectStoreCleanupPending';
}

export interface ObjectStoreCleanupDeps {
  kube: KubeObjects;
  events: EventRecorder;
  logger: Logger;
  clock: Clock;
  /** Where the store may be reached (the operator's --outbound-allow policy). */
  outbound: OutboundGuard;
}

export class ObjectStoreCleanup {
  constructor(private readonly deps: ObjectStoreCleanupDeps) {}

  /**
   * Takes this pass's step for `bundle` (a fresh read). Throws ObjectStoreCleanupPending while a
   * deleted bundle's objects cannot be deleted, after saying why in status and in an Event.
   */
  async reconcile(bundle: SecureConnectionBundle): Promise<void> {
    const finalizers = bundle.metadata.finalizers ?? [];
    const target = bundle.spec.target?.objectStore;
    const step = decideObjectStoreCleanup({
      deleting: bundle.metadata.deletionTimestamp !== undefined,
      hasFinalizer: finalizers.includes(OBJECT_STORE_FINALIZER),
      retainPolicy: target ? (target.retainPolicy ?? 'Delete') : undefined,
    });
    switch (step) {
      case 'None':
        return;
      case 'AddFinalizer':
        return this.setFinalizers(bundle, [...finalizers, OBJECT_STORE_FINALIZER]);
      case 'RemoveFinalizer':
        return this.setFinalizers(
          bundle,
          finalizers.filter((finalizer) => finalizer !== OBJECT_STORE_FINALIZER),
        );
      case 'DeleteObjects':
        await this.deleteObjects(bundle);
        return this.setFinalizers(
          bundle,
          finalizers.filter((finalizer) => finalizer !== OBJECT_STORE_FINALIZER),
        );
    }
  }

  private async deleteObjects(bundle: SecureConnectionBundle): Promise<void> {
    const target = bundle.spec.target?.objectStore;
    if (!target) return;
    const store = await import('../../distribution/object-store/index.js');
    const namespace = bundle.metadata.namespace ?? '';
    const name = bundle.metadata.name ?? '';
    let settings;
    try {
      const refs = store.objectStoreSecretRefs(target);
      // Deleting needs no encryption key: objects are removed by key, never read.
      settings = store.resolveObjectStoreSettings({
        namespace,
        name,
        target: { ...target, clientSideEncryption: undefined },
        credentialsSecret: await this.deps.kube.getSecret(namespace, refs.credentials),
      });
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      return this.pending(bundle, error.reason, error.message);
    }
    const publisher = new store.ObjectStorePublisher(settings, {
      logger: this.deps.logger,
      outbound: this.deps.outbound,
    });
    try {
      const result = await publisher.removeBundleObjects();
      if (result.state === 'behind') return this.pending(bundle, result.reason, result.message);
      this.deps.events.record(
        { ...bundle, kind: SECURE_CONNECTION_BUNDLE.kind },
        'Normal',
        'ObjectStoreCleaned',
        `deleted ${result.deleted} object(s) of this bundle from bucket ${target.bucket}` +
          (result.leftAlone > 0
            ? `; left ${result.leftAlone} object(s) under its prefix that are not its own`
            : ''),
      );
    } finally {
      publisher.close();
    }
  }

  /** Status and an Event say what blocks the deletion (once per new message), then back off. */
  private async pending(bundle: SecureConnectionBundle, reason: string, cause: string): Promise<never> {
    const message =
      `the bundle is being deleted but its objects are still in bucket ${bundle.spec.target?.objectStore?.bucket}: ` +
      `${cause}. It keeps the finalizer ${OBJECT_STORE_FINALIZER} and retries with backoff; to keep the ` +
      `objects and let it go, set ${FIELD}.retainPolicy: Retain`;
    const previous = bundle.status?.conditions ?? [];
    const shown = previous.find((condition) => condition.type === OBJECT_STORE_CONDITION);
    if (shown?.status !== 'False' || shown.reason !== reason || shown.message !== message) {
      const next: Condition = {
        type: OBJECT_STORE_CONDITION,
        status: 'False',
        observedGeneration: bundle.metadata.generation ?? 0,
        lastTransitionTime:
          shown?.status === 'False' ? shown.lastTransitionTime : statusTime(this.deps.clock.now()),
        reason,
        message,
      };
      const conditions = [...previous.filter((condition) => condition !== shown), next];
      await this.deps.kube.patchBundleStatus(bundle.metadata.namespace ?? '', bundle.metadata.name ?? '', {
        conditions,
      });
      this.deps.events.record(
        { ...bundle, kind: SECURE_CONNECTION_BUNDLE.kind },
        'Warning',
        'ObjectStoreCleanupFailed',
        message,
      );
    }
    throw new ObjectStoreCleanupPending(`${reason}: ${message}`);
  }

  private async setFinalizers(bundle: SecureConnectionBundle, finalizers: string[]): Promise<void> {
    const { namespace = '', name = '', resourceVersion = '' } = bundle.metadata;
    await this.deps.kube.setBundleFinalizers(namespace, name, finalizers, resourceVersion);
    this.deps.logger.debug('bundle finalizers set', { namespace, name, finalizers });
  }
}
