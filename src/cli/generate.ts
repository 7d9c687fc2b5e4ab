import { chmodSync, writeFileSync } from 'node:fs';
import { InvalidInputError } from '../errors.js';
import { loadCertificateAuthority, parseCertificatesPem } from '../pki/certificate-authority.js';
import { fixedClock, systemClock } from '../time/clock.js';
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
  readClusterRefSpec,
  spiffeId,
  type BundleSpec,
} from '../bundle/bundle-spec.js';
import { readGeneratorInfo } from '../bundle/generator.js';
import { bundleZipFileName } from '../bundle/layout.js';
import { PLATFORMS } from '../bundle/platforms/index.js';
import { loadSigningKey } from '../bundle/signing.js';
import { inFile, inFileAsync, readInputText, readManifestFile } from './input-files.js';

export interface GenerateOptions {
  cluster: string;
  bundle?: string;
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
  clientCaCert: string;
  clientCaKey: string;
  clientCaChain?: string;
  signingKey: string;
  out?: string;
  now?: string;
}

/** Flags win over the --bundle manifest, which wins over the API defaults. */
export async function generate(options: GenerateOptions): Promise<{ bundle: BuiltBundle; path: string }> {
  const cluster = inFile('--cluster', options.cluster, () =>
    readClusterRefSpec(readManifestFile(options.cluster, '--cluster', 'CassandraClusterRef')),
  );
  const spec: BundleSpec = options.bundle
    ? inFile('--bundle', options.bundle, () =>
        readBundleSpec(readManifestFile(options.bundle as string, '--bundle', 'SecureConnectionBundle')),
      )
    : { identity: {} };

  const name = options.name ?? spec.name;
  if (name === undefined || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) {
    throw new InvalidInputError(
      'InvalidName',
      name === undefined
        ? '--name: give the bundle a name (or metadata.name in the --bundle manifest)'
        : `--name "${name}" is not a Kubernetes object name: use lower-case letters, digits, "-" and "."`,
      '--name',
    );
  }
  const namespace = options.namespace ?? spec.namespace;
  const version = options.version === undefined ? 1 : positiveInteger(options.version, '--version');
  const clock = options.now === undefined ? systemClock : fixedClock(instant(options.now));

  const identityCommonName =
    options.commonName !== undefined
      ? commonName(options.commonName, '--common-name')
      : (spec.identity.commonName ?? name);
  const explicitSpiffeId =
    options.spiffeId !== undefined ? spiffeId(options.spiffeId, '--spiffe-id') : spec.identity.spiffeId;
  const resolvedSpiffeId =
    explicitSpiffeId ??
    (cluster.trustDomain === undefined
      ? undefined
      : defaultSpiffeId(cluster.trustDomain, namespace ?? 'default', name));

  const durationSeconds =
    options.duration !== undefined
      ? certificateDuration(options.duration, '--duration')
      : (spec.durationSeconds ?? certificateDuration(DEFAULT_DURATION, 'spec.duration'));
  const platforms =
    options.platform !== undefined ? platformList(options.platform, '--platform') : spec.platforms;
  const privateKey =
    options.keyAlgorithm !== undefined || options.keySize !== undefined
      ? privateKeySpec(
          options.keyAlgorithm ?? spec.privateKey?.algorithm,
          options.keySize === undefined ? undefined : positiveInteger(options.keySize, '--key-size'),
          spec.privateKey?.encoding,
          { algorithm: '--key-algorithm', size: '--key-size', encoding: 'spec.privateKey.encoding' },
        )
      : (spec.privateKey ?? privateKeySpec(undefined, undefined, undefined));
  const profile =
    options.keystoreProfile !== undefined
      ? keystoreProfile(options.keystoreProfile, '--keystore-profile')
      : spec.keystoreProfile;

  const serverCaPem = readInputText(options.serverCa, '--server-ca');
  inFile('--server-ca', options.serverCa, () => parseCertificatesPem(serverCaPem, 'the server CA file'));
  const caPem = {
    certificatePem: readInputText(options.clientCaCert, '--client-ca-cert'),
    privateKeyPem: readInputText(options.clientCaKey, '--client-ca-key'),
    chainPem:
      options.clientCaChain === undefined
        ? undefined
        : readInputText(options.clientCaChain, '--client-ca-chain'),
  };
  const clientCa = await inFileAsync('--client-ca-cert/--client-ca-key', options.clientCaCert, () =>
    loadCertificateAuthority(caPem, clock),
  );
  const signingKey = inFile('--signing-key', options.signingKey, () =>
    loadSigningKey(readInputText(options.signingKey, '--signing-key'), 'the signing key'),
  );

  const bundle = await buildBundle(
    {
      name,
      namespace,
      version,
      clusterRef: { name: cluster.name, namespace: cluster.namespace },
      cluster: cluster.connection,
      serverCaPem,
      clientCa,
      identity: {
        commonName: identityCommonName,
        organizations: spec.identity.organizations,
        spiffeId: resolvedSpiffeId,
        dnsNames: spec.identity.dnsNames,
      },
      privateKey,
      durationSeconds,
      platforms,
      keystoreProfile: profile,
      signingKey,
      generator: readGeneratorInfo(),
    },
    { clock, platforms: PLATFORMS },
  );
  const path = options.out ?? `./${bundleZipFileName(name)}`;
  // The zip holds a private key and keystore passwords: readable by its owner only.
  writeFileSync(path, bundle.zip, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { bundle, path };
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
