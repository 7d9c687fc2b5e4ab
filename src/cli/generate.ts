import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError } from '../errors.js';
import { readCertificatesDer } from '../pki/certificate-pem.js';
import { loadIssuingCa, type IssuingCa } from '../pki/issuing-ca.js';
import { fixedClock, systemClock, type Clock } from '../time/clock.js';
import { buildBundle, type BuiltBundle } from '../bundle/build-bundle.js';
import {
  certificateDuration,
  commonName,
  defaultSpiffeId,
  DEFAULT_DURATION,
  keystoreProfile,
  platformList,
  privateKeySpec,
  readBundleSpec,
  dnsNameAndPort,
  readClusterRefSpec,
  spiffeId,
  type BundleSpec,
  type ClusterRefSpec,
} from '../bundle/bundle-spec.js';
import { readGeneratorInfo, type GeneratorInfo } from '../bundle/generator.js';
import { bundleZipFileName } from '../bundle/layout.js';
import { PLATFORMS } from '../bundle/platforms/index.js';
import type { PlatformId } from '../bundle/platforms/platform.js';
import type { KeystoreProfile } from '../keystore/pkcs12.js';
import { loadSigningKey, type ManifestSigningKey } from '../bundle/signing.js';
import { readBundleDocuments, type BundleDocument } from './bundle-documents.js';
import { inFile, readInputText } from './input-files.js';
import { readManifestFile } from './manifest-files.js';

export interface GenerateOptions {
  cluster: string;
  /** One file for one bundle; with outDir, files and folders of many. */
  bundle?: string[];
  name?: string;
  namespace?: string;
  version?: string;
  commonName?: string;
  spiffeId?: string;
  duration?: string;
  platform?: string[];
  keyAlgorithm?: string;
  keySize?: string;
  keystoreProfile?: string;
  serverCa: string;
  /** The cloud-mode gateway's metadata service, name:port (overrides spec.gateway.metadataAddress). */
  metadataAddress?: string;
  /** PEM CA of the metadata service's certificate, added to ca.crt and trustStore.jks. */
  gatewayCa?: string;
  clientCaCert: string;
  clientCaKey: string;
  clientCaChain?: string;
  signingKey: string;
  out?: string;
  outDir?: string;
  now?: string;
}

export interface GeneratedBundle {
  bundle: BuiltBundle;
  path: string;
}

/** What every bundle of a run shares: read and checked once, however many bundles follow. */
interface RunInputs {
  overrides: FlagOverrides;
  cluster: ClusterRefSpec;
  serverCaPem: string;
  clientCa: IssuingCa;
  signingKey: ManifestSigningKey;
  generator: GeneratorInfo;
  clock: Clock;
}

/** One bundle, from --bundle (at most one file) and the flags. */
export async function generate(options: GenerateOptions): Promise<GeneratedBundle> {
  const [bundleFile, ...more] = options.bundle ?? [];
  if (more.length > 0) {
    throw new InvalidInputError(
      'InvalidFlag',
      '--bundle is given more than once: add --out-dir DIR to generate one zip per bundle',
      '--bundle',
    );
  }
  const spec: BundleSpec = bundleFile === undefined ? { identity: {} } : readOneBundleSpec(bundleFile);
  const name = bundleName(options.name ?? spec.name, '--name');
  const run = loadRunInputs(options);
  const path = options.out ?? `./${bundleZipFileName(name)}`;
  return writeBundle(await build(spec, name, options, run), path, '--out');
}

/** Many bundles in the file, or a folder: point at batch mode rather than only refusing. */
function readOneBundleSpec(file: string): BundleSpec {
  const batchHint = 'add --out-dir DIR to generate one zip per bundle';
  if (isFolder(file)) {
    throw new InvalidInputError('InvalidFlag', `--bundle ${file}: is a folder; ${batchHint}`, '--bundle');
  }
  try {
    return inFile('--bundle', file, () =>
      readBundleSpec(readManifestFile(file, '--bundle', 'SecureConnectionBundle')),
    );
  } catch (error) {
    if (error instanceof InvalidInputError && error.reason === 'AmbiguousManifest') {
      throw new InvalidInputError(error.reason, `${error.message}, or ${batchHint}`, error.field);
    }
    throw error;
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export type BatchOutcome =
  { source: string; generated: GeneratedBundle } | { source: string; error: InvalidInputError | Error };

/**
 * Every SecureConnectionBundle in the --bundle files and folders, one zip each in --out-dir.
 * Each document stands alone: a bad one is reported (`report`) and the others are still written.
 * Only what all bundles share (cluster, CAs, signing key) stops the run before any is built.
 */
export async function generateBatch(
  options: GenerateOptions & { outDir: string },
  report: (outcome: BatchOutcome) => void,
): Promise<{ generated: number; failed: number; otherKinds: string[] }> {
  refuseSingleBundleFlags(options);
  const { documents, otherKinds } = readBundleDocuments(options.bundle ?? []);
  const run = loadRunInputs(options);
  try {
    mkdirSync(options.outDir, { recursive: true });
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'error';
    throw new InvalidInputError(
      'FileNotWritable',
      `--out-dir ${options.outDir}: cannot be created (${code}); give a writable folder`,
      '--out-dir',
    );
  }
  const claimed = new Map<string, string>();
  let generated = 0;
  for (const document of documents) {
    try {
      const { spec, name } = checkedDocument(document, claimed);
      const path = join(options.outDir, bundleZipFileName(name));
      const built = await build(spec, name, options, run);
      report({ source: document.source, generated: writeBundle(built, path, '--out-dir') });
      generated++;
    } catch (error) {
      report({ source: document.source, error: error as Error });
    }
  }
  return { generated, failed: documents.length - generated, otherKinds };
}

/** Two bundles of one name would write one zip: the second is refused, naming the first. */
function checkedDocument(
  document: BundleDocument,
  claimed: Map<string, string>,
): { spec: BundleSpec; name: string } {
  if ('error' in document) throw document.error;
  const spec = readBundleSpec(document.manifest);
  const name = bundleName(spec.name, 'metadata.name');
  const first = claimed.get(name);
  if (first !== undefined) {
    throw new InvalidInputError(
      'DuplicateBundleName',
      `metadata.name "${name}" is also the name of ${first}, and both would write ${bundleZipFileName(name)}: ` +
        'give each bundle its own name, or generate them into different --out-dir folders',
      'metadata.name',
    );
  }
  claimed.set(name, document.source);
  return { spec, name };
}

/** These name one bundle; applied to every bundle of a batch they would clash. */
function refuseSingleBundleFlags(options: GenerateOptions): void {
  const single: [keyof GenerateOptions, string][] = [
    ['name', '--name'],
    ['out', '--out'],
    ['commonName', '--common-name'],
    ['spiffeId', '--spiffe-id'],
  ];
  for (const [key, flag] of single) {
    if (options[key] !== undefined) {
      throw new InvalidInputError(
        'InvalidFlag',
        `${flag} names one bundle and cannot be used with --out-dir: set it in each manifest instead`,
        flag,
      );
    }
  }
  if ((options.bundle ?? []).length === 0) {
    throw new InvalidInputError(
      'InvalidFlag',
      '--out-dir needs --bundle FILE|DIR: the SecureConnectionBundle manifests to generate',
      '--bundle',
    );
  }
}

/** The flags that override manifests, checked once: a bad one fails the run, not every bundle. */
interface FlagOverrides {
  version: number;
  commonName?: string;
  spiffeId?: string;
  durationSeconds?: number;
  platforms?: PlatformId[];
  keySize?: number;
  keystoreProfile?: KeystoreProfile;
}

const KEY_FLAGS = { algorithm: '--key-algorithm', size: '--key-size', encoding: 'spec.privateKey.encoding' };

function flagOverrides(options: GenerateOptions): FlagOverrides {
  const keySize = options.keySize === undefined ? undefined : positiveInteger(options.keySize, '--key-size');
  // Without --key-algorithm a size is checked against each manifest's algorithm.
  if (options.keyAlgorithm !== undefined) privateKeySpec(options.keyAlgorithm, keySize, undefined, KEY_FLAGS);
  return {
    version: options.version === undefined ? 1 : positiveInteger(options.version, '--version'),
    ...(options.commonName !== undefined
      ? { commonName: commonName(options.commonName, '--common-name') }
      : {}),
    ...(options.spiffeId !== undefined ? { spiffeId: spiffeId(options.spiffeId, '--spiffe-id') } : {}),
    ...(options.duration !== undefined
      ? { durationSeconds: certificateDuration(options.duration, '--duration') }
      : {}),
    ...(options.platform !== undefined ? { platforms: platformList(options.platform, '--platform') } : {}),
    ...(keySize !== undefined ? { keySize } : {}),
    ...(options.keystoreProfile !== undefined
      ? { keystoreProfile: keystoreProfile(options.keystoreProfile, '--keystore-profile') }
      : {}),
  };
}

function loadRunInputs(options: GenerateOptions): RunInputs {
  const overrides = flagOverrides(options);
  const clock = options.now === undefined ? systemClock : fixedClock(instant(options.now));
  const cluster = inFile('--cluster', options.cluster, () =>
    readClusterRefSpec(readManifestFile(options.cluster, '--cluster', 'CassandraClusterRef')),
  );
  if (options.metadataAddress !== undefined) {
    cluster.connection.metadataService = dnsNameAndPort(options.metadataAddress, '--metadata-address');
  }
  const nodeCaPem = readInputText(options.serverCa, '--server-ca');
  inFile('--server-ca', options.serverCa, () => readCertificatesDer(nodeCaPem, 'the server CA file'));
  let serverCaPem = nodeCaPem;
  if (options.gatewayCa !== undefined) {
    const gatewayCaPem = readInputText(options.gatewayCa, '--gateway-ca');
    inFile('--gateway-ca', options.gatewayCa, () => readCertificatesDer(gatewayCaPem, 'the gateway CA file'));
    // Drivers check the metadata service's certificate against ca.crt / trustStore.jks.
    serverCaPem = `${nodeCaPem.trim()}\n${gatewayCaPem.trim()}\n`;
  }
  const caPem = {
    certificatePem: readInputText(options.clientCaCert, '--client-ca-cert'),
    privateKeyPem: readInputText(options.clientCaKey, '--client-ca-key'),
    chainPem:
      options.clientCaChain === undefined
        ? undefined
        : readInputText(options.clientCaChain, '--client-ca-chain'),
  };
  const clientCa = inFile('--client-ca-cert/--client-ca-key', options.clientCaCert, () =>
    loadIssuingCa(caPem, clock),
  );
  const signingKey = inFile('--signing-key', options.signingKey, () =>
    loadSigningKey(readInputText(options.signingKey, '--signing-key'), 'the signing key'),
  );
  return { overrides, cluster, serverCaPem, clientCa, signingKey, generator: readGeneratorInfo(), clock };
}

/** Flags win over the manifest, which wins over the API defaults. */
async function build(
  spec: BundleSpec,
  name: string,
  options: GenerateOptions,
  run: RunInputs,
): Promise<BuiltBundle> {
  const { cluster, overrides } = run;
  const namespace = options.namespace ?? spec.namespace;
  const explicitSpiffeId = overrides.spiffeId ?? spec.identity.spiffeId;
  const resolvedSpiffeId =
    explicitSpiffeId ??
    (cluster.trustDomain === undefined
      ? undefined
      : defaultSpiffeId(cluster.trustDomain, namespace ?? 'default', name));
  const privateKey =
    options.keyAlgorithm !== undefined || overrides.keySize !== undefined
      ? privateKeySpec(
          options.keyAlgorithm ?? spec.privateKey?.algorithm,
          overrides.keySize,
          spec.privateKey?.encoding,
          KEY_FLAGS,
        )
      : (spec.privateKey ?? privateKeySpec(undefined, undefined, undefined));

  return buildBundle(
    {
      name,
      namespace,
      version: overrides.version,
      clusterRef: { name: cluster.name, namespace: cluster.namespace },
      cluster: cluster.connection,
      serverCaPem: run.serverCaPem,
      clientCa: run.clientCa,
      identity: {
        commonName: overrides.commonName ?? spec.identity.commonName ?? name,
        organizations: spec.identity.organizations,
        spiffeId: resolvedSpiffeId,
        dnsNames: spec.identity.dnsNames,
      },
      privateKey,
      durationSeconds:
        overrides.durationSeconds ??
        spec.durationSeconds ??
        certificateDuration(DEFAULT_DURATION, 'spec.duration'),
      platforms: overrides.platforms ?? spec.platforms,
      keystoreProfile: overrides.keystoreProfile ?? spec.keystoreProfile,
      signingKey: run.signingKey,
      generator: run.generator,
    },
    { clock: run.clock, platforms: PLATFORMS },
  );
}

function writeBundle(bundle: BuiltBundle, path: string, flag: string): GeneratedBundle {
  try {
    // The zip holds a private key and keystore passwords: readable by its owner only.
    writeFileSync(path, bundle.zip, { mode: 0o600 });
    chmodSync(path, 0o600);
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new InvalidInputError(
      'FileNotWritable',
      `${flag} ${path}: cannot be written (${code ?? 'error'}); check that its folder exists and is writable`,
      flag,
    );
  }
  return { bundle, path };
}

function bundleName(name: string | undefined, field: string): string {
  if (name === undefined || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
    throw new InvalidInputError(
      'InvalidName',
      name === undefined
        ? `${field}: give the bundle a name (--name, or metadata.name in the manifest)`
        : `${field} "${name}" is not a Kubernetes object name: use at most 253 lower-case letters, digits, "-" and "."`,
      field,
    );
  }
  return name;
}

function positiveInteger(text: string, flagName: string): number {
  if (!/^[1-9][0-9]*$/.test(text)) {
    throw new InvalidInputError('InvalidFlag', `${flagName} "${text}" must be a positive integer`, flagName);
  }
  return Number(text);
}

function instant(text: string): Date {
  const at = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(at.getTime())) {
    throw new InvalidInputError(
      'InvalidFlag',
      `--now "${text}" is not an ISO 8601 time such as 2030-01-02T03:04:05Z`,
      '--now',
    );
  }
  return at;
}
