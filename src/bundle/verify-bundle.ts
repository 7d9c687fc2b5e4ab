import { createPrivateKey, createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import type { Clock } from '../time/clock.js';
import { certificateFacts, pemCertificates, validityDate } from './certificate-facts.js';
import { checkKeystorePassword } from './keystore-check.js';
import { MANIFEST_FILE, SIGNATURE_FILE } from './layout.js';
import { sha256Hex } from '../pki/fingerprint.js';
import { parseManifest, type BundleManifest } from './manifest.js';
import { BUNDLE_FILES } from './platforms/platform.js';
import { signingKeyId, verifyManifestSignature } from './signing.js';
import { readZip } from './zip-reader.js';

export interface VerificationCheck {
  name: string;
  ok: boolean;
  /** What was found; names files and fingerprints, never a password or key. */
  detail: string;
}

export interface VerificationReport {
  ok: boolean;
  checks: VerificationCheck[];
}

export interface VerifyBundleOptions {
  /** The operator's manifest signing public key. */
  publicKey: KeyObject;
  /** PEM of the client CA root(s) the bundle's certificate must chain to; without it the root is not checked. */
  clientCaPem?: string;
  clock: Clock;
}

/** The config.json fields drivers refuse to load without, and their JSON types (SCB-FORMAT.md). */
const REQUIRED_CONFIG: Readonly<Record<string, 'string' | 'integer' | 'boolean'>> = {
  host: 'string',
  port: 'integer',
  cql_port: 'integer',
  localDC: 'string',
  caCertLocation: 'string',
  keyLocation: 'string',
  certLocation: 'string',
  keyStoreLocation: 'string',
  keyStorePassword: 'string',
  trustStoreLocation: 'string',
  trustStorePassword: 'string',
  pfxCertPassword: 'string',
  hostnameVerification: 'boolean',
};

/**
 * Checks a bundle offline. Every problem is a failed check in the report; it throws only when
 * the input cannot be read at all (not a zip, unreadable --client-ca).
 */
export function verifyBundle(zip: Buffer, options: VerifyBundleOptions, what = 'bundle'): VerificationReport {
  const trustedRoots = options.clientCaPem === undefined ? undefined : readClientCa(options.clientCaPem);
  const entries = readZip(zip, what);
  const checks: VerificationCheck[] = [];
  const pass = (name: string, detail: string): void => void checks.push({ name, ok: true, detail });
  const fail = (name: string, detail: string): void => void checks.push({ name, ok: false, detail });

  const files = new Map<string, Buffer>();
  const duplicates = new Set<string>();
  for (const entry of entries) {
    if (files.has(entry.path)) duplicates.add(entry.path);
    files.set(entry.path, entry.content);
  }
  if (duplicates.size > 0)
    fail('no-duplicate-entries', `entries appear more than once: ${[...duplicates].join(', ')}`);
  else pass('no-duplicate-entries', `${entries.length} entries, each once`);

  // Integrity: the signature vouches for manifest.json, which vouches for every other file.
  const manifestBytes = files.get(MANIFEST_FILE);
  const signature = files.get(SIGNATURE_FILE);
  let manifest: BundleManifest | undefined;
  if (!manifestBytes || !signature) {
    fail('signature', `${!manifestBytes ? MANIFEST_FILE : SIGNATURE_FILE} is missing`);
  } else {
    const parsed = parseManifest(manifestBytes);
    const keyId = signingKeyId(options.publicKey);
    if (verifyManifestSignature(manifestBytes, signature, options.publicKey)) {
      pass('signature', `manifest.json is signed by key ${keyId}`);
    } else {
      const claimed = 'manifest' in parsed ? parsed.manifest.signature.keyId : undefined;
      fail(
        'signature',
        claimed !== undefined && claimed !== keyId
          ? `manifest.json names signing key ${String(claimed)}, not the given key ${keyId}`
          : `manifest.sig does not verify manifest.json with key ${keyId}: the manifest or signature was altered`,
      );
    }
    if ('problem' in parsed) fail('manifest', parsed.problem);
    else {
      manifest = parsed.manifest;
      pass('manifest', `bundle ${manifest.bundle.name} version ${manifest.bundle.version}`);
    }
  }

  if (manifest) {
    const listed = new Map(manifest.files.map((file) => [file.path, file]));
    const present = [...files.keys()].filter((path) => path !== MANIFEST_FILE && path !== SIGNATURE_FILE);
    const missing = [...listed.keys()].filter((path) => !files.has(path));
    const unlisted = present.filter((path) => !listed.has(path));
    const altered = present.filter((path) => {
      const expected = listed.get(path);
      const content = files.get(path) as Buffer;
      return (
        expected !== undefined && (expected.size !== content.length || expected.sha256 !== sha256Hex(content))
      );
    });
    if (missing.length > 0)
      fail('no-missing-files', `listed in manifest.json but absent: ${missing.join(', ')}`);
    else pass('no-missing-files', `all ${listed.size} listed files are present`);
    if (unlisted.length > 0)
      fail('no-unlisted-files', `present but not in manifest.json: ${unlisted.join(', ')}`);
    else pass('no-unlisted-files', 'every file is listed in manifest.json');
    if (altered.length > 0)
      fail('file-hashes', `SHA-256 or size differs from manifest.json: ${altered.join(', ')}`);
    else pass('file-hashes', `${present.length} files match their SHA-256`);
  }

  // The client certificate: `cert` holds the leaf, then its issuers without the root.
  const certPem = files.get(BUNDLE_FILES.cert);
  const certs = certPem ? readCertificates(certPem.toString('utf8')) : [];
  const leaf = certs[0];
  if (!leaf) {
    for (const name of ['certificate-validity', 'certificate-chain', 'key-matches-certificate']) {
      fail(name, `${BUNDLE_FILES.cert} is missing or holds no PEM certificate`);
    }
  } else {
    const facts = certificateFacts(leaf);
    const now = options.clock.now();
    if (now < new Date(facts.notBefore)) fail('certificate-validity', `not valid before ${facts.notBefore}`);
    else if (now > new Date(facts.notAfter)) fail('certificate-validity', `expired at ${facts.notAfter}`);
    else pass('certificate-validity', `valid ${facts.notBefore} to ${facts.notAfter}`);

    const chain = checkChain(certs, trustedRoots, now);
    if (chain.ok) pass('certificate-chain', chain.detail);
    else fail('certificate-chain', chain.detail);

    const keyPem = files.get(BUNDLE_FILES.key);
    const keyMatch = keyMatchesCertificate(keyPem, leaf);
    if (keyMatch === true)
      pass('key-matches-certificate', `${BUNDLE_FILES.key} is the private key of ${BUNDLE_FILES.cert}`);
    else fail('key-matches-certificate', keyMatch);

    if (manifest) {
      const claimed = manifest.identity;
      const differences = [
        claimed.serialNumber !== facts.serialNumber ? 'serial number' : undefined,
        claimed.certificateSHA256 !== facts.sha256Fingerprint ? 'certificate SHA-256' : undefined,
        manifest.validity.notAfter !== facts.notAfter ? 'notAfter' : undefined,
      ].filter((d) => d !== undefined);
      if (differences.length > 0)
        fail(
          'manifest-identity',
          `manifest.json and ${BUNDLE_FILES.cert} differ in ${differences.join(', ')}`,
        );
      else pass('manifest-identity', `serial ${facts.serialNumber}, SHA-256 ${facts.sha256Fingerprint}`);
    }
  }

  const config = checkConfig(files.get(BUNDLE_FILES.config));
  if (typeof config === 'string') fail('config-json', config);
  else {
    pass('config-json', 'every field the drivers require is present with the right type');
    for (const [file, passwordField] of [
      [BUNDLE_FILES.identityKeyStore, 'keyStorePassword'],
      [BUNDLE_FILES.pfx, 'pfxCertPassword'],
      [BUNDLE_FILES.trustStore, 'trustStorePassword'],
    ] as const) {
      const bytes = files.get(file);
      const name = `keystore-password:${file}`;
      if (!bytes) {
        fail(name, `${file} is missing`);
        continue;
      }
      const result = checkKeystorePassword(bytes, config[passwordField] as string);
      if (result.opens) pass(name, `${result.format} opens with config.json ${passwordField}`);
      else fail(name, `${file}: ${result.problem ?? 'does not open'} (config.json ${passwordField})`);
    }
  }

  return { ok: checks.every((check) => check.ok), checks };
}

function readClientCa(pem: string): X509Certificate[] {
  const roots = readCertificates(pem);
  if (roots.length === 0) {
    throw new InvalidInputError(
      'MalformedPem',
      '--client-ca: no PEM certificate found; pass the client CA root certificate(s) (the trust bundle ConfigMap content)',
      'client-ca',
    );
  }
  return roots;
}

/** Each certificate in `cert` must be issued and signed by the next; the last by a trusted root if given. */
function checkChain(
  certs: X509Certificate[],
  trustedRoots: X509Certificate[] | undefined,
  now: Date,
): { ok: boolean; detail: string } {
  for (let i = 0; i + 1 < certs.length; i++) {
    const [child, parent] = [certs[i] as X509Certificate, certs[i + 1] as X509Certificate];
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      return {
        ok: false,
        detail: `certificate ${i + 1} in ${BUNDLE_FILES.cert} is not signed by certificate ${i + 2}`,
      };
    }
  }
  for (const cert of certs.slice(1)) {
    if (now > validityDate(cert.validTo)) {
      return {
        ok: false,
        detail: `issuing CA "${cert.subject.replaceAll('\n', ', ')}" expired at ${validityDate(cert.validTo).toISOString()}`,
      };
    }
  }
  const top = certs[certs.length - 1] as X509Certificate;
  if (trustedRoots === undefined) {
    return {
      ok: true,
      detail: `${certs.length} certificate(s) in ${BUNDLE_FILES.cert} chain together; the root was not checked (pass the client CA to check it)`,
    };
  }
  const root = trustedRoots.find(
    (candidate) =>
      candidate.raw.equals(top.raw) || (top.checkIssued(candidate) && top.verify(candidate.publicKey)),
  );
  if (!root) return { ok: false, detail: `${BUNDLE_FILES.cert} does not chain to the given client CA` };
  if (now > validityDate(root.validTo)) {
    return { ok: false, detail: `client CA root expired at ${validityDate(root.validTo).toISOString()}` };
  }
  return { ok: true, detail: `chains to client CA "${root.subject.replaceAll('\n', ', ')}"` };
}

/** A damaged certificate reads as none: the check that needs it then fails and says why. */
function readCertificates(pem: string): X509Certificate[] {
  try {
    return pemCertificates(pem);
  } catch {
    return [];
  }
}

function keyMatchesCertificate(keyPem: Buffer | undefined, leaf: X509Certificate): true | string {
  if (!keyPem) return `${BUNDLE_FILES.key} is missing`;
  try {
    const derived = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
    return derived.equals(leaf.publicKey.export({ type: 'spki', format: 'der' }))
      ? true
      : `${BUNDLE_FILES.key} is not the private key of the certificate in ${BUNDLE_FILES.cert}`;
  } catch {
    return `${BUNDLE_FILES.key} is not a readable PEM private key`;
  }
}

function checkConfig(bytes: Buffer | undefined): Record<string, unknown> | string {
  if (!bytes) return `${BUNDLE_FILES.config} is missing`;
  let config: unknown;
  try {
    config = JSON.parse(bytes.toString('utf8'));
  } catch {
    return `${BUNDLE_FILES.config} is not valid JSON`;
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    return `${BUNDLE_FILES.config} is not a JSON object`;
  }
  const record = config as Record<string, unknown>;
  const wrong = Object.entries(REQUIRED_CONFIG)
    .filter(([field, type]) => {
      const value = record[field];
      return type === 'integer' ? !Number.isInteger(value) : typeof value !== type;
    })
    .map(([field, type]) => `${field} (${type})`);
  return wrong.length > 0 ? `${BUNDLE_FILES.config} lacks or mistypes: ${wrong.join(', ')}` : record;
}
