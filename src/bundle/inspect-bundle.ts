import { certificateFacts, pemCertificates, type CertificateFacts } from './certificate-facts.js';
import { MANIFEST_FILE, SIGNATURE_FILE } from './layout.js';
import { sha256Hex } from '../pki/fingerprint.js';
import { recordFor } from './compatibility.js';
import { bundleFormatVersion, parseManifest, type BundleManifest } from './manifest.js';
import type { DriverVersions } from './platforms/driver-versions.js';
import { BUNDLE_FILES, isPlatformId } from './platforms/platform.js';
import { readZip } from './zip-reader.js';

/**
 * What a bundle holds, for people and pipelines: identity, validity, fingerprints, cluster.
 * JSON-serialisable and free of secrets — no password, no key, no certificate body. Works on
 * Astra's own bundles too (they have no manifest).
 */
export interface BundleInspection {
  bundle?: {
    name: string;
    namespace?: string;
    version: number;
    cluster: { name: string; namespace?: string };
  };
  generator?: { name: string; version: string };
  /** From the manifest; `recorded: false` is a format 1 bundle, written before the field existed. */
  format?: { version: number; recorded: boolean };
  /** Per platform, the client versions the configuration is written for (format 2 and later). */
  compatibility?: Record<string, DriverVersions>;
  signature?: { algorithm: string; keyId: string };
  certificate?: CertificateFacts;
  /** Issuers sent with the certificate (from `cert`), nearest first. */
  chain: Pick<CertificateFacts, 'subject' | 'issuer' | 'sha256Fingerprint' | 'notAfter'>[];
  serverCa: Pick<CertificateFacts, 'subject' | 'sha256Fingerprint' | 'notAfter'>[];
  cluster?: {
    host?: string;
    contactPoints?: string[];
    port?: number;
    localDatacenter?: string;
    datacenters?: Record<string, string[]>;
    keyspace?: string;
    tlsServerName?: string;
    hostnameVerification?: boolean;
  };
  credentialsIncluded: boolean;
  platforms: string[];
  files: { path: string; size: number; sha256: string }[];
}

export function inspectBundle(zip: Buffer, what = 'bundle'): BundleInspection {
  const entries = readZip(zip, what);
  const files = new Map(entries.map((entry) => [entry.path, entry.content]));
  const text = (path: string): string | undefined => files.get(path)?.toString('utf8');

  const manifestBytes = files.get(MANIFEST_FILE);
  const parsed = manifestBytes ? parseManifest(manifestBytes) : undefined;
  const manifest = parsed && 'manifest' in parsed ? parsed.manifest : undefined;

  const certs = safeCertificates(text(BUNDLE_FILES.cert));
  const leaf = certs[0];
  const config = safeJson(text(BUNDLE_FILES.config));

  const platforms = manifest?.platforms ?? [
    ...new Set(
      entries.map((e) => /^platforms\/([^/]+)\//.exec(e.path)?.[1]).filter((id) => id !== undefined),
    ),
  ];

  return {
    bundle: manifest && {
      name: manifest.bundle.name,
      namespace: manifest.bundle.namespace,
      version: manifest.bundle.version,
      cluster: manifest.bundle.cluster,
    },
    generator: manifest?.generator,
    format: manifest && bundleFormatVersion(manifest),
    compatibility: manifest?.compatibility && compatibilityOf(manifest),
    signature: manifest?.signature,
    certificate: leaf && certificateFacts(leaf),
    chain: certs.slice(1).map((cert) => {
      const facts = certificateFacts(cert);
      return {
        subject: facts.subject,
        issuer: facts.issuer,
        sha256Fingerprint: facts.sha256Fingerprint,
        notAfter: facts.notAfter,
      };
    }),
    serverCa: safeCertificates(text(BUNDLE_FILES.caCert)).map((cert) => {
      const facts = certificateFacts(cert);
      return { subject: facts.subject, sha256Fingerprint: facts.sha256Fingerprint, notAfter: facts.notAfter };
    }),
    cluster: config && {
      host: stringField(config.host),
      contactPoints: Array.isArray(config.contactPoints) ? config.contactPoints.map(String) : undefined,
      port: numberField(config.cql_port) ?? numberField(config.port),
      localDatacenter: stringField(config.localDC),
      datacenters: isRecord(config.datacenters)
        ? (config.datacenters as Record<string, string[]>)
        : undefined,
      keyspace: stringField(config.keyspace),
      tlsServerName: stringField(config.tlsServerName),
      hostnameVerification:
        typeof config.hostnameVerification === 'boolean' ? config.hostnameVerification : undefined,
    },
    credentialsIncluded:
      config !== undefined && (config.username !== undefined || config.password !== undefined),
    platforms,
    files: entries
      .filter((entry) => entry.path !== MANIFEST_FILE && entry.path !== SIGNATURE_FILE)
      .map((entry) => ({ path: entry.path, size: entry.content.length, sha256: sha256Hex(entry.content) })),
  };
}

function compatibilityOf(manifest: BundleManifest): Record<string, DriverVersions> {
  return Object.fromEntries(
    manifest.platforms.flatMap((id) => {
      const row = isPlatformId(id) ? recordFor(manifest, id) : undefined;
      return row ? [[id, row]] : [];
    }),
  );
}

function safeCertificates(pem: string | undefined) {
  if (pem === undefined) return [];
  try {
    return pemCertificates(pem);
  } catch {
    return [];
  }
}

function safeJson(json: string | undefined): Record<string, unknown> | undefined {
  if (json === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(json);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function numberField(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}
