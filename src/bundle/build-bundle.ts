import { sha256Hex } from '../pki/fingerprint.js';
import type { Clock } from '../time/clock.js';
import { readCertificatesDer } from '../pki/certificate-pem.js';
import { issueClientCertificate } from '../pki/client-certificate.js';
import { encodePem } from '../pki/pem.js';
import type { IssuerCertificate, IssuingCa } from '../pki/issuing-ca.js';
import type { PrivateKeySpec } from '../pki/private-key.js';
import { buildJksTrustStore } from '../keystore/jks.js';
import { generatePassword } from '../keystore/passwords.js';
import { buildPkcs12, type KeystoreProfile } from '../keystore/pkcs12.js';
import { astraConfigJson } from './config-json.js';
import { cqlshrc } from './cqlshrc.js';
import type { GeneratorInfo } from './generator.js';
import {
  bundleZipFileName,
  MANIFEST_FILE,
  packBundle,
  platformFilePath,
  README_FILE,
  SIGNATURE_FILE,
  type BundleFile,
} from './layout.js';
import { createManifest, serializeManifest, type BundleManifest } from './manifest.js';
import {
  BUNDLE_FILES,
  type ClusterConnection,
  type KeystorePasswords,
  type Platform,
  type PlatformContext,
  type PlatformId,
} from './platforms/platform.js';
import { bundleReadme } from './readme.js';
import { isSafeEntryPath } from './zip.js';
import { MANIFEST_SIGNATURE_ALGORITHM, signManifest, type ManifestSigningKey } from './signing.js';

export interface BundleIdentity {
  commonName: string;
  organizations?: string[];
  spiffeId?: string;
  dnsNames?: string[];
}

export interface BuildBundleRequest {
  /** metadata.name of the SecureConnectionBundle (or the CLI's --name). */
  name: string;
  namespace?: string;
  version: number;
  /** The CassandraClusterRef the bundle is for (recorded in the manifest). */
  clusterRef: { name: string; namespace?: string };
  cluster: ClusterConnection;
  /** One or more PEM certificates of the CA that signed the Cassandra nodes' certificates. */
  serverCaPem: string;
  clientCa: IssuingCa;
  identity: BundleIdentity;
  privateKey: PrivateKeySpec;
  /** rotationPolicy Never: the previous version's key, reused for the new certificate. */
  reusePrivateKeyPem?: string;
  durationSeconds: number;
  /** Default: every platform. */
  platforms?: readonly PlatformId[];
  keystoreProfile?: KeystoreProfile;
  /** From keystores.passwordSecretRef; otherwise fresh passwords are generated for this version. */
  passwords?: KeystorePasswords;
  credentials?: { username: string; password: string };
  signingKey: ManifestSigningKey;
  generator: GeneratorInfo;
}

export interface BuildBundleDeps {
  clock: Clock;
  /** The platform registry (PLATFORMS from ./platforms/index.js); `request.platforms` selects from it. */
  platforms: readonly Platform[];
}

export interface IssuedCertificateSummary {
  serialNumber: string;
  sha256Fingerprint: string;
  notBefore: Date;
  notAfter: Date;
  shortenedToCaExpiry: boolean;
}

export interface BuiltBundle {
  zip: Buffer;
  fileName: string;
  /** Lower-case hex SHA-256 of the zip. */
  sha256: string;
  size: number;
  manifest: BundleManifest;
  /** Every file of the zip, for a Secret that carries them unpacked as well. */
  files: BundleFile[];
  certificate: IssuedCertificateSummary;
  /** The caller stores these (e.g. in the bundle Secret); they are also in config.json. */
  passwords: KeystorePasswords;
  /** Kept by the caller only for rotationPolicy Never. */
  privateKeyPem: string;
}

/** Friendly name of the key entry in cert.pfx / identity.jks (Java lower-cases it into the alias). */
const KEY_ENTRY_NAME = 'client';

export async function buildBundle(request: BuildBundleRequest, deps: BuildBundleDeps): Promise<BuiltBundle> {
  const selected = selectPlatforms(deps.platforms, request.platforms);
  const serverCas = readCertificatesDer(request.serverCaPem, 'server CA');

  const issued = await issueClientCertificate(
    request.clientCa,
    {
      commonName: request.identity.commonName,
      organizations: request.identity.organizations,
      spiffeId: request.identity.spiffeId,
      dnsNames: request.identity.dnsNames,
      privateKey: request.privateKey,
      durationSeconds: request.durationSeconds,
      reusePrivateKeyPem: request.reusePrivateKeyPem,
    },
    deps.clock,
  );

  // The client sends its intermediates: Cassandra's truststore may hold only the client root, and
  // TLS servers do not fetch missing issuers. The root itself is left out — the server must
  // already trust it, and sending it only costs bytes on every handshake.
  const sentChain = withoutRoot(issued.chain);
  const chainDer = sentChain.map((cert) => Buffer.from(cert.rawData));

  const passwords = request.passwords ?? generatedPasswords();
  const profile = request.keystoreProfile ?? 'Modern';
  const pkcs12 = (password: string): Buffer =>
    buildPkcs12({
      privateKeyPkcs8Der: issued.privateKeyPkcs8Der,
      certificateDer: issued.certificateDer,
      chainDer,
      friendlyName: KEY_ENTRY_NAME,
      password,
      profile,
    });
  const pfx = pkcs12(passwords.pfxCert);
  // identity.jks is PKCS#12 bytes under a .jks name, as in Astra's bundles (the JDK's JKS type
  // loads PKCS#12). With one password for both, the same bytes serve both names and the costly
  // key derivation (PBKDF2 + MAC rounds) runs once instead of twice.
  const identityKeyStore = passwords.keyStore === passwords.pfxCert ? pfx : pkcs12(passwords.keyStore);

  const trustStore = buildJksTrustStore({
    certificates: serverCas.map((der, index) => ({ alias: index === 0 ? 'ca' : `ca-${index + 1}`, der })),
    password: passwords.trustStore,
    createdAt: issued.notBefore,
  });

  const ctx: PlatformContext = {
    bundleName: request.name,
    zipFileName: bundleZipFileName(request.name),
    cluster: request.cluster,
    identity: { commonName: request.identity.commonName, spiffeId: request.identity.spiffeId },
    keyAlgorithm: request.privateKey.algorithm,
    files: BUNDLE_FILES,
    passwords,
    credentials: request.credentials,
  };

  const text = (path: string, content: string): BundleFile => ({
    path,
    content: Buffer.from(content, 'utf8'),
  });
  const files: BundleFile[] = [
    text(BUNDLE_FILES.config, astraConfigJson(ctx)),
    text(BUNDLE_FILES.caCert, serverCas.map((der) => encodePem('CERTIFICATE', der)).join('')),
    text(
      BUNDLE_FILES.cert,
      issued.certificatePem +
        sentChain.map((cert) => encodePem('CERTIFICATE', new Uint8Array(cert.rawData))).join(''),
    ),
    text(BUNDLE_FILES.key, issued.privateKeyPem),
    { path: BUNDLE_FILES.pfx, content: pfx },
    { path: BUNDLE_FILES.identityKeyStore, content: identityKeyStore },
    { path: BUNDLE_FILES.trustStore, content: trustStore },
    text(BUNDLE_FILES.cqlshrc, cqlshrc(ctx)),
    text(README_FILE, bundleReadme(ctx, selected)),
    ...selected.flatMap((platform) => platformFiles(platform, ctx)),
  ];

  const manifest = createManifest({
    generator: request.generator,
    bundle: {
      name: request.name,
      namespace: request.namespace,
      version: request.version,
      cluster: request.clusterRef,
      fileName: ctx.zipFileName,
    },
    identity: {
      commonName: request.identity.commonName,
      spiffeId: request.identity.spiffeId,
      serialNumber: issued.serialNumber,
      certificateSHA256: issued.sha256Fingerprint,
    },
    notBefore: issued.notBefore,
    notAfter: issued.notAfter,
    platforms: selected.map((platform) => platform.id),
    files,
    signature: { algorithm: MANIFEST_SIGNATURE_ALGORITHM, keyId: request.signingKey.keyId },
  });
  const manifestBytes = serializeManifest(manifest);
  files.push(
    { path: MANIFEST_FILE, content: manifestBytes },
    { path: SIGNATURE_FILE, content: signManifest(manifestBytes, request.signingKey) },
  );

  // Timestamps come from the certificate, not from "now": the zip is a function of its content.
  const zip = packBundle(files, issued.notBefore);
  return {
    zip,
    fileName: ctx.zipFileName,
    sha256: sha256Hex(zip),
    size: zip.length,
    manifest,
    files,
    certificate: {
      serialNumber: issued.serialNumber,
      sha256Fingerprint: issued.sha256Fingerprint,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      shortenedToCaExpiry: issued.shortenedToCaExpiry,
    },
    passwords,
    privateKeyPem: issued.privateKeyPem,
  };
}

/** Registry order, whatever order the spec lists them in, so the same set gives the same bundle. */
function selectPlatforms(
  registry: readonly Platform[],
  wanted: readonly PlatformId[] | undefined,
): Platform[] {
  if (wanted === undefined) return [...registry];
  const missing = wanted.filter((id) => !registry.some((platform) => platform.id === id));
  if (missing.length > 0) throw new Error(`no platform module registered for ${missing.join(', ')}`);
  return registry.filter((platform) => wanted.includes(platform.id));
}

function platformFiles(platform: Platform, ctx: PlatformContext): BundleFile[] {
  return platform.files(ctx).map((file) => {
    const path = platformFilePath(platform.id, file.path);
    // A platform module is our own code; a bad path is a bug there, not user input.
    if (!isSafeEntryPath(path))
      throw new Error(`platform ${platform.id} produced an unsafe path "${file.path}"`);
    return { path, content: Buffer.from(file.content, 'utf8') };
  });
}

/** The default: one password for the key stores (see identity.jks above), another for the trust store. */
function generatedPasswords(): KeystorePasswords {
  const keyStore = generatePassword();
  return { keyStore, pfxCert: keyStore, trustStore: generatePassword() };
}

function withoutRoot(chain: readonly IssuerCertificate[]): IssuerCertificate[] {
  const last = chain[chain.length - 1];
  return last !== undefined && last.subject === last.issuer ? chain.slice(0, -1) : [...chain];
}
