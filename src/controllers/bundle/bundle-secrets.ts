import { createHash } from 'node:crypto';
import type { V1ObjectMeta, V1Secret } from '@kubernetes/client-node';
import {
  SECURE_CONNECTION_BUNDLE,
  bundleSecretName,
  type BundleVersion,
  type SecureConnectionBundle,
} from '../../api/v1alpha1/index.js';
import type { BundleFile } from '../../bundle/layout.js';
import { InvalidInputError } from '../../errors.js';
import { controllerReference, ownedLabels, VERSION_LABEL } from '../ownership.js';
import { statusTime } from '../status-time.js';
import { parseInputsHash, serializeInputsHash, type InputsHash } from './inputs-hash.js';

/**
 * The two kinds of Secret a bundle owns:
 * - the published Secret (spec.target.secret.name, default `<name>-scb`) that pods mount: the
 *   zip plus the bundle's top-level files, replaced in place with each version;
 * - one immutable Secret per kept version (`<published>-v<N>`), holding that version's zip and,
 *   in annotations, what the operator needs to reason about it after a restart (the inputs hash,
 *   the signing CA, the rotate token it answered). Creating it is what claims the number N:
 *   creation fails if the name exists, so a number can never name two bundles.
 */
const ANNOTATION_PREFIX = 'scb-operator.io/';
export const ANNOTATIONS = {
  version: `${ANNOTATION_PREFIX}version`,
  bundleSHA256: `${ANNOTATION_PREFIX}bundle-sha256`,
  certificateSHA256: `${ANNOTATION_PREFIX}certificate-sha256`,
  serialNumber: `${ANNOTATION_PREFIX}serial-number`,
  notBefore: `${ANNOTATION_PREFIX}not-before`,
  notAfter: `${ANNOTATION_PREFIX}not-after`,
  createdAt: `${ANNOTATION_PREFIX}created-at`,
  size: `${ANNOTATION_PREFIX}size`,
  inputsHash: `${ANNOTATION_PREFIX}inputs-hash`,
  issuerFingerprint: `${ANNOTATION_PREFIX}issuer-sha256`,
  rotateToken: `${ANNOTATION_PREFIX}rotate-token-sha256`,
} as const;

/** What a version Secret records about its version (never key material). */
export interface VersionRecord {
  version: number;
  bundleSHA256: string;
  certificateSHA256: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  createdAt: Date;
  size: number;
  /** Undefined when unreadable: counts as "inputs changed". */
  inputsHash: InputsHash | undefined;
  issuerFingerprint: string;
  /** SHA-256 of the rotate annotation this version answered; undefined when there was none. */
  rotateTokenDigest: string | undefined;
}

/** A Secret as the informer keeps it: metadata and a digest of the zip, not the data itself. */
export interface ObservedSecret extends V1Secret {
  /** SHA-256 (hex) of the one `*.zip` entry in data; undefined when there is none. */
  zipSHA256?: string;
}

/**
 * Drops data (up to hundreds of KB per bundle) and managedFields before the informer caches it.
 * Idempotent (an observed Secret keeps its digest), so a list may observe each page as it comes
 * and the informer observe again.
 */
export function observeSecret(secret: V1Secret | ObservedSecret): ObservedSecret {
  const metadata = { ...secret.metadata };
  delete metadata.managedFields;
  const zipKeys = Object.keys(secret.data ?? {}).filter((key) => key.endsWith('.zip'));
  const zip = zipKeys.length === 1 && zipKeys[0] !== undefined ? secret.data?.[zipKeys[0]] : undefined;
  const observed = secret.data === undefined ? (secret as ObservedSecret).zipSHA256 : undefined;
  const zipSHA256 = zip !== undefined ? sha256Hex(Buffer.from(zip, 'base64')) : observed;
  return {
    apiVersion: secret.apiVersion ?? 'v1',
    kind: secret.kind ?? 'Secret',
    metadata,
    ...(secret.type !== undefined ? { type: secret.type } : {}),
    ...(zipSHA256 !== undefined ? { zipSHA256 } : {}),
  };
}

/**
 * The bundle zip a (full, fetched) bundle Secret holds; undefined when it holds none, or when
 * `expectedSHA256` (what status recorded for that version) is given and the zip is not that
 * one: a version Secret deleted and re-created by someone else is never read as ours.
 */
export function secretZip(secret: V1Secret | undefined, expectedSHA256?: string): Buffer | undefined {
  const zipKey = Object.keys(secret?.data ?? {}).find((key) => key.endsWith('.zip'));
  const base64 = zipKey ? secret?.data?.[zipKey] : undefined;
  const zip = base64 === undefined ? undefined : Buffer.from(base64, 'base64');
  if (zip === undefined || expectedSHA256 === undefined) return zip;
  return sha256Hex(zip) === expectedSHA256 ? zip : undefined;
}

export function rotateTokenDigest(token: string | undefined): string | undefined {
  return token === undefined ? undefined : sha256Hex(Buffer.from(token, 'utf8'));
}

/** `<published Secret>-v<N>`; refused when it would exceed the 253-character name limit. */
export function versionSecretName(bundle: SecureConnectionBundle, version: number): string {
  const name = `${bundleSecretName(bundle)}-v${version}`;
  if (name.length > 253) {
    throw new InvalidInputError(
      'SecretNameTooLong',
      `version Secret name "${name.slice(0, 40)}…" would exceed 253 characters: set a shorter spec.target.secret.name`,
      'spec.target.secret.name',
    );
  }
  return name;
}

export function versionSecret(
  bundle: SecureConnectionBundle,
  record: VersionRecord,
  zip: { fileName: string; content: Buffer },
): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: versionSecretName(bundle, record.version),
      namespace: bundle.metadata.namespace,
      labels: { ...ownedLabels('bundle-version'), [VERSION_LABEL]: String(record.version) },
      annotations: recordAnnotations(record),
      ownerReferences: [controllerReference({ ...bundle, kind: SECURE_CONNECTION_BUNDLE.kind })],
    },
    type: 'Opaque',
    immutable: true,
    data: { [zip.fileName]: zip.content.toString('base64') },
  };
}

/**
 * The Secret pods mount: the zip (for drivers that read it whole) and every top-level file of
 * the bundle (for those that take paths). Files under platforms/ stay in the zip only: Secret
 * keys cannot hold a '/'. The user's labels and annotations from spec.target.secret are kept,
 * ours win on a clash.
 */
export function publishedSecret(
  bundle: SecureConnectionBundle,
  record: VersionRecord,
  zip: { fileName: string; content: Buffer },
  files: readonly BundleFile[],
): V1Secret {
  const target = bundle.spec.target?.secret;
  const data: Record<string, string> = {};
  for (const file of files) if (!file.path.includes('/')) data[file.path] = file.content.toString('base64');
  data[zip.fileName] = zip.content.toString('base64');
  const annotations: Record<string, string> = {};
  for (const [key, value] of Object.entries(target?.annotations ?? {})) {
    if (value !== undefined) annotations[key] = value;
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: bundleSecretName(bundle),
      namespace: bundle.metadata.namespace,
      labels: ownedLabels('published-bundle', target?.labels),
      annotations: {
        ...annotations,
        [ANNOTATIONS.version]: String(record.version),
        [ANNOTATIONS.bundleSHA256]: record.bundleSHA256,
        [ANNOTATIONS.notAfter]: statusTime(record.notAfter),
      },
      ownerReferences: [controllerReference({ ...bundle, kind: SECURE_CONNECTION_BUNDLE.kind })],
    },
    type: 'Opaque',
    data,
  };
}

function recordAnnotations(record: VersionRecord): Record<string, string> {
  return {
    [ANNOTATIONS.version]: String(record.version),
    [ANNOTATIONS.bundleSHA256]: record.bundleSHA256,
    [ANNOTATIONS.certificateSHA256]: record.certificateSHA256,
    [ANNOTATIONS.serialNumber]: record.serialNumber,
    [ANNOTATIONS.notBefore]: statusTime(record.notBefore),
    [ANNOTATIONS.notAfter]: statusTime(record.notAfter),
    [ANNOTATIONS.createdAt]: statusTime(record.createdAt),
    [ANNOTATIONS.size]: String(record.size),
    [ANNOTATIONS.issuerFingerprint]: record.issuerFingerprint,
    ...(record.inputsHash ? { [ANNOTATIONS.inputsHash]: serializeInputsHash(record.inputsHash) } : {}),
    ...(record.rotateTokenDigest ? { [ANNOTATIONS.rotateToken]: record.rotateTokenDigest } : {}),
  };
}

/**
 * Reads a version Secret's record back; undefined when the annotations are incomplete or
 * malformed (a Secret someone else labelled, or one edited by hand), which the controller then
 * treats as a number that is taken but holds nothing it can reuse.
 */
export function readVersionRecord(metadata: V1ObjectMeta | undefined): VersionRecord | undefined {
  const a = metadata?.annotations ?? {};
  const version = Number(a[ANNOTATIONS.version]);
  const size = Number(a[ANNOTATIONS.size] || Number.NaN);
  const notBefore = parseTime(a[ANNOTATIONS.notBefore]);
  const notAfter = parseTime(a[ANNOTATIONS.notAfter]);
  const createdAt = parseTime(a[ANNOTATIONS.createdAt]);
  const bundleSHA256 = a[ANNOTATIONS.bundleSHA256];
  const certificateSHA256 = a[ANNOTATIONS.certificateSHA256];
  const serialNumber = a[ANNOTATIONS.serialNumber];
  const issuerFingerprint = a[ANNOTATIONS.issuerFingerprint];
  if (
    !Number.isSafeInteger(version) ||
    version < 1 ||
    !Number.isSafeInteger(size) ||
    size < 0 ||
    !notBefore ||
    !notAfter ||
    !createdAt ||
    !bundleSHA256 ||
    !certificateSHA256 ||
    !serialNumber ||
    !issuerFingerprint
  ) {
    return undefined;
  }
  return {
    version,
    bundleSHA256,
    certificateSHA256,
    serialNumber,
    notBefore,
    notAfter,
    createdAt,
    size,
    inputsHash: parseInputsHash(a[ANNOTATIONS.inputsHash]),
    issuerFingerprint,
    rotateTokenDigest: a[ANNOTATIONS.rotateToken],
  };
}

/** The version number a version Secret claims (from its label), whether or not its record reads. */
export function claimedVersion(metadata: V1ObjectMeta | undefined): number | undefined {
  const value = Number(metadata?.labels?.[VERSION_LABEL]);
  return Number.isSafeInteger(value) && value >= 1 ? value : undefined;
}

/** The status.versions entry for a version just issued (its state is settled by the history). */
export function versionEntry(record: VersionRecord, secretName: string): BundleVersion {
  return {
    version: record.version,
    serialNumber: record.serialNumber,
    certificateSHA256: record.certificateSHA256,
    bundleSHA256: record.bundleSHA256,
    size: record.size,
    createdAt: statusTime(record.createdAt),
    expiresAt: statusTime(record.notAfter),
    state: 'Active',
    secretName,
  };
}

function parseTime(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
