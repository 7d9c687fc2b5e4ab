/**
 * Pushes bundle versions to an OCI repository: per version, the encrypted zip as an artifact
 * (tag v<N>), its manifest signature as a referrer, `latest` moved forward only, and version tags
 * beyond the policy removed. Every call answers with a typed result instead of throwing for
 * registry problems, so the caller publishes the Secret regardless and records that the registry
 * is behind. Only artifacts annotated as this bundle's are ever replaced or deleted.
 */
import type https from 'node:https';
import { bundleZipFileName, MANIFEST_FILE } from '../../bundle/layout.js';
import { InvalidInputError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { sha256Hex } from '../../pki/fingerprint.js';
import { encryptObject } from '../object-store/client-side-encryption.js';
import { objectContext } from '../object-store/object-keys.js';
import {
  ANNOTATIONS,
  bundleArtifact,
  EMPTY_CONFIG,
  parseImageManifest,
  referrersIndex,
  signatureArtifact,
  MEDIA_TYPES,
  type BuiltArtifact,
  type Content,
} from './artifact-manifest.js';
import { LATEST_TAG, referrersTag, versionOfTag, versionTag } from './oci-reference.js';
import type { OciSettings } from './oci-settings.js';
import { RegistryClient } from './registry-client.js';
import { registryFailure, type RegistryBehind } from './registry-failures.js';
import { shouldMoveLatestTag, tagsToRemove } from './tag-policy.js';

export interface VersionPush {
  version: number;
  /** The bundle zip, byte for byte as in the version Secret. */
  zip: Buffer;
  /** manifest.json and manifest.sig as in the zip. */
  manifest: Buffer;
  signature: Buffer;
  /** The version's notBefore. */
  created: Date;
}

export type PushResult =
  | {
      state: 'pushed';
      version: number;
      digest: string;
      uploaded: boolean;
      latestVersion: number;
      removedTags: string[];
      /** Set when old tags could not be removed (the version itself is pushed). */
      cleanup?: RegistryBehind;
    }
  | RegistryBehind;

export interface OciPublisherDeps {
  logger: Logger;
  /** The outbound guard's agent in the operator. */
  agent: https.Agent;
  /** Extra CA (tests, benchmarks). */
  ca?: string;
}

export class OciPublisher {
  private readonly client: RegistryClient;
  private readonly owner: string;

  constructor(
    private readonly settings: OciSettings,
    private readonly deps: OciPublisherDeps,
  ) {
    const { credentials } = settings;
    this.client = new RegistryClient({
      registry: settings.registry,
      repository: settings.repository,
      credentials: () => credentials.reveal(),
      agent: deps.agent,
      ...(deps.ca ? { ca: deps.ca } : {}),
    });
    this.owner = `${settings.namespace}/${settings.name}`;
  }

  get where(): string {
    return `${this.settings.registry}/${this.settings.repository}`;
  }

  /**
   * Pushes version N (skipped when tag v<N> already holds this bundle's same zip), then moves
   * `latest` forward and removes version tags the policy no longer keeps.
   */
  async push(push: VersionPush): Promise<PushResult> {
    try {
      const tag = versionTag(push.version);
      const zipSHA256 = sha256Hex(push.zip);
      const existing = await this.existing(tag, push.version, zipSHA256);
      const uploaded = existing === undefined;
      const manifest = existing ?? (await this.upload(push, zipSHA256));
      const digest = manifest.descriptor.digest;
      const latestVersion = await this.moveLatest(push.version, manifest);
      let removedTags: string[] = [];
      let cleanup: RegistryBehind | undefined;
      try {
        removedTags = await this.cleanUp(latestVersion);
      } catch (error) {
        const failure = registryFailure(error, this.where);
        cleanup = {
          ...failure,
          reason: failure.reason === 'OciRegistryUnavailable' ? 'OciTagCleanupFailed' : failure.reason,
          message: `version ${push.version} is pushed, but older version tags were not removed: ${failure.message}`,
        };
        this.deps.logger.warn('OCI tag cleanup failed', {
          repository: this.where,
          reason: cleanup.reason,
          ...(failure.detail ? { detail: failure.detail } : {}),
        });
      }
      this.deps.logger.info('bundle version pushed to the OCI repository', {
        repository: this.where,
        version: push.version,
        digest,
        uploaded,
        latestVersion,
        removedTags,
      });
      return {
        state: 'pushed',
        version: push.version,
        digest,
        uploaded,
        latestVersion,
        removedTags,
        ...(cleanup ? { cleanup } : {}),
      };
    } catch (error) {
      const behind = registryFailure(error, this.where);
      this.deps.logger.warn('OCI repository is behind', {
        repository: this.where,
        version: push.version,
        reason: behind.reason,
        ...(behind.detail ? { detail: behind.detail } : {}),
      });
      return behind;
    }
  }

  /** The manifest tag v<N> holds when it is this version of this bundle with this zip. */
  private async existing(tag: string, version: number, zipSHA256: string): Promise<Content | undefined> {
    const held = await this.client.manifest(tag);
    if (!held) return undefined;
    const annotations = parseImageManifest(held.bytes)?.annotations ?? {};
    if (
      annotations[ANNOTATIONS.bundle] === this.owner &&
      annotations[ANNOTATIONS.version] === String(version) &&
      annotations[ANNOTATIONS.zipSHA256] === zipSHA256
    ) {
      return held;
    }
    throw new InvalidInputError(
      'OciTagConflict',
      `${this.where}:${tag} already holds another artifact (${annotations[ANNOTATIONS.bundle] ?? 'not a bundle of scb-operator'}, ` +
        `digest ${held.descriptor.digest}); tags are never overwritten. Give this bundle its own ` +
        'spec.target.ociRepository.repository, or delete that tag',
      'spec.target.ociRepository.repository',
    );
  }

  /** Blobs, the bundle manifest, its signature referrer, then tag v<N>: a tag means all is there. */
  private async upload(push: VersionPush, zipSHA256: string): Promise<Content> {
    const { namespace, name, encryptionKey } = this.settings;
    const location = { namespace, name };
    const bundle = bundleArtifact({
      namespace,
      name,
      version: push.version,
      encryptedZip: encryptObject(
        push.zip,
        encryptionKey,
        objectContext(location, push.version, bundleZipFileName(name)),
      ),
      zipSHA256,
      keyId: encryptionKey.id,
      created: push.created,
    });
    await this.pushArtifact(bundle, bundle.manifest.descriptor.digest);
    const signature = signatureArtifact({
      subject: {
        mediaType: bundle.manifest.descriptor.mediaType,
        digest: bundle.manifest.descriptor.digest,
        size: bundle.manifest.descriptor.size,
      },
      namespace,
      name,
      version: push.version,
      encryptedManifest: encryptObject(
        push.manifest,
        encryptionKey,
        objectContext(location, push.version, MANIFEST_FILE),
      ),
      signature: push.signature,
      keyId: encryptionKey.id,
    });
    const { subjectFiled } = await this.pushArtifact(signature, signature.manifest.descriptor.digest);
    // The referrers tag schema where the registry did not file the subject itself. The subject
    // was made just now, under a digest nobody knew, so it has no other referrers to keep.
    if (!subjectFiled) {
      const index = referrersIndex([], signature.manifest.descriptor);
      await this.client.putManifest(referrersTag(bundle.manifest.descriptor.digest), index);
    }
    await this.client.putManifest(versionTag(push.version), bundle.manifest);
    return bundle.manifest;
  }

  private async pushArtifact(artifact: BuiltArtifact, reference: string): Promise<{ subjectFiled: boolean }> {
    // Every blob but the empty config is ciphertext under a fresh data key, or a new signature.
    for (const blob of artifact.blobs) {
      await this.client.pushBlob(blob, { fresh: blob.descriptor.digest !== EMPTY_CONFIG.descriptor.digest });
    }
    return this.client.putManifest(reference, artifact.manifest);
  }

  /** Moves `latest` to `manifest` unless it already points at a later version; returns where it points. */
  private async moveLatest(version: number, manifest: Content): Promise<number> {
    const held = await this.client.manifest(LATEST_TAG);
    const annotations = held ? (parseImageManifest(held.bytes)?.annotations ?? {}) : {};
    if (held && annotations[ANNOTATIONS.bundle] !== this.owner) {
      throw new InvalidInputError(
        'OciTagConflict',
        `${this.where}:${LATEST_TAG} holds an artifact that is not this bundle's; give this bundle its own ` +
          'spec.target.ociRepository.repository, or delete that tag',
        'spec.target.ociRepository.repository',
      );
    }
    const current = held ? Number(annotations[ANNOTATIONS.version]) : undefined;
    if (current !== undefined && !shouldMoveLatestTag(current, version)) return current;
    await this.client.putManifest(LATEST_TAG, manifest);
    return version;
  }

  /** Removes version tags beyond keepTags: the bundle artifact, its signatures and referrers tag. */
  private async cleanUp(latestVersion: number): Promise<string[]> {
    const tags = await this.client.tags();
    const { remove } = tagsToRemove(tags, this.settings.keepTags, latestVersion);
    const removed: string[] = [];
    for (const tag of remove) {
      const held = await this.client.manifest(tag);
      if (!held) continue;
      const annotations = parseImageManifest(held.bytes)?.annotations ?? {};
      // Someone else's artifact under a version-like tag is left alone.
      if (
        annotations[ANNOTATIONS.bundle] !== this.owner ||
        annotations[ANNOTATIONS.version] !== String(versionOfTag(tag))
      ) {
        continue;
      }
      const digest = held.descriptor.digest;
      for (const referrer of await this.client.referrers(digest, MEDIA_TYPES.signatureArtifact)) {
        await this.client.deleteManifest(referrer.digest);
      }
      const index = await this.client.resolve(referrersTag(digest));
      if (index) await this.client.deleteManifest(index.digest);
      // Deleting by digest removes every tag that points at it.
      await this.client.deleteManifest(digest);
      removed.push(tag);
    }
    return removed;
  }
}
