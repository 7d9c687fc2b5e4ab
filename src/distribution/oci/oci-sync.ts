/**
 * Keeps spec.target.ociRepository in step with status.versions: the version just issued (straight
 * from memory) and any kept version the registry has not received (from its Secret, oldest
 * first), each pushed as an encrypted artifact with its signature referrer; `latest` moves
 * forward only and old version tags are cleaned by spec.target.ociRepository.keepTags. A registry
 * that is down or refuses never fails the pass: the Secret is already published, a condition and
 * a Warning Event say why, and the next pass (30 s later) tries again.
 */
import type { BundleVersion, Condition, SecureConnectionBundle } from '../../api/v1alpha1/index.js';
import { SECURE_CONNECTION_BUNDLE } from '../../api/v1alpha1/index.js';
import { MANIFEST_FILE, SIGNATURE_FILE } from '../../bundle/layout.js';
import { readZip } from '../../bundle/zip-reader.js';
import { secretZip, versionSecretName } from '../../controllers/bundle/bundle-secrets.js';
import type { EventRecorder } from '../../controllers/events.js';
import { InvalidInputError } from '../../errors.js';
import type { KubeObjects } from '../../kube/kube-objects.js';
import type { WriteFence } from '../../kube/write-fence.js';
import type { Logger } from '../../observability/logger.js';
import type { OutboundGuard } from '../outbound/index.js';
import type { OciRepositoryTarget } from './oci-settings.js';
import type { VersionPush } from './oci-publisher.js';

export const OCI_REPOSITORY_CONDITION = 'OciRepositorySynced';
/** Registry outages are retried at this pace, as the object store's are. */
const BEHIND_RETRY_MS = 30_000;

export interface OciSyncResult {
  /** status.versions with the digests this pass learned. */
  versions: BundleVersion[];
  condition: Pick<Condition, 'status' | 'reason' | 'message'>;
  retryAfterMs?: number;
}

export interface OciSyncDeps {
  kube: Pick<KubeObjects, 'getSecret'>;
  logger: Logger;
  events: EventRecorder;
  /** Vets every connection to the registry and its token realm. */
  outbound: OutboundGuard;
  /** Pushes only while this replica leads. */
  fence?: WriteFence;
  /** Extra CA to trust (tests; in a cluster the system's CAs, or NODE_EXTRA_CA_CERTS). */
  ca?: string;
}

/** Versions to push this pass, oldest first: kept in the cluster, not pushed yet, within keepTags. */
export function versionsToPush(
  versions: readonly BundleVersion[],
  keepTags: number,
  hasSecret: (version: number) => boolean,
): number[] {
  const newest = Math.max(0, ...versions.map((entry) => entry.version));
  return versions
    .filter(
      (entry) =>
        entry.ociDigest === undefined &&
        (entry.state === 'Active' || entry.state === 'Deprecated') &&
        entry.version > newest - keepTags &&
        hasSecret(entry.version),
    )
    .map((entry) => entry.version)
    .sort((a, b) => a - b);
}

/** A Warning Event only when the registry starts failing, or fails for another reason. */
export function warnsAgain(
  previous: Condition | undefined,
  next: Pick<Condition, 'status' | 'reason'>,
): boolean {
  return next.status === 'False' && !(previous?.status === 'False' && previous.reason === next.reason);
}

export class OciRepositorySync {
  constructor(private readonly deps: OciSyncDeps) {}

  async sync(
    bundle: SecureConnectionBundle,
    versions: readonly BundleVersion[],
    /** The version just issued, with its zip. */
    issued: { version: number; zip: Buffer } | undefined,
    hasSecret: (version: number) => boolean,
  ): Promise<OciSyncResult | undefined> {
    const target = bundle.spec.target?.ociRepository as OciRepositoryTarget | undefined;
    if (!target) return undefined;
    const result = await this.push(bundle, target, [...versions], issued, hasSecret);
    const previous = bundle.status?.conditions?.find((c) => c.type === OCI_REPOSITORY_CONDITION);
    if (warnsAgain(previous, result.condition)) {
      this.deps.events.record(
        { ...bundle, kind: SECURE_CONNECTION_BUNDLE.kind },
        'Warning',
        result.condition.reason,
        result.condition.message,
      );
    }
    return result;
  }

  private async push(
    bundle: SecureConnectionBundle,
    target: OciRepositoryTarget,
    versions: BundleVersion[],
    issued: { version: number; zip: Buffer } | undefined,
    hasSecret: (version: number) => boolean,
  ): Promise<OciSyncResult> {
    const namespace = bundle.metadata.namespace ?? '';
    const name = bundle.metadata.name ?? '';
    let next = versions;
    const failed = (condition: { reason: string; message: string; retry: 'backoff' | 'afterChange' }) => ({
      versions: next,
      condition: { status: 'False' as const, reason: condition.reason, message: condition.message },
      ...(condition.retry === 'backoff' ? { retryAfterMs: BEHIND_RETRY_MS } : {}),
    });
    // Loaded only when some bundle uses a registry.
    const oci = await import('./oci-publisher.js');
    const { resolveOciSettings } = await import('./oci-settings.js');
    let settings;
    try {
      settings = resolveOciSettings({
        namespace,
        name,
        target,
        credentialsSecret: await this.deps.kube.getSecret(namespace, target.credentialsSecretRef.name),
        encryptionKeySecret: await this.deps.kube.getSecret(namespace, target.encryptionKeySecretRef.name),
      });
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      return failed({ reason: error.reason, message: error.message, retry: 'backoff' });
    }
    const { httpsAgent, httpAgent } = this.deps.outbound.agents({ keepAlive: true, maxSockets: 4 });
    const publisher = new oci.OciPublisher(settings, {
      logger: this.deps.logger,
      agent: httpsAgent,
      ...(this.deps.ca ? { ca: this.deps.ca } : {}),
    });
    try {
      const pending = versionsToPush(
        next,
        settings.keepTags,
        (version) => version === issued?.version || hasSecret(version),
      );
      for (const version of pending) {
        const entry = next.find((candidate) => candidate.version === version);
        const zip =
          version === issued?.version
            ? issued.zip
            : await this.versionZip(bundle, version, entry?.bundleSHA256);
        // Gone, or not the zip status recorded: nothing trustworthy to push for that version.
        if (!zip) continue;
        this.deps.fence?.admit();
        const pushed = await publisher.push(
          versionPush(version, zip, entry?.createdAt, `${namespace}/${name} v${version}`),
        );
        if (pushed.state === 'behind') return failed(pushed);
        next = next.map((candidate) =>
          candidate.version === version ? { ...candidate, ociDigest: pushed.digest } : candidate,
        );
        // Pushed and recorded; old tags that would not go are retried on the next pass.
        if (pushed.cleanup) return failed(pushed.cleanup);
      }
      const active = next.find((entry) => entry.state === 'Active');
      return {
        versions: next,
        condition: {
          status: 'True',
          reason: 'OciRepositorySynced',
          message: `${publisher.where} holds ${active ? `version ${active.version} as latest` : 'every version kept'} (keeps ${settings.keepTags} version tags)`,
        },
      };
    } finally {
      httpsAgent.destroy();
      httpAgent.destroy();
    }
  }

  /** Version N's zip from its Secret, only when it is the zip status recorded for N. */
  private async versionZip(
    bundle: SecureConnectionBundle,
    version: number,
    recordedSHA256: string | undefined,
  ) {
    const secret = await this.deps.kube.getSecret(
      bundle.metadata.namespace ?? '',
      versionSecretName(bundle, version),
    );
    return secretZip(secret, recordedSHA256 ?? '');
  }
}

function versionPush(version: number, zip: Buffer, createdAt: string | undefined, what: string): VersionPush {
  const entries = readZip(zip, what);
  const file = (path: string) => {
    const found = entries.find((entry) => entry.path === path)?.content;
    if (!found) throw new Error(`${what}: the zip has no ${path}`);
    return found;
  };
  const created = createdAt ? new Date(createdAt) : new Date(0);
  return { version, zip, manifest: file(MANIFEST_FILE), signature: file(SIGNATURE_FILE), created };
}
