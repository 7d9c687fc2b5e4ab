/**
 * Writes bundle versions to an S3 bucket: immutable `v<N>/` objects, a forward-only `latest.json`,
 * and moves to `archive/v<N>/`; deletes them all when the bundle is deleted. Every call answers with a typed result instead of throwing for
 * store problems, so the caller can publish the Secret regardless and record that the store is
 * behind. Assumes one writer per bundle (the operator's leader), as the rest of the operator does.
 */
import { createHash } from 'node:crypto';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { bundleZipFileName, MANIFEST_FILE } from '../../bundle/layout.js';
import { InvalidInputError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { DEFAULT_OUTBOUND_POLICY, OutboundGuard } from '../outbound/index.js';
import { sha256Hex } from '../../pki/fingerprint.js';
import { encryptObject } from './client-side-encryption.js';
import {
  parseLatestPointer,
  serializeLatestPointer,
  shouldMoveLatest,
  type LatestPointer,
} from './latest-pointer.js';
import {
  archiveKeys,
  bundleRoot,
  isBundleObjectKey,
  latestPointerKey,
  objectContext,
  versionKeys,
} from './object-keys.js';
import { createS3Client } from './s3-client.js';
import { storeFailure, type StoreBehind } from './store-failures.js';
import type { ObjectStoreSettings } from './store-settings.js';

/** User metadata on every object we write (S3 sends it as x-amz-meta-*). */
export const OBJECT_METADATA = {
  /** SHA-256 of the plaintext: how a re-upload is recognised as the same object, encrypted or not. */
  sha256: 'scb-sha256',
  bundle: 'scb-bundle',
  version: 'scb-version',
  /** `SCBENC-1` when the object is encrypted client-side. */
  encryption: 'scb-encryption',
  /** Id of the key-encryption key that wraps the object's data key. */
  keyId: 'scb-kek-id',
} as const;

export interface VersionUpload {
  version: number;
  /** The bundle zip, byte for byte as in the version Secret. */
  zip: Buffer;
  /** manifest.json as in the zip. */
  manifest: Buffer;
}

export interface StoredVersion {
  version: number;
  /** Key of the zip: what status.versions[].objectKey records. */
  objectKey: string;
  manifestKey: string;
  /** False when both objects were already there with the same content (a repeated publish). */
  uploaded: boolean;
}

export type PublishResult = ({ state: 'stored'; latestVersion: number } & StoredVersion) | StoreBehind;

export type ArchiveResult =
  | { state: 'archived'; version: number; objectKey: string }
  /** Nothing of this version is in the bucket, live or archived: leave objectKey unset. */
  | { state: 'notStored'; version: number }
  | StoreBehind;

export type RemovalResult =
  /** `deleted` objects were the bundle's; `leftAlone` were under its root but not its own. */
  { state: 'removed'; deleted: number; leftAlone: number } | StoreBehind;

/** A version status lists without an objectKey; `load` reads its zip and manifest (its Secret). */
export interface PendingVersion {
  version: number;
  load(): Promise<VersionUpload>;
}

export type CatchUpResult =
  | { state: 'current'; stored: StoredVersion[] }
  | (StoreBehind & { stored: StoredVersion[]; pending: number[] });

export interface ObjectStorePublisherDeps {
  logger: Logger;
  /** Vets every connection of the client built from the settings; by default only public addresses. */
  outbound?: OutboundGuard;
  /** A client of the caller's (tests, benchmarks); by default one is built from the settings. */
  client?: S3Client;
}

/** A store call failed; carries what the caller is told. */
class StoreCallFailed extends Error {
  constructor(readonly behind: StoreBehind) {
    super(behind.message);
  }
}

interface ObjectHead {
  sha256?: string;
  /** `<namespace>/<name>` of the bundle that wrote it. */
  bundle?: string;
  version?: string;
}

export class ObjectStorePublisher {
  private readonly client: S3Client;
  private readonly ownsClient: boolean;

  constructor(
    private readonly settings: ObjectStoreSettings,
    private readonly deps: ObjectStorePublisherDeps,
  ) {
    this.client =
      deps.client ??
      createS3Client(settings, deps.outbound ?? new OutboundGuard({ policy: DEFAULT_OUTBOUND_POLICY }));
    this.ownsClient = deps.client === undefined;
  }

  /**
   * Uploads version N's zip and manifest (skipping objects already there with the same content,
   * refusing to replace different ones), then moves `latest.json` to N unless it already points
   * at N or later.
   */
  async publish(upload: VersionUpload): Promise<PublishResult> {
    const { location } = this.settings;
    const keys = versionKeys(location, upload.version);
    const zipSha256 = sha256Hex(upload.zip);
    try {
      const zipUploaded = await this.putOnce(
        keys.zip,
        upload.version,
        bundleZipFileName(location.name),
        upload.zip,
      );
      const manifestUploaded = await this.putOnce(
        keys.manifest,
        upload.version,
        MANIFEST_FILE,
        upload.manifest,
      );
      const latestVersion = await this.moveLatest({
        version: upload.version,
        objectKey: keys.zip,
        sha256: zipSha256,
      });
      const stored: StoredVersion = {
        version: upload.version,
        objectKey: keys.zip,
        manifestKey: keys.manifest,
        uploaded: zipUploaded || manifestUploaded,
      };
      this.deps.logger.info('bundle version stored in the object store', {
        bucket: this.settings.bucket,
        objectKey: keys.zip,
        version: upload.version,
        uploaded: stored.uploaded,
        latestVersion,
        encryptionKeyId: this.settings.encryptionKey?.id,
      });
      return { state: 'stored', latestVersion, ...stored };
    } catch (error) {
      return this.behind(error, upload.version);
    }
  }

  /** Moves version N's objects to `archive/v<N>/` (copy, then delete); safe to repeat. */
  async archive(version: number): Promise<ArchiveResult> {
    const from = versionKeys(this.settings.location, version);
    const to = archiveKeys(this.settings.location, version);
    try {
      const zipPresent = await this.move(from.zip, to.zip);
      await this.move(from.manifest, to.manifest);
      if (!zipPresent) {
        // HEAD says 404 for a missing bucket too: only a bucket that exists can lack the version.
        await this.requireBucket();
        return { state: 'notStored', version };
      }
      this.deps.logger.info('bundle version archived in the object store', {
        bucket: this.settings.bucket,
        objectKey: to.zip,
        version,
      });
      return { state: 'archived', version, objectKey: to.zip };
    } catch (error) {
      return this.behind(error, version);
    }
  }

  /**
   * Uploads versions the store missed, oldest first, stopping at the first failure so the store
   * never holds a newer version without the older ones before it.
   */
  async catchUp(pending: readonly PendingVersion[]): Promise<CatchUpResult> {
    const ordered = [...pending].sort((a, b) => a.version - b.version);
    const stored: StoredVersion[] = [];
    for (const [index, next] of ordered.entries()) {
      const result = await this.publish(await next.load());
      if (result.state === 'behind') {
        return { ...result, stored, pending: ordered.slice(index).map((p) => p.version) };
      }
      const { version, objectKey, manifestKey, uploaded } = result;
      stored.push({ version, objectKey, manifestKey, uploaded });
    }
    return { state: 'current', stored };
  }

  /**
   * Deletes every object this publisher writes for the bundle (both version folders, archive/ and
   * latest.json) and nothing else: a key is deleted only when it has one of the bundle's key shapes
   * directly under its root and, for a version object, the object says it belongs to this bundle
   * and version. A missing bucket holds nothing of the bundle. Safe to repeat.
   */
  async removeBundleObjects(): Promise<RemovalResult> {
    const { bucket, location } = this.settings;
    const root = `${bundleRoot(location)}/`;
    let deleted = 0;
    let leftAlone = 0;
    try {
      let token: string | undefined;
      do {
        const page = await this.listPage(root, token);
        if (page === 'noSuchBucket') return { state: 'removed', deleted, leftAlone };
        for (const key of page.keys) {
          if (await this.isOwnObject(key)) {
            await this.call('DELETE', key, () =>
              this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })),
            );
            deleted += 1;
          } else {
            leftAlone += 1;
          }
        }
        token = page.next;
      } while (token);
    } catch (error) {
      return this.behind(error, undefined);
    }
    this.deps.logger.info('bundle objects deleted from the object store', {
      bucket,
      root,
      deleted,
      leftAlone,
    });
    return { state: 'removed', deleted, leftAlone };
  }

  /** Releases the client's sockets (only a client this publisher built). */
  close(): void {
    if (this.ownsClient) this.client.destroy();
  }

  /** Puts `plaintext` under `key` unless it is there already; true when it wrote. */
  private async putOnce(key: string, version: number, fileName: string, plaintext: Buffer): Promise<boolean> {
    const { location, encryptionKey, bucket } = this.settings;
    const sha256 = sha256Hex(plaintext);
    const existing = await this.head(key);
    if (existing) {
      if (existing.sha256 === sha256) return false;
      throw new InvalidInputError(
        'ObjectStoreKeyConflict',
        `s3://${bucket}/${key} already holds a different object (SHA-256 ${existing.sha256 ?? 'unknown'}, ` +
          `this version's is ${sha256}); versions are never overwritten. Another cluster or operator ` +
          'writes under the same prefix: give this bundle its own spec.target.objectStore.prefix',
        'spec.target.objectStore.prefix',
      );
    }
    const context = objectContext(location, version, fileName);
    const body = encryptionKey ? encryptObject(plaintext, encryptionKey, context) : plaintext;
    await this.put(key, body, {
      contentType: encryptionKey ? 'application/octet-stream' : contentTypeOf(fileName),
      metadata: {
        [OBJECT_METADATA.sha256]: sha256,
        [OBJECT_METADATA.bundle]: `${location.namespace}/${location.name}`,
        [OBJECT_METADATA.version]: String(version),
        ...(encryptionKey
          ? { [OBJECT_METADATA.encryption]: 'SCBENC-1', [OBJECT_METADATA.keyId]: encryptionKey.id }
          : {}),
      },
    });
    return true;
  }

  private async listPage(
    prefix: string,
    token: string | undefined,
  ): Promise<{ keys: string[]; next: string | undefined } | 'noSuchBucket'> {
    const bucket = this.settings.bucket;
    return this.call('LIST', prefix, async () => {
      try {
        const page = await this.client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        const keys = (page.Contents ?? []).flatMap((entry) => (entry.Key ? [entry.Key] : []));
        return { keys, next: page.IsTruncated ? page.NextContinuationToken : undefined };
      } catch (error) {
        if ((error as { name?: unknown } | null)?.name === 'NoSuchBucket') return 'noSuchBucket';
        throw error;
      }
    });
  }

  /**
   * latest.json is the bundle's by its key alone: no other bundle's key can equal it. A version
   * object's key can, when one of two bundles is named "archive" in a namespace named after the
   * other (the v<N>/ of one spells the archive/v<N>/ of the other), so its metadata must name this
   * bundle and version too.
   */
  private async isOwnObject(key: string): Promise<boolean> {
    const { location } = this.settings;
    if (!isBundleObjectKey(location, key)) return false;
    if (key === latestPointerKey(location)) return true;
    const version = /\/v([0-9]+)\/[^/]+$/.exec(key)?.[1];
    const head = await this.head(key);
    return head?.bundle === `${location.namespace}/${location.name}` && head.version === version;
  }

  /** Read, compare, write: returns the version `latest.json` points at afterwards. */
  private async moveLatest(candidate: LatestPointer): Promise<number> {
    const key = latestPointerKey(this.settings.location);
    const current = await this.call('GET', key, async () => {
      try {
        const response = await this.client.send(
          new GetObjectCommand({ Bucket: this.settings.bucket, Key: key }),
        );
        return parseLatestPointer(Buffer.from((await response.Body?.transformToByteArray()) ?? []));
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    });
    if (!shouldMoveLatest(current, candidate)) return current?.version ?? candidate.version;
    const { namespace, name } = this.settings.location;
    await this.put(key, serializeLatestPointer(candidate), {
      contentType: 'application/json',
      metadata: { [OBJECT_METADATA.bundle]: `${namespace}/${name}` },
    });
    return candidate.version;
  }

  /** True when `from` existed or `to` already holds it; false when neither exists. */
  private async move(from: string, to: string): Promise<boolean> {
    const [source, target] = [await this.head(from), await this.head(to)];
    if (!source) return target !== undefined;
    if (target && (target.sha256 === undefined || target.sha256 !== source.sha256)) {
      throw new InvalidInputError(
        'ObjectStoreKeyConflict',
        `cannot archive s3://${this.settings.bucket}/${from}: ${to} already holds a different object; ` +
          'another cluster or operator writes under the same prefix: give this bundle its own ' +
          'spec.target.objectStore.prefix, or remove the stray archive object',
        'spec.target.objectStore.prefix',
      );
    }
    const bucket = this.settings.bucket;
    if (!target) {
      await this.call('COPY', to, () =>
        this.client.send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key: to,
            CopySource: `${bucket}/${from.split('/').map(encodeURIComponent).join('/')}`,
            MetadataDirective: 'COPY',
            ...this.serverSideEncryption(),
          }),
        ),
      );
    }
    await this.call('DELETE', from, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: from })),
    );
    return true;
  }

  private async requireBucket(): Promise<void> {
    const bucket = this.settings.bucket;
    await this.call('HEAD', '', async () => {
      try {
        await this.client.send(new HeadBucketCommand({ Bucket: bucket }));
      } catch (error) {
        throw isNotFound(error)
          ? Object.assign(new Error('no such bucket'), { name: 'NoSuchBucket' })
          : error;
      }
    });
  }

  private head(key: string): Promise<ObjectHead | undefined> {
    return this.call('HEAD', key, async () => {
      try {
        const head = await this.client.send(
          new HeadObjectCommand({ Bucket: this.settings.bucket, Key: key }),
        );
        const metadata = head.Metadata ?? {};
        const sha256 = metadata[OBJECT_METADATA.sha256];
        const bundle = metadata[OBJECT_METADATA.bundle];
        const version = metadata[OBJECT_METADATA.version];
        return {
          ...(sha256 ? { sha256 } : {}),
          ...(bundle ? { bundle } : {}),
          ...(version ? { version } : {}),
        };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    });
  }

  private async put(
    key: string,
    body: Buffer,
    options: { contentType: string; metadata: Record<string, string> },
  ): Promise<void> {
    await this.call('PUT', key, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.settings.bucket,
          Key: key,
          Body: body,
          ContentType: options.contentType,
          // The store checks the body arrived intact, whatever its checksum support.
          ContentMD5: createHash('md5').update(body).digest('base64'),
          Metadata: options.metadata,
          ...this.serverSideEncryption(),
        }),
      ),
    );
  }

  private serverSideEncryption() {
    const sse = this.settings.serverSideEncryption;
    if (!sse) return {};
    return { ServerSideEncryption: sse.type, ...(sse.kmsKeyId ? { SSEKMSKeyId: sse.kmsKeyId } : {}) };
  }

  /** Runs one store call; a failure leaves as StoreCallFailed naming the call. */
  private async call<T>(operation: string, key: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof StoreCallFailed) throw error;
      const { bucket, endpoint } = this.settings;
      throw new StoreCallFailed(storeFailure(error, { bucket, endpoint, operation, key }));
    }
  }

  /** `version` undefined: the call concerned the whole bundle, not one version. */
  private behind(error: unknown, version: number | undefined): StoreBehind {
    const behind =
      error instanceof StoreCallFailed
        ? error.behind
        : storeFailure(error, {
            bucket: this.settings.bucket,
            endpoint: this.settings.endpoint,
            operation: 'store',
            key:
              version === undefined
                ? `${bundleRoot(this.settings.location)}/`
                : versionKeys(this.settings.location, version).zip,
          });
    this.deps.logger.warn('object store is behind', {
      bucket: this.settings.bucket,
      version,
      reason: behind.reason,
      message: behind.message,
      ...(behind.detail ? { detail: behind.detail } : {}),
    });
    return behind;
  }
}

function contentTypeOf(fileName: string): string {
  return fileName.endsWith('.json') ? 'application/json' : 'application/zip';
}

function isNotFound(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const record = error as { name?: unknown };
  // Not a bare 404: NoSuchBucket is a 404 too, and must surface as itself.
  return record.name === 'NotFound' || record.name === 'NoSuchKey';
}
