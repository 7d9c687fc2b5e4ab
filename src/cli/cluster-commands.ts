import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { InvalidInputError } from '../errors.js';
import { systemClock } from '../time/clock.js';
import type { ClusterOptions } from './cluster-access.js';
import { readInputText } from './input-files.js';

interface Io {
  out: (text: string) => void;
  /** Raw bytes to standard output (`fetch -o -`). */
  outBytes?: (bytes: Buffer) => void;
  err: (text: string) => void;
}

interface FetchCommandOptions extends ClusterOptions {
  version?: string;
  output?: string;
  via: 'secret' | 'api';
  apiUrl?: string;
  apiCa?: string;
  encryptionKey?: string;
  publicKey?: string;
  registryCa?: string;
}

/**
 * The commands that talk to a cluster through the kubeconfig: fetch, rotate, versions. A failure
 * on the cluster's side (not found, forbidden, a digest mismatch) is reported and sets the exit
 * code through `fail`; bad input throws InvalidInputError (exit 2) as elsewhere. The modules
 * behind them (and the Kubernetes client) load on demand, so offline commands start as fast as before.
 */
export function registerClusterCommands(program: Command, io: Io, fail: () => void): void {
  const clusterOptions = (command: Command) =>
    command
      .option('-n, --namespace <namespace>', 'namespace of the bundle (default: the context namespace)')
      .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
      .option('--context <name>', 'kubeconfig context to use');
  const reported =
    <A extends unknown[]>(action: (...args: A) => Promise<void>) =>
    async (...args: A) => {
      try {
        await action(...args);
      } catch (error) {
        const { ClusterCommandFailure } = await import('./cluster-access.js');
        if (!(error instanceof ClusterCommandFailure)) throw error;
        io.err(`scbctl: ${error.message}\n`);
        fail();
      }
    };

  clusterOptions(
    program
      .command('fetch')
      .description(
        'download a bundle zip from the cluster (the Secret, or the operator download API), or from an OCI registry (oci://REGISTRY/REPO:vN)',
      )
      .argument('<name>', 'SecureConnectionBundle name, or oci://REGISTRY/REPO:vN (or :latest, @sha256:...)')
      .option('--version <n>', 'a kept version (default: the current one)')
      .option(
        '-o, --output <file>',
        'where to write the zip ("-" for standard output; default ./secure-connect-<name>.zip)',
      )
      .addOption(
        new Option('--via <source>', 'read the Secret, or the download API with the kubeconfig bearer token')
          .choices(['secret', 'api'])
          .default('secret'),
      )
      .option(
        '--api-url <url>',
        'download API base URL, e.g. https://scb-download.scb-system.svc:8443 (with --via api)',
      )
      .option(
        '--api-ca <file>',
        'PEM CA certificate that signs the download API certificate (with --via api)',
      )
      .option(
        '--encryption-key <file>',
        'oci:// only: the key-encryption key (32 bytes or their base64) from the Secret named by spec.target.ociRepository.encryptionKeySecretRef',
      )
      .option('--public-key <file>', "oci:// only: the operator's manifest signing public key (PEM)")
      .option(
        '--registry-ca <file>',
        "oci:// only: PEM CA of the registry's certificate, besides the system's",
      ),
  ).action(
    reported(async (name: string, options: FetchCommandOptions) => {
      if (name.startsWith('oci://')) {
        await fetchOci(name, options, io);
        return;
      }
      const { loadCluster, parseVersionOption } = await import('./cluster-access.js');
      const { fetchFromApi, fetchFromSecret } = await import('./fetch.js');
      const version = parseVersionOption(options.version);
      if (options.via === 'api' && options.apiUrl === undefined) {
        throw new InvalidInputError(
          'MissingApiUrl',
          '--via api needs --api-url <https://host:port>',
          '--api-url',
        );
      }
      const { kubeConfig, namespace } = loadCluster(options);
      const ref = { namespace, name };
      const bundle =
        options.via === 'api'
          ? await fetchFromApi(kubeConfig, ref, version, {
              url: options.apiUrl ?? '',
              caPem: options.apiCa === undefined ? undefined : readInputText(options.apiCa, '--api-ca'),
            })
          : await fetchFromSecret(kubeConfig, ref, version);
      const summary = `version ${bundle.version}, ${bundle.content.length} bytes, sha256 ${bundle.sha256}`;
      writeFetched(io, bundle, options.output, `${namespace}/${name}`, summary);
    }),
  );

  clusterOptions(
    program
      .command('rotate')
      .description('ask the operator to issue a new version now (sets the scb-operator.io/rotate annotation)')
      .argument('<name>', 'SecureConnectionBundle name'),
  ).action(
    reported(async (name: string, options: ClusterOptions) => {
      const { loadCluster } = await import('./cluster-access.js');
      const { requestRotation } = await import('./rotate.js');
      const { kubeConfig, namespace } = loadCluster(options);
      const token = await requestRotation(kubeConfig, { namespace, name }, systemClock);
      io.out(`rotation requested for ${namespace}/${name} (scb-operator.io/rotate=${token})\n`);
    }),
  );

  clusterOptions(
    program
      .command('versions')
      .description('list the versions in the bundle status (current one marked *)')
      .argument('<name>', 'SecureConnectionBundle name')
      .option('--json', 'print status.currentVersion and status.versions as JSON'),
  ).action(
    reported(async (name: string, options: ClusterOptions & { json?: boolean }) => {
      const { loadCluster } = await import('./cluster-access.js');
      const { readBundle } = await import('./fetch.js');
      const { versionsTable } = await import('./versions.js');
      const { kubeConfig, namespace } = loadCluster(options);
      const bundle = await readBundle(kubeConfig, { namespace, name });
      if (options.json) {
        const { currentVersion, versions = [] } = bundle.status ?? {};
        io.out(`${JSON.stringify({ currentVersion, versions }, null, 2)}\n`);
      } else {
        io.out(versionsTable(bundle));
      }
    }),
  );
}

/**
 * The oci:// form of fetch. Registry credentials come from SCB_REGISTRY_USERNAME and
 * SCB_REGISTRY_PASSWORD (never from the command line, where other users can read them).
 */
async function fetchOci(reference: string, options: FetchCommandOptions, io: Io): Promise<void> {
  const need = (value: string | undefined, flag: string, what: string): string => {
    if (value === undefined) {
      throw new InvalidInputError('MissingFlag', `fetch ${reference} needs ${flag} <file>: ${what}`, flag);
    }
    return value;
  };
  const keyFile = need(
    options.encryptionKey,
    '--encryption-key',
    'the key-encryption key the artifact is encrypted with',
  );
  const publicKeyFile = need(
    options.publicKey,
    '--public-key',
    "the operator's signing public key, to check the signature",
  );
  const [{ parseKeyEncryptionKey }, { loadSigningPublicKey }, { fetchFromOci }, { inFile, readInputFile }] =
    await Promise.all([
      import('../distribution/object-store/client-side-encryption.js'),
      import('../bundle/signing.js'),
      import('./fetch-oci.js'),
      import('./input-files.js'),
    ]);
  const kek = parseKeyEncryptionKey(
    readInputFile(keyFile, '--encryption-key'),
    `--encryption-key ${keyFile}`,
    '--encryption-key',
  );
  const publicKey = inFile('--public-key', publicKeyFile, () =>
    loadSigningPublicKey(readInputText(publicKeyFile, '--public-key'), 'the public key'),
  );
  const username = process.env['SCB_REGISTRY_USERNAME'];
  const password = process.env['SCB_REGISTRY_PASSWORD'];
  const bundle = await fetchFromOci(reference, {
    keys: [kek],
    publicKey,
    ...(username && password ? { credentials: { username, password } } : {}),
    ...(options.registryCa ? { ca: readInputText(options.registryCa, '--registry-ca') } : {}),
    clock: systemClock,
  });
  const summary = `version ${bundle.version}, ${bundle.content.length} bytes, sha256 ${bundle.sha256}, artifact ${bundle.digest}, signature ${bundle.signatureDigest}`;
  writeFetched(io, bundle, options.output, reference, summary);
}

/** A fetched zip to `-o` (`-`: standard output), or to its own file name in the working folder. */
function writeFetched(
  io: Io,
  bundle: { content: Buffer; fileName: string },
  output: string | undefined,
  source: string,
  summary: string,
): void {
  if (output === '-') {
    (io.outBytes ?? ((bytes: Buffer) => io.out(bytes.toString('latin1'))))(bundle.content);
    io.err(`fetched ${source} (${summary})\n`);
    return;
  }
  const path = output ?? bundle.fileName;
  try {
    // 0600: the zip holds a private key.
    writeFileSync(path, bundle.content, { mode: 0o600 });
  } catch {
    throw new InvalidInputError(
      'FileNotWritable',
      `-o ${path}: cannot be written; choose another path`,
      '--output',
    );
  }
  io.out(`wrote ${path} (${summary})\n`);
}
