import { InvalidInputError } from '../errors.js';
import { validatePrivateKeySpec, type KeyEncoding, type PrivateKeySpec } from '../pki/private-key.js';
import type { KeystoreProfile } from '../keystore/pkcs12.js';
import { parseDuration } from '../time/duration.js';
import { isPlatformId, PLATFORM_IDS, type ClusterConnection, type PlatformId } from './platforms/platform.js';

/**
 * Reads the parts of CassandraClusterRef / SecureConnectionBundle manifests that shape a bundle,
 * from untyped YAML/JSON (the CLI's files), applying the API's defaults. Errors name the field
 * path (`spec.connection.port`) and the fix; callers prefix the file or object they read.
 */
export const DEFAULT_CQL_TLS_PORT = 9142;
export const DEFAULT_DURATION = '2160h';
export const MINIMUM_DURATION_SECONDS = 60;

export interface ClusterRefSpec {
  name: string;
  namespace?: string;
  connection: ClusterConnection;
  trustDomain?: string;
}

export interface BundleSpec {
  name?: string;
  namespace?: string;
  identity: { commonName?: string; organizations?: string[]; spiffeId?: string; dnsNames?: string[] };
  privateKey?: PrivateKeySpec;
  durationSeconds?: number;
  platforms?: PlatformId[];
  keystoreProfile?: KeystoreProfile;
}

export function readClusterRefSpec(doc: unknown): ClusterRefSpec {
  const root = object(doc, '(document)');
  expectKind(root, 'CassandraClusterRef');
  const metadata = optionalObject(root.metadata, 'metadata') ?? {};
  const name = string(metadata.name, 'metadata.name');
  const spec = object(root.spec, 'spec');
  const connection = object(spec.connection, 'spec.connection');

  const datacenters = (optionalArray(connection.datacenters, 'spec.connection.datacenters') ?? []).map(
    (item, i) => {
      const dc = object(item, `spec.connection.datacenters[${i}]`);
      return {
        name: string(dc.name, `spec.connection.datacenters[${i}].name`),
        contactPoints: contactPoints(dc.contactPoints, `spec.connection.datacenters[${i}].contactPoints`),
      };
    },
  );
  const localDatacenter = string(connection.localDatacenter, 'spec.connection.localDatacenter');
  const names = [localDatacenter, ...datacenters.map((dc) => dc.name)];
  const repeated = names.find((dcName, i) => names.indexOf(dcName) !== i);
  if (repeated !== undefined) {
    throw invalid(
      'spec.connection.datacenters',
      `names datacenter "${repeated}" twice (the local datacenter's contact points are spec.connection.contactPoints)`,
    );
  }
  const port =
    optional(connection.port, (v) => integer(v, 'spec.connection.port', 1, 65535)) ?? DEFAULT_CQL_TLS_PORT;
  const keyspace = optional(connection.keyspace, (v) => string(v, 'spec.connection.keyspace'));
  if (keyspace !== undefined && !/^[A-Za-z0-9_]{1,48}$/.test(keyspace)) {
    throw invalid(
      'spec.connection.keyspace',
      `"${keyspace}" is not a CQL keyspace name: use 1-48 letters, digits or underscores`,
    );
  }
  const identity = optionalObject(spec.identity, 'spec.identity');
  const gateway = optionalObject(spec.gateway, 'spec.gateway');
  const metadataService = optional(gateway?.metadataAddress, (v) =>
    dnsNameAndPort(string(v, 'spec.gateway.metadataAddress'), 'spec.gateway.metadataAddress'),
  );
  return {
    name,
    namespace: optional(metadata.namespace, (v) => string(v, 'metadata.namespace')),
    connection: {
      contactPoints: contactPoints(connection.contactPoints, 'spec.connection.contactPoints'),
      port,
      localDatacenter,
      datacenters,
      keyspace,
      tlsServerName: optional(connection.tlsServerName, (v) => string(v, 'spec.connection.tlsServerName')),
      hostnameVerification:
        optional(connection.hostnameVerification, (v) =>
          boolean(v, 'spec.connection.hostnameVerification'),
        ) ?? true,
      ...(metadataService !== undefined ? { metadataService } : {}),
    },
    trustDomain: optional(identity?.trustDomain, (v) => string(v, 'spec.identity.trustDomain')),
  };
}

export function readBundleSpec(doc: unknown): BundleSpec {
  const root = object(doc, '(document)');
  expectKind(root, 'SecureConnectionBundle');
  const metadata = optionalObject(root.metadata, 'metadata') ?? {};
  const spec = optionalObject(root.spec, 'spec') ?? {};
  const identity = optionalObject(spec.identity, 'spec.identity') ?? {};
  const key = optionalObject(spec.privateKey, 'spec.privateKey');
  const keystores = optionalObject(spec.keystores, 'spec.keystores');
  return {
    name: optional(metadata.name, (v) => string(v, 'metadata.name')),
    namespace: optional(metadata.namespace, (v) => string(v, 'metadata.namespace')),
    identity: {
      commonName: optional(identity.commonName, (v) => commonName(v, 'spec.identity.commonName')),
      organizations: optional(identity.organizations, (v) => strings(v, 'spec.identity.organizations')),
      spiffeId: optional(identity.spiffeID, (v) => spiffeId(v, 'spec.identity.spiffeID')),
      dnsNames: optional(identity.dnsNames, (v) => strings(v, 'spec.identity.dnsNames')),
    },
    privateKey:
      key &&
      privateKeySpec(
        optional(key.algorithm, (v) => string(v, 'spec.privateKey.algorithm')),
        optional(key.size, (v) => integer(v, 'spec.privateKey.size', 1, 65536)),
        optional(key.encoding, (v) => string(v, 'spec.privateKey.encoding')),
      ),
    durationSeconds: optional(spec.duration, (v) =>
      certificateDuration(string(v, 'spec.duration'), 'spec.duration'),
    ),
    platforms: optional(spec.platforms, (v) => platformList(strings(v, 'spec.platforms'), 'spec.platforms')),
    keystoreProfile: optional(keystores?.profile, (v) => keystoreProfile(v, 'spec.keystores.profile')),
  };
}

/**
 * An address drivers dial in cloud mode: a DNS name (Node.js and Java check certificates against
 * it; an IP address would need IP SANs the drivers ignore) and a port, which they all require.
 */
export function dnsNameAndPort(text: string, field: string): { host: string; port: number } {
  const match =
    /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*):(\d{1,5})$/.exec(
      text,
    );
  const port = Number(match?.[2]);
  if (!match || text.length > 259 || /^[\d.]+$/.test(match[1]!) || port < 1 || port > 65535) {
    throw invalid(
      field,
      `"${text}" is not a DNS name with a port: write e.g. "cql-gateway.example.com:29080"`,
    );
  }
  return { host: match[1]!.toLowerCase(), port };
}

/** The SPIFFE ID a bundle gets when its cluster has a trust domain and the bundle names none. */
export function defaultSpiffeId(trustDomain: string, namespace: string, name: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/scb/${name}`;
}

/** A certificate lifetime: a Go duration of whole seconds, at least one minute. */
export function certificateDuration(text: string, field: string): number {
  const seconds = parseDuration(text, field);
  if (!Number.isInteger(seconds)) {
    throw invalid(
      field,
      `"${text}" has a fraction of a second; certificates count whole seconds`,
      'InvalidDuration',
    );
  }
  if (seconds < MINIMUM_DURATION_SECONDS) {
    throw invalid(field, `"${text}" is shorter than the 1m minimum: use e.g. "2160h"`, 'InvalidDuration');
  }
  return seconds;
}

export interface KeyFieldNames {
  algorithm: string;
  size: string;
  encoding: string;
}

const SPEC_KEY_FIELDS: KeyFieldNames = {
  algorithm: 'spec.privateKey.algorithm',
  size: 'spec.privateKey.size',
  encoding: 'spec.privateKey.encoding',
};

/**
 * Algorithm and size with per-algorithm defaults (ECDSA 256, RSA 2048), checked against what we
 * issue. `fields` says what to call each value in errors (spec paths, or CLI flags).
 */
export function privateKeySpec(
  algorithm: string | undefined,
  size: number | undefined,
  encoding: string | undefined,
  fields: KeyFieldNames = SPEC_KEY_FIELDS,
): PrivateKeySpec {
  const algo = algorithm ?? 'ECDSA';
  if (algo !== 'ECDSA' && algo !== 'RSA') {
    throw invalid(
      fields.algorithm,
      `"${algo}" is not supported: use ECDSA or RSA`,
      'UnsupportedKeyAlgorithm',
    );
  }
  const spec: PrivateKeySpec = {
    algorithm: algo,
    size: size ?? (algo === 'ECDSA' ? 256 : 2048),
    encoding: (encoding ?? 'PKCS8') as KeyEncoding,
  };
  try {
    validatePrivateKeySpec(spec);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    // validatePrivateKeySpec names fields "privateKey.<x>"; say what they are called here.
    const own = (error.field?.replace(/^privateKey\./, '') ?? 'algorithm') as keyof KeyFieldNames;
    const field = fields[own] ?? fields.algorithm;
    throw new InvalidInputError(error.reason, error.message.replace(/^privateKey\.\w+/, field), field);
  }
  return spec;
}

export function platformList(values: string[], field: string): PlatformId[] {
  const unknown = values.filter((value) => !isPlatformId(value));
  if (unknown.length > 0) {
    throw invalid(
      field,
      `unknown platform "${unknown.join('", "')}": choose from ${PLATFORM_IDS.join(', ')}`,
      'UnknownPlatform',
    );
  }
  const repeated = values.find((value, i) => values.indexOf(value) !== i);
  if (repeated !== undefined) throw invalid(field, `lists "${repeated}" twice: list each platform once`);
  return values as PlatformId[];
}

export function keystoreProfile(value: unknown, field: string): KeystoreProfile {
  if (value !== 'Modern' && value !== 'Legacy') {
    throw invalid(
      field,
      `"${String(value)}" is not a keystore profile: use Modern (AES-256, SHA-256 MAC) or Legacy (3DES, SHA-1 MAC)`,
    );
  }
  return value;
}

export function commonName(value: unknown, field: string): string {
  const text = string(value, field);
  if (text.length > 64) throw invalid(field, `is ${text.length} characters long; X.509 allows at most 64`);
  return text;
}

export function spiffeId(value: unknown, field: string): string {
  const text = string(value, field);
  if (!/^spiffe:\/\/[^/\s]+(\/\S*)?$/.test(text)) {
    throw invalid(field, `"${text}" is not a SPIFFE ID: write spiffe://<trust domain>/<path>`);
  }
  return text;
}

function contactPoints(value: unknown, field: string): string[] {
  const hosts = strings(value, field);
  if (hosts.length === 0) throw invalid(field, 'is empty: list at least one host name or IP address');
  const withPort = hosts.find((host) => /^[^:]+:\d+$/.test(host) || /^\[.*\]:\d+$/.test(host));
  if (withPort !== undefined) {
    throw invalid(field, `"${withPort}" includes a port: list hosts only and set spec.connection.port`);
  }
  return hosts;
}

function expectKind(root: Record<string, unknown>, kind: string): void {
  if (root.kind !== undefined && root.kind !== kind) {
    throw invalid('kind', `is "${String(root.kind)}", expected a ${kind} manifest`, 'WrongKind');
  }
}

function invalid(field: string, problem: string, reason = 'InvalidField'): InvalidInputError {
  return new InvalidInputError(reason, `${field} ${problem}`, field);
}

function optional<T>(value: unknown, read: (value: unknown) => T): T | undefined {
  return value === undefined || value === null ? undefined : read(value);
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(field, value === undefined ? 'is required' : 'must be an object (a YAML mapping)');
  }
  return value as Record<string, unknown>;
}

function optionalObject(value: unknown, field: string): Record<string, unknown> | undefined {
  return optional(value, (v) => object(v, field));
}

function optionalArray(value: unknown, field: string): unknown[] | undefined {
  return optional(value, (v) => {
    if (!Array.isArray(v)) throw invalid(field, 'must be a list');
    return v;
  });
}

function string(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalid(field, value === undefined ? 'is required' : 'must be a non-empty string');
  }
  return value;
}

function strings(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw invalid(field, 'must be a list of strings');
  return value.map((item, i) => string(item, `${field}[${i}]`));
}

function integer(value: unknown, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw invalid(field, `must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}`);
  }
  return value as number;
}

function boolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw invalid(field, 'must be true or false');
  return value;
}
