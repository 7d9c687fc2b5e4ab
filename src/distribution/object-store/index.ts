/**
 * The S3 object-store target of a SecureConnectionBundle (spec.target.objectStore), with
 * optional client-side encryption. See docs/object-store.md.
 *
 * Per reconcile: read the Secrets named by `objectStoreSecretRefs(target)`, resolve the settings
 * (`resolveObjectStoreSettings`, throws InvalidInputError), then with one `ObjectStorePublisher`:
 * `publish` the new version, `catchUp` the versions `versionsMissingFromStore` lists, `archive`
 * the versions that became Archived, and `close` it. When the bundle is deleted,
 * `removeBundleObjects` deletes what it stored. None of these throw for store problems: a
 * `{ state: 'behind' }` result is recorded as a condition and retried with backoff.
 */
export { versionsMissingFromStore } from './catch-up.js';
export {
  decryptObject,
  ENCRYPTION_FORMAT_VERSION,
  isEncryptedObject,
  KeyEncryptionKey,
  parseKeyEncryptionKey,
  type DecryptedObject,
} from './client-side-encryption.js';
export {
  isBundleObjectKey,
  latestPointerKey,
  objectContext,
  versionKeys,
  archiveKeys,
  type BundleLocation,
} from './object-keys.js';
export { parseLatestPointer, type LatestPointer } from './latest-pointer.js';
export {
  OBJECT_METADATA,
  ObjectStorePublisher,
  type ArchiveResult,
  type CatchUpResult,
  type ObjectStorePublisherDeps,
  type PendingVersion,
  type PublishResult,
  type RemovalResult,
  type StoredVersion,
  type VersionUpload,
} from './publisher.js';
export type { StoreBehind } from './store-failures.js';
export {
  objectStoreSecretRefs,
  resolveObjectStoreSettings,
  type ObjectStoreInputs,
  type ObjectStoreSecretRefs,
  type ObjectStoreSettings,
} from './store-settings.js';
