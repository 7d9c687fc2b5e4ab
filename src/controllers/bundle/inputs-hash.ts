import { createHash } from 'node:crypto';
import {
  bundleCommonName,
  bundleSpiffeID,
  clusterRefNamespace,
  privateKeySize,
  selectedPlatforms,
  type CassandraClusterRef,
  type PlatformId,
  type SecureConnectionBundle,
} from '../../api/v1alpha1/index.js';
import { DEFAULT_CQL_TLS_PORT, DEFAULT_DURATION } from '../../bundle/bundle-spec.js';
import { parseDuration } from '../../time/duration.js';
import { canonicalJson } from '../canonical-json.js';

/**
 * Exactly the inputs that change what a bundle version contains, in four groups so a status
 * message can say which one moved. Left out on purpose, because they change where or how a
 * bundle is published but not its content: renewBefore/renewBeforePercentage (they only move
 * renewalTime), privateKey.rotationPolicy (it decides about the next key, not this one), target,
 * consumers, notifications, revisionHistoryLimit, suspend, and all metadata and status. The
 * operator's own version is left out too, so an upgrade does not re-issue every bundle at once.
 * Defaults are resolved first, so writing a default explicitly is not a change.
 */
export type InputGroup = 'spec' | 'connection' | 'serverCA' | 'clientCA';

export const INPUT_GROUPS: readonly InputGroup[] = ['spec', 'connection', 'serverCA', 'clientCA'];

/** Facts the gather step reads from other objects; never secret values themselves. */
export interface GatheredContentInputs {
  /** SHA-256 fingerprints of the server CA certificates, in the order of the PEM (ca.crt keeps it). */
  serverCAFingerprints: readonly string[];
  /** Fingerprint of the client CA that would sign the next certificate (the active one). */
  clientCAFingerprint: string;
  /** secretValuesDigest of spec.keystores.passwordSecretRef's Secret, when that is set. */
  keystorePasswordsDigest?: string;
  /** secretValuesDigest of spec.credentials.secretRef's username and password, when set. */
  credentialsDigest?: string;
}

export interface InputsHash {
  /** SHA-256 (hex) over the four group hashes. */
  value: string;
  groups: Record<InputGroup, string>;
}

/** The inputs hash of a bundle as it would be issued now. */
export function bundleInputsHash(
  bundle: SecureConnectionBundle,
  cluster: CassandraClusterRef,
  gathered: GatheredContentInputs,
): InputsHash {
  const spec = bundle.spec;
  const connection = cluster.spec.connection;
  return inputsHash({
    spec: {
      clusterRef: { name: spec.clusterRef.name, namespace: clusterRefNamespace(bundle) },
      identity: {
        commonName: bundleCommonName(bundle),
        organizations: spec.identity?.organizations ?? [],
        spiffeID: bundleSpiffeID(bundle, cluster.spec.identity?.trustDomain),
        dnsNames: spec.identity?.dnsNames ?? [],
      },
      privateKey: {
        algorithm: spec.privateKey?.algorithm ?? 'ECDSA',
        size: privateKeySize(spec.privateKey),
        encoding: spec.privateKey?.encoding ?? 'PKCS8',
      },
      durationSeconds: parseDuration(spec.duration ?? DEFAULT_DURATION, 'spec.duration'),
      keystoreProfile: spec.keystores?.profile ?? 'Modern',
      platforms: [...selectedPlatforms(spec)] satisfies PlatformId[],
      keystorePasswordsDigest: gathered.keystorePasswordsDigest,
      credentialsDigest: gathered.credentialsDigest,
    },
    connection: {
      ...connection,
      port: connection.port ?? DEFAULT_CQL_TLS_PORT,
      hostnameVerification: connection.hostnameVerification ?? true,
      datacenters: connection.datacenters ?? [],
    },
    serverCA: [...gathered.serverCAFingerprints],
    clientCA: gathered.clientCAFingerprint,
  });
}

/** Hashes each group's canonical JSON, then the group hashes together. */
export function inputsHash(groups: Record<InputGroup, unknown>): InputsHash {
  const hashes = Object.fromEntries(
    INPUT_GROUPS.map((group) => [group, sha256(canonicalJson(groups[group]))]),
  ) as Record<InputGroup, string>;
  return { value: sha256(canonicalJson(hashes)), groups: hashes };
}

/** The groups whose hash differs; all of them when the recorded hash is unknown. */
export function changedInputGroups(recorded: InputsHash | undefined, desired: InputsHash): InputGroup[] {
  if (recorded?.value === desired.value) return [];
  return INPUT_GROUPS.filter((group) => recorded?.groups[group] !== desired.groups[group]);
}

/**
 * A digest of a referenced Secret's values (keystore passwords, CQL credentials), so a changed
 * password makes a new version while a label edit or a resourceVersion bump does not (hashing the
 * resourceVersion would re-issue on every metadata write). Salted with the bundle's uid so the
 * digest cannot be looked up in a table of common passwords and differs between bundles that share
 * a Secret. It goes only into the inputs hash, which is recorded next to the bundle material
 * (whose config.json holds these values anyway), never into status.
 */
export function secretValuesDigest(bundleUid: string, values: Readonly<Record<string, string>>): string {
  return sha256(canonicalJson({ salt: bundleUid, values }));
}

/** The form recorded on a version (one annotation value): the group hashes as canonical JSON. */
export function serializeInputsHash(hash: InputsHash): string {
  return canonicalJson(hash.groups);
}

/** Reads a recorded inputs hash; undefined when absent or unreadable, which counts as "changed". */
export function parseInputsHash(text: string | undefined): InputsHash | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const record = parsed as Record<string, unknown>;
  const groups: Partial<Record<InputGroup, string>> = {};
  for (const group of INPUT_GROUPS) {
    const value = record[group];
    if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) return undefined;
    groups[group] = value;
  }
  const complete = groups as Record<InputGroup, string>;
  return { value: sha256(canonicalJson(complete)), groups: complete };
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
