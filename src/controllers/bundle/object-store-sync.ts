import type { WriteFence } from '../../kube/write-fence.js';
import type { BundleVersion, SecureConnectionBundle } from '../../api/v1alpha1/index.js';
import { MANIFEST_FILE } from '../../bundle/layout.js';
import { readZip } from '../../bundle/zip-reader.js';
import { InvalidInputError } from '../../errors.js';
import type { OutboundGuard } from '../../distribution/outbound/index.js';
import type { KubeObjects } from '../../kube/kube-objects.js';
import type { Logger } from '../../observability/logger.js';
import type { Condition } from '../../api/v1alpha1/index.js';
import { secretZip, versionSecretName } from './bundle-secrets.js';

export const OBJECT_STORE_CONDITION = 'ObjectStoreSynced';

/** How the store stands after a pass, for status. */
export interface StoreSync {
  /** status.versions with the object keys this pass learned. */
  versions: BundleVersion[];
  condition: Pick<Condition, 'status' | 'reason' | 'message'>;
  /** Look again this much later (the store was behind). */
  retryAfterMs?: number;
}

/** A version just issued, uploaded straight from memory. */
export interface IssuedUpload {
  version: number;
  zip: Buffer;
  manifest: Buffer;
}

/** Store outages are retried at this pace; the Secret path never waits for them. */
const BEHIND_RETRY_MS = 30_000;

/**
 * Keeps spec.target.objectStore in step with status.versions: any version still in the cluster
 * that the store has not received (oldest first), then the version just issued, so the store never
 * holds N+1 without N; then the move of superseded versions under archive/. A store that is down
 * or refuses never fails the pass: the result says so, the Secret is already published, and the
 * next pass catches up. The S3 client is loaded only when some bundle uses a store.
 */
export class ObjectStoreSync {
  constructor(
    private readonly kube: KubeObjects,
    private readonly logger: Logger,
    /** Vets every connection to a store endpoint. */
    private readonly outbound: OutboundGuard,
    /** Writes to the store only while this replica leads, like its writes to the cluster. */
    private readonly fence?: WriteFence,
  ) {}

  async sync(
    bundle: SecureConnectionBundle,
    versions: readonly BundleVersion[],
    issued: IssuedUpload | undefined,
    /** Is version N's Secret still in the cluster (an Archived one may be, until stored)? */
    hasSecret: (version: number) => boolean,
  ): Promise<StoreSync | undefined> {
    const target = bundle.spec.target?.objectStore;
    if (!target) return undefined;
    const store = await import('../../distribution/object-store/index.js');
    const namespace = bundle.metadata.namespace ?? '';
    const name = bundle.metadata.name ?? '';
    let next = [...versions];
    const record = (version: number, objectKey: string) => {
      next = next.map((entry) => (entry.version === version ? { ...entry, objectKey } : entry));
    };

    let settings;
    try {
      const refs = store.objectStoreSecretRefs(target);
      settings = store.resolveObjectStoreSettings({
        namespace,
        name,
        target,
        credentialsSecret: await this.kube.getSecret(namespace, refs.credentials),
        ...(refs.encryptionKey
          ? { encryptionKeySecret: await this.kube.getSecret(namespace, refs.encryptionKey.name) }
          : {}),
      });
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      return {
        versions: next,
        condition: { status: 'False', reason: error.reason, message: error.message },
        retryAfterMs: BEHIND_RETRY_MS,
      };
    }

    this.fence?.admit();
    const publisher = new store.ObjectStorePublisher(settings, {
      logger: this.logger,
      outbound: this.outbound,
    });
    try {
      // Older versions the store has not received go first, so it never holds N+1 without N.
      // Archived before the store ever had them, but still in the cluster: store, then archive.
      const prunedUnstored = next
        .filter(
          (entry) => entry.state === 'Archived' && entry.objectKey === undefined && hasSecret(entry.version),
        )
        .map((entry) => entry.version);
      const missing = [...store.versionsMissingFromStore(next), ...prunedUnstored].filter(
        (version) => version !== issued?.version,
      );
      const caughtUp = await publisher.catchUp(
        missing.map((version) => ({
          version,
          load: () =>
            this.loadVersion(bundle, version, next.find((entry) => entry.version === version)?.bundleSHA256),
        })),
      );
      for (const stored of caughtUp.stored) record(stored.version, stored.objectKey);
      if (caughtUp.state === 'behind') return behind(next, caughtUp);
      if (issued) {
        this.fence?.admit();
        const published = await publisher.publish(issued);
        if (published.state === 'behind') return behind(next, published);
        record(published.version, published.objectKey);
      }

      const location = { prefix: target.prefix, namespace, name };
      for (const entry of next) {
        if (entry.state !== 'Archived' || entry.objectKey === undefined) continue;
        if (entry.objectKey === store.archiveKeys(location, entry.version).zip) continue;
        this.fence?.admit();
        const moved = await publisher.archive(entry.version);
        if (moved.state === 'behind') return behind(next, moved);
        if (moved.state === 'archived') record(entry.version, moved.objectKey);
      }
      const latest = next.find((entry) => entry.state === 'Active');
      return {
        versions: next,
        condition: {
          status: 'True',
          reason: 'ObjectStoreSynced',
          message: `bucket ${target.bucket} holds every version kept${latest ? `; latest is version ${latest.version}` : ''}`,
        },
      };
    } finally {
      publisher.close();
    }
  }

  /** Version N's zip from its Secret, uploaded only when it is the zip status recorded for N. */
  private async loadVersion(
    bundle: SecureConnectionBundle,
    version: number,
    recordedSHA256: string | undefined,
  ) {
    const namespace = bundle.metadata.namespace ?? '';
    const secretName = versionSecretName(bundle, version);
    const zip = secretZip(await this.kube.getSecret(namespace, secretName), recordedSHA256 ?? '');
    if (zip === undefined)
      throw new Error(
        `Secret ${namespace}/${secretName} holds no bundle zip for version ${version}, or not the one status recorded`,
      );
    const manifest = readZip(zip, `Secret ${namespace}/${secretName}`).find(
      (entry) => entry.path === MANIFEST_FILE,
    )?.content;
    if (!manifest) throw new Error(`the zip in Secret ${namespace}/${secretName} has no ${MANIFEST_FILE}`);
    return { version, zip, manifest };
  }
}

function behind(
  versions: BundleVersion[],
  result: { reason: string; message: string; retry: 'backoff' | 'afterChange' },
): StoreSync {
  return {
    versions,
    condition: { status: 'False', reason: result.reason, message: result.message },
    ...(result.retry === 'backoff' ? { retryAfterMs: BEHIND_RETRY_MS } : {}),
  };
}
