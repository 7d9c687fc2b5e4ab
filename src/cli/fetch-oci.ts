/**
 * `scbctl fetch oci://REGISTRY/REPO:vN`: pulls a bundle artifact the operator pushed, checks every
 * digest, opens it with the key-encryption key, and checks the manifest signature attached as a
 * referrer and the bundle itself against the operator's signing public key. Nothing is written
 * unless all of that holds.
 */
import https from 'node:https';
import { createHash, type KeyObject } from 'node:crypto';
import { bundleZipFileName, MANIFEST_FILE } from '../bundle/layout.js';
import { verifyManifestSignature } from '../bundle/signing.js';
import { verifyBundle } from '../bundle/verify-bundle.js';
import { readZip } from '../bundle/zip-reader.js';
import { decryptObject, type KeyEncryptionKey } from '../distribution/object-store/client-side-encryption.js';
import {
  ANNOTATIONS,
  MEDIA_TYPES,
  parseImageManifest,
  type Descriptor,
} from '../distribution/oci/artifact-manifest.js';
import { parseReference } from '../distribution/oci/oci-reference.js';
import {
  RegistryCallError,
  RegistryClient,
  type RegistryCredentials,
} from '../distribution/oci/registry-client.js';
import { InvalidInputError } from '../errors.js';
import type { Clock } from '../time/clock.js';
import { ClusterCommandFailure } from './cluster-access.js';
import type { FetchedBundle } from './fetch.js';

export interface OciFetchOptions {
  keys: readonly KeyEncryptionKey[];
  publicKey: KeyObject;
  credentials?: RegistryCredentials;
  /** PEM CA for the registry, besides the system's. */
  ca?: string;
  clock: Clock;
}

export interface OciFetchedBundle extends FetchedBundle {
  /** Digest of the bundle artifact's manifest. */
  digest: string;
  /** The referrer whose signature was checked. */
  signatureDigest: string;
}

const BUNDLE_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export async function fetchFromOci(
  referenceText: string,
  options: OciFetchOptions,
): Promise<OciFetchedBundle> {
  const reference = parseReference(referenceText, '<name>');
  const where = `${reference.registry}/${reference.repository}`;
  const agent = new https.Agent({ keepAlive: true, maxSockets: 2 });
  const { credentials } = options;
  const client = new RegistryClient({
    registry: reference.registry,
    repository: reference.repository,
    ...(credentials ? { credentials: () => credentials } : {}),
    agent,
    ...(options.ca ? { ca: options.ca } : {}),
  });
  try {
    const wanted = reference.digest ?? reference.tag ?? '';
    const held = await client.manifest(wanted);
    if (!held)
      throw new ClusterCommandFailure(`${where}:${wanted} does not exist (see the tags with oras repo tags)`);
    const manifest = parseImageManifest(held.bytes);
    if (manifest?.artifactType !== MEDIA_TYPES.bundleArtifact) {
      throw new ClusterCommandFailure(
        `${where}:${wanted} is not a bundle artifact of scb-operator (artifactType ${manifest?.artifactType ?? 'none'})`,
      );
    }
    const annotations = manifest.annotations ?? {};
    const [namespace = '', name = '', ...rest] = (annotations[ANNOTATIONS.bundle] ?? '').split('/');
    const version = Number(annotations[ANNOTATIONS.version]);
    if (
      rest.length > 0 ||
      !BUNDLE_NAME.test(namespace) ||
      !BUNDLE_NAME.test(name) ||
      !Number.isSafeInteger(version)
    ) {
      throw new ClusterCommandFailure(
        `${where}@${held.descriptor.digest} names no bundle and version in its annotations`,
      );
    }
    const fileName = bundleZipFileName(name);
    const zipLayer = single(manifest.layers, MEDIA_TYPES.encryptedZip, `${where}@${held.descriptor.digest}`);
    const context = (file: string) => `${namespace}/${name}/v${version}/${file}`;
    const keyId = annotations[ANNOTATIONS.keyId];
    if (keyId !== undefined && !options.keys.some((key) => key.id === keyId)) {
      throw new ClusterCommandFailure(
        `${where}@${held.descriptor.digest} is encrypted with the key-encryption key whose id is ${keyId}; ` +
          `--encryption-key has id ${options.keys.map((key) => key.id).join(', ')}: pass the key from the Secret ` +
          'named by spec.target.ociRepository.encryptionKeySecretRef when this version was pushed ' +
          '(an id is the first 16 hex digits of the SHA-256 of the 32 key bytes); not written',
      );
    }
    // The context is inside the authenticated ciphertext: a zip of another bundle or version,
    // relabelled by someone with push rights, is refused here.
    const zip = decryptObject(await client.blob(zipLayer), options.keys, context(fileName)).plaintext;

    const signature = await checkSignature(
      client,
      held.descriptor.digest,
      options.publicKey,
      options.keys,
      context(MANIFEST_FILE),
      where,
    );
    const inZip = readZip(zip, fileName).find((entry) => entry.path === MANIFEST_FILE)?.content;
    if (!inZip?.equals(signature.manifest)) {
      throw new ClusterCommandFailure(
        `${where}@${held.descriptor.digest}: the signed manifest.json of its referrer is not the one in the zip; not written`,
      );
    }
    const report = verifyBundle(zip, { publicKey: options.publicKey, clock: options.clock }, fileName);
    const failed = report.checks.filter((check) => !check.ok);
    if (failed.length > 0) {
      throw new ClusterCommandFailure(
        `${where}@${held.descriptor.digest}: the bundle does not verify (${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')}); not written`,
      );
    }
    const sha256 = createHash('sha256').update(zip).digest('hex');
    return {
      content: zip,
      fileName,
      version,
      sha256,
      digest: held.descriptor.digest,
      signatureDigest: signature.digest,
    };
  } catch (error) {
    if (error instanceof RegistryCallError) {
      const hint =
        error.status === 401 || error.status === 403
          ? ' (set SCB_REGISTRY_USERNAME and SCB_REGISTRY_PASSWORD)'
          : '';
      throw new ClusterCommandFailure(`${where}: ${error.message}${hint}`, { cause: error });
    }
    if (error instanceof InvalidInputError && error.reason.startsWith('Encrypt')) {
      throw new ClusterCommandFailure(`${where}: ${error.message}`, { cause: error });
    }
    throw error;
  } finally {
    agent.destroy();
  }
}

/** The signature referrer of `subject` whose signature checks with the public key. */
async function checkSignature(
  client: RegistryClient,
  subject: string,
  publicKey: KeyObject,
  keys: readonly KeyEncryptionKey[],
  context: string,
  where: string,
): Promise<{ digest: string; manifest: Buffer }> {
  const referrers = await client.referrers(subject, MEDIA_TYPES.signatureArtifact);
  if (referrers.length === 0) {
    throw new ClusterCommandFailure(
      `${where}@${subject} has no manifest signature attached (no referrer of type ${MEDIA_TYPES.signatureArtifact}); not written`,
    );
  }
  for (const referrer of referrers) {
    const held = await client.manifest(referrer.digest);
    const manifest = held && parseImageManifest(held.bytes);
    if (!manifest || manifest.subject?.digest !== subject) continue;
    const encrypted = single(manifest.layers, MEDIA_TYPES.encryptedManifest, `${where}@${referrer.digest}`);
    const signatureLayer = single(manifest.layers, MEDIA_TYPES.signature, `${where}@${referrer.digest}`);
    const manifestJson = decryptObject(await client.blob(encrypted), keys, context).plaintext;
    if (verifyManifestSignature(manifestJson, await client.blob(signatureLayer), publicKey)) {
      return { digest: referrer.digest, manifest: manifestJson };
    }
  }
  throw new ClusterCommandFailure(
    `${where}@${subject}: no attached manifest signature verifies with the given --public-key; not written`,
  );
}

function single(layers: readonly Descriptor[], mediaType: string, what: string): Descriptor {
  const found = layers.filter((layer) => layer.mediaType === mediaType);
  if (found.length !== 1 || !found[0]) {
    throw new ClusterCommandFailure(`${what} has ${found.length} layers of type ${mediaType}, not one`);
  }
  return found[0];
}
