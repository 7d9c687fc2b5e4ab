/**
 * The OCI artifacts a bundle version becomes (image-spec 1.1 manifests with an artifactType and
 * the empty config), built as exact bytes so their digests are known before the push. Pure.
 *
 * - the bundle artifact: one layer, the zip encrypted with the bundle's key-encryption key
 *   (SCBENC); annotations name the bundle, the version and the zip's plaintext SHA-256;
 * - its signature, a referrer (`subject` = the bundle artifact): manifest.json encrypted the
 *   same way, and manifest.sig as it is (an ECDSA signature over bytes only readers can open).
 */
import { createHash } from 'node:crypto';

export const MEDIA_TYPES = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  empty: 'application/vnd.oci.empty.v1+json',
  bundleArtifact: 'application/vnd.scb-operator.bundle.v1',
  encryptedZip: 'application/vnd.scb-operator.bundle.zip.scbenc.v1',
  signatureArtifact: 'application/vnd.scb-operator.manifest-signature.v1',
  encryptedManifest: 'application/vnd.scb-operator.manifest.json.scbenc.v1',
  signature: 'application/vnd.scb-operator.manifest.sig.v1',
} as const;

export const ANNOTATIONS = {
  title: 'org.opencontainers.image.title',
  created: 'org.opencontainers.image.created',
  bundle: 'io.scb-operator.bundle',
  version: 'io.scb-operator.version',
  zipSHA256: 'io.scb-operator.zip-sha256',
  keyId: 'io.scb-operator.kek-id',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** A blob or manifest to send: its bytes and the descriptor that names them. */
export interface Content {
  bytes: Buffer;
  descriptor: Descriptor;
}

/** The image-spec's empty JSON object, the config of every artifact. */
export const EMPTY_CONFIG: Content = content(Buffer.from('{}'), MEDIA_TYPES.empty);

export function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function content(bytes: Buffer, mediaType: string, annotations?: Record<string, string>): Content {
  return {
    bytes,
    descriptor: {
      mediaType,
      digest: digestOf(bytes),
      size: bytes.length,
      ...(annotations ? { annotations } : {}),
    },
  };
}

export interface BundleArtifactInput {
  namespace: string;
  name: string;
  version: number;
  /** The zip encrypted (SCBENC) with the key whose id is keyId. */
  encryptedZip: Buffer;
  zipSHA256: string;
  keyId: string;
  /** The version's notBefore: when it was made, not when it was pushed. */
  created: Date;
}

export interface SignatureArtifactInput {
  subject: Descriptor;
  namespace: string;
  name: string;
  version: number;
  encryptedManifest: Buffer;
  signature: Buffer;
  keyId: string;
}

export interface BuiltArtifact {
  manifest: Content;
  blobs: Content[];
}

export function bundleArtifact(input: BundleArtifactInput): BuiltArtifact {
  const zip = content(input.encryptedZip, MEDIA_TYPES.encryptedZip, {
    [ANNOTATIONS.title]: `secure-connect-${input.name}.zip.scbenc`,
  });
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    artifactType: MEDIA_TYPES.bundleArtifact,
    config: EMPTY_CONFIG.descriptor,
    layers: [zip.descriptor],
    annotations: {
      [ANNOTATIONS.created]: input.created.toISOString(),
      [ANNOTATIONS.bundle]: `${input.namespace}/${input.name}`,
      [ANNOTATIONS.version]: String(input.version),
      [ANNOTATIONS.zipSHA256]: input.zipSHA256,
      [ANNOTATIONS.keyId]: input.keyId,
    },
  };
  return { manifest: manifestContent(manifest), blobs: [EMPTY_CONFIG, zip] };
}

export function signatureArtifact(input: SignatureArtifactInput): BuiltArtifact {
  const manifestJson = content(input.encryptedManifest, MEDIA_TYPES.encryptedManifest, {
    [ANNOTATIONS.title]: 'manifest.json.scbenc',
  });
  const signature = content(input.signature, MEDIA_TYPES.signature, { [ANNOTATIONS.title]: 'manifest.sig' });
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    artifactType: MEDIA_TYPES.signatureArtifact,
    config: EMPTY_CONFIG.descriptor,
    layers: [manifestJson.descriptor, signature.descriptor],
    subject: input.subject,
    annotations: {
      [ANNOTATIONS.bundle]: `${input.namespace}/${input.name}`,
      [ANNOTATIONS.version]: String(input.version),
      [ANNOTATIONS.keyId]: input.keyId,
    },
  };
  return { manifest: manifestContent(manifest), blobs: [EMPTY_CONFIG, manifestJson, signature] };
}

function manifestContent(manifest: ImageManifest): Content {
  const bytes = Buffer.from(JSON.stringify(manifest));
  const { artifactType, annotations } = manifest;
  return {
    bytes,
    descriptor: {
      mediaType: MEDIA_TYPES.manifest,
      digest: digestOf(bytes),
      size: bytes.length,
      ...(artifactType ? { artifactType } : {}),
      ...(annotations ? { annotations } : {}),
    },
  };
}

/**
 * The referrers tag schema's index (for registries without the referrers API): the descriptors
 * already filed under the subject's tag, plus `added` once.
 */
export function referrersIndex(existing: readonly Descriptor[], added: Descriptor): Content {
  const manifests = [...existing.filter((d) => d.digest !== added.digest), added];
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests }));
  return { bytes, descriptor: { mediaType: MEDIA_TYPES.index, digest: digestOf(bytes), size: bytes.length } };
}

/** Reads a manifest as the registry returned it; undefined when it is not an image manifest. */
export function parseImageManifest(bytes: Buffer): ImageManifest | undefined {
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as Partial<ImageManifest>;
    if (parsed.schemaVersion !== 2 || !Array.isArray(parsed.layers) || typeof parsed.config !== 'object') {
      return undefined;
    }
    return parsed as ImageManifest;
  } catch {
    return undefined;
  }
}

/** The `manifests` of an image index (the referrers API answer, or a referrers tag). */
export function parseIndex(bytes: Buffer): Descriptor[] | undefined {
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as { manifests?: unknown };
    return Array.isArray(parsed.manifests) ? (parsed.manifests as Descriptor[]) : undefined;
  } catch {
    return undefined;
  }
}
