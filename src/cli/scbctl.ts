#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import type { CompatibilityVerdict } from '../bundle/compatibility.js';
import { InvalidInputError } from '../errors.js';
import { registerClusterCommands } from './cluster-commands.js';
import type { generateBatch as GenerateBatch, GenerateOptions } from './generate.js';

// Start-up cost is what a pipeline that runs scbctl many times feels, so this module loads only
// commander: each command imports what it needs when it runs (the PKCS#12 reader for verify, the
// bundle builder for generate, the Kubernetes client for fetch/rotate/versions).

/**
 * scbctl (also `kubectl scb`): generate, verify, inspect and unpack bundles offline; fetch,
 * rotate and list versions through the kubeconfig.
 * Exit codes: 0 ok, 1 verification or cluster request failed (check: the client cannot use the
 * bundle), 2 usage or input error, 3 unexpected internal error; check alone: 4 unknown platform or
 * one the bundle has no configuration for, 5 the bundle cannot answer (format 1 or newer than
 * this scbctl).
 * It never prints a password or a key (the signing-key commands write keys to files, and print
 * only public keys).
 */
export const EXIT_OK = 0;
export const EXIT_VERIFICATION_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 3;
export const EXIT_NO_PLATFORM = 4;
export const EXIT_UNANSWERABLE = 5;

interface Io {
  out: (text: string) => void;
  /** Raw bytes to standard output (`fetch -o -`). */
  outBytes?: (bytes: Buffer) => void;
  err: (text: string) => void;
}

function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('scbctl')
    .description('Generate, verify, inspect and unpack Cassandra secure connection bundles')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('generate')
    .description('issue a client certificate and package a bundle offline, from files')
    .requiredOption(
      '--cluster <file>',
      'CassandraClusterRef manifest (YAML): spec.connection, spec.identity.trustDomain',
    )
    .option(
      '--bundle <file>',
      'SecureConnectionBundle manifest (YAML): identity, privateKey, duration, platforms, keystores.profile; ' +
        'with --out-dir, files or folders of many (repeat)',
      (value: string, all: string[] = []) => [...all, value],
    )
    .option('--name <name>', 'bundle name (default: metadata.name of --bundle)')
    .option(
      '--namespace <namespace>',
      'bundle namespace (recorded in the manifest and the default SPIFFE ID)',
    )
    .option('--version <n>', 'bundle version number (default 1)')
    .option('--common-name <cn>', 'certificate common name (default: the bundle name)')
    .option('--spiffe-id <uri>', 'spiffe:// URI SAN (default from the cluster trust domain)')
    .option('--duration <duration>', 'certificate lifetime as a Go duration (default 2160h)')
    .option(
      '--platform <id>',
      'include this platform (repeat; default: all)',
      (value: string, all: string[] = []) => [...all, value],
    )
    .addOption(new Option('--key-algorithm <algorithm>', 'client key algorithm (default ECDSA)'))
    .option('--key-size <bits>', 'client key size: ECDSA 256|384, RSA 2048|3072|4096')
    .option('--keystore-profile <profile>', 'Modern (default) or Legacy')
    .requiredOption('--server-ca <file>', 'PEM certificate(s) of the CA that signed the Cassandra nodes')
    .option(
      '--metadata-address <name:port>',
      "cloud-mode gateway's metadata service: config.json host/port (default: spec.gateway.metadataAddress)",
    )
    .option(
      '--gateway-ca <file>',
      "PEM CA of the metadata service's certificate, added to ca.crt and trustStore.jks",
    )
    .requiredOption('--client-ca-cert <file>', 'PEM certificate of the client CA that issues the certificate')
    .requiredOption('--client-ca-key <file>', 'PEM private key of that client CA')
    .option('--client-ca-chain <file>', 'PEM issuers of the client CA up to the root')
    .requiredOption('--signing-key <file>', 'manifest signing key (scbctl signing-key generate)')
    .option('--out <file>', 'output zip (default ./secure-connect-<name>.zip)')
    .option(
      '--out-dir <dir>',
      'batch: one secure-connect-<name>.zip here for every SecureConnectionBundle in --bundle',
    )
    .option('--now <time>', 'generate as of this ISO 8601 time')
    .action(async (options: GenerateOptions) => {
      const { generate, generateBatch } = await import('./generate.js');
      if (options.outDir !== undefined) {
        setExit(await runBatch(generateBatch, { ...options, outDir: options.outDir }, io));
        return;
      }
      const { bundle, path } = await generate(options);
      const cert = bundle.certificate;
      io.out(
        [
          `wrote ${path} (${bundle.size} bytes, sha256 ${bundle.sha256})`,
          `certificate serial ${cert.serialNumber}, sha256 ${cert.sha256Fingerprint}`,
          `valid ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}` +
            (cert.shortenedToCaExpiry ? ' (shortened to the client CA expiry)' : ''),
          `platforms: ${bundle.manifest.platforms.join(', ')}`,
          'keystore passwords are in config.json inside the bundle',
          '',
        ].join('\n'),
      );
    });

  program
    .command('verify')
    .description('check signature, file hashes, certificate chain and keystore passwords')
    .argument('<zip>', 'bundle zip')
    .requiredOption('--public-key <file>', 'manifest signing public key (PEM)')
    .option('--client-ca <file>', 'client CA root certificate(s) the bundle certificate must chain to')
    .option('--json', 'print the report as JSON')
    .action(async (zipPath: string, options: { publicKey: string; clientCa?: string; json?: boolean }) => {
      const { inFile, readInputFile, readInputText } = await import('./input-files.js');
      const { loadSigningPublicKey } = await import('../bundle/signing.js');
      const { verifyBundle } = await import('../bundle/verify-bundle.js');
      const { systemClock } = await import('../time/clock.js');
      const publicKey = inFile('--public-key', options.publicKey, () =>
        loadSigningPublicKey(readInputText(options.publicKey, '--public-key'), 'the public key'),
      );
      const report = verifyBundle(
        readInputFile(zipPath, 'bundle'),
        {
          publicKey,
          clientCaPem:
            options.clientCa === undefined ? undefined : readInputText(options.clientCa, '--client-ca'),
          clock: systemClock,
        },
        zipPath,
      );
      if (options.json) io.out(`${JSON.stringify(report, null, 2)}\n`);
      else {
        for (const check of report.checks)
          io.out(`${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}\n`);
        io.out(report.ok ? `${zipPath}: verified\n` : `${zipPath}: verification FAILED\n`);
      }
      if (!report.ok) setExit(EXIT_VERIFICATION_FAILED);
    });

  program
    .command('check-gateway')
    .description(
      "probe a bundle's cloud-mode gateway as drivers use it: metadata service, then every node through the SNI proxy",
    )
    .argument('<zip>', 'bundle zip')
    .option('--timeout <duration>', 'per step (default 5s, as the Node.js and Python drivers)')
    .action(async (zipPath: string, options: { timeout?: string }) => {
      const { readInputFile } = await import('./input-files.js');
      const { parseDuration } = await import('../time/duration.js');
      const { checkGateway } = await import('./check-gateway.js');
      const timeoutMs = parseDuration(options.timeout ?? '5s', '--timeout') * 1000;
      const result = await checkGateway(readInputFile(zipPath, 'bundle'), zipPath, timeoutMs);
      if (result.ok)
        io.out(
          `gateway ok: ${result.nodes.length} node(s) answer through the SNI proxy: ${result.nodes.join(', ')}\n`,
        );
      else {
        io.out(`gateway check FAILED (${result.reason}): ${result.message}\n`);
        setExit(EXIT_VERIFICATION_FAILED);
      }
    });

  program
    .command('inspect')
    .description('show identity, validity, fingerprints, cluster and files (no secrets)')
    .argument('<zip>', 'bundle zip')
    .option('--json', 'print as JSON')
    .action(async (zipPath: string, options: { json?: boolean }) => {
      const { readInputFile } = await import('./input-files.js');
      const { inspectBundle } = await import('../bundle/inspect-bundle.js');
      const { describeInspection } = await import('./describe-inspection.js');
      const inspection = inspectBundle(readInputFile(zipPath, 'bundle'), zipPath);
      io.out(options.json ? `${JSON.stringify(inspection, null, 2)}\n` : describeInspection(inspection));
    });

  program
    .command('check')
    .description(
      'can a client at this version use the bundle? (reads the manifest offline; run verify to trust it)',
    )
    .argument('<zip>', 'bundle zip')
    .requiredOption('--platform <id>', 'the platform the client uses, e.g. nodejs')
    .requiredOption('--driver-version <version>', "the client's version, e.g. 4.10.0")
    .action(async (zipPath: string, options: { platform: string; driverVersion: string }) => {
      const { readInputFile } = await import('./input-files.js');
      const { checkBundle } = await import('./check.js');
      const verdict = checkBundle(
        readInputFile(zipPath, 'bundle'),
        zipPath,
        options.platform,
        options.driverVersion,
      );
      if (verdict.outcome === 'usable' || verdict.outcome === 'unusable') io.out(`${verdict.reason}\n`);
      else io.err(`scbctl: ${zipPath}: ${verdict.reason}\n`);
      setExit(CHECK_EXIT[verdict.outcome]);
    });

  program
    .command('unpack')
    .description('extract a bundle (refuses unsafe paths; secret files get mode 0600)')
    .argument('<zip>', 'bundle zip')
    .requiredOption('--out <dir>', 'output folder')
    .action(async (zipPath: string, options: { out: string }) => {
      const { readInputFile } = await import('./input-files.js');
      const { unpackBundle } = await import('../bundle/unpack-bundle.js');
      const files = unpackBundle(readInputFile(zipPath, 'bundle'), options.out, zipPath);
      io.out(`unpacked ${files.length} files into ${options.out}\n`);
    });

  const signing = program.command('signing-key').description('the manifest signing key (ECDSA P-256)');
  signing
    .command('generate')
    .description('create a signing key (written with mode 0600)')
    .requiredOption(
      '--out <file>',
      'where to write the private key (PEM); an existing file is not overwritten',
    )
    .action(async (options: { out: string }) => {
      const { chmodSync, writeFileSync } = await import('node:fs');
      const { generateSigningKey, signingKeyPem } = await import('../bundle/signing.js');
      const key = generateSigningKey();
      try {
        writeFileSync(options.out, signingKeyPem(key), { mode: 0o600, flag: 'wx' });
      } catch (error) {
        const exists = (error as { code?: string }).code === 'EEXIST';
        throw new InvalidInputError(
          'FileNotWritable',
          `--out ${options.out}: ${exists ? 'already exists; choose another path or remove it' : 'cannot be written'}`,
          '--out',
        );
      }
      chmodSync(options.out, 0o600);
      io.out(`wrote ${options.out} (key id ${key.keyId})\n`);
    });
  signing
    .command('public')
    .description('print the public key (PEM) that verifies bundles signed with a key')
    .requiredOption('--key <file>', 'signing key (PEM)')
    .action(async (options: { key: string }) => {
      const { inFile, readInputText } = await import('./input-files.js');
      const { loadSigningKey, signingPublicKeyPem } = await import('../bundle/signing.js');
      const key = inFile('--key', options.key, () =>
        loadSigningKey(readInputText(options.key, '--key'), 'the signing key'),
      );
      io.out(signingPublicKeyPem(key.publicKey));
    });
  registerClusterCommands(program, io, () => setExit(EXIT_VERIFICATION_FAILED));
  return program;
}

const CHECK_EXIT: Readonly<Record<CompatibilityVerdict['outcome'], number>> = {
  usable: EXIT_OK,
  unusable: EXIT_VERIFICATION_FAILED,
  'bad-version': EXIT_USAGE,
  'no-platform': EXIT_NO_PLATFORM,
  unanswerable: EXIT_UNANSWERABLE,
};

/**
 * One line per bundle written (stdout) or refused (stderr, naming its document), then a summary.
 * Exit 2 when any bundle was refused for its input, 3 when one failed otherwise.
 */
async function runBatch(
  generateBatch: typeof GenerateBatch,
  options: GenerateOptions & { outDir: string },
  io: Io,
): Promise<number> {
  let exitCode = EXIT_OK;
  const result = await generateBatch(options, (outcome) => {
    if ('generated' in outcome) {
      const { bundle, path } = outcome.generated;
      io.out(
        `wrote ${path} (${bundle.size} bytes, sha256 ${bundle.sha256}, serial ${bundle.certificate.serialNumber})\n`,
      );
      return;
    }
    const input = outcome.error instanceof InvalidInputError;
    io.err(`scbctl: ${outcome.source}: ${input ? '' : 'internal error: '}${outcome.error.message}\n`);
    exitCode = Math.max(exitCode, input ? EXIT_USAGE : EXIT_INTERNAL);
  });
  for (const other of result.otherKinds) io.out(`not a SecureConnectionBundle, not generated: ${other}\n`);
  const total = result.generated + result.failed;
  io.out(
    `generated ${result.generated} of ${total} bundles into ${options.outDir}` +
      (result.failed > 0 ? `; ${result.failed} failed (listed above)\n` : '\n'),
  );
  return exitCode;
}

/** Runs one invocation and returns its exit code; all output goes through `io`. */
export async function runScbctl(argv: readonly string[], io: Io): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version are successes; every other commander error is a usage error.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof InvalidInputError) {
      io.err(`scbctl: ${error.message}\n`);
      return EXIT_USAGE;
    }
    io.err(`scbctl: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_INTERNAL;
  }
}

async function main(): Promise<void> {
  const code = await runScbctl(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    outBytes: (bytes) => process.stdout.write(bytes),
    err: (text) => process.stderr.write(text),
  });
  process.exitCode = code;
}

// Run only as a program (the bin, dist/cli/scbctl.cjs; node dist/cli/scbctl.js; tsx), not when
// imported. Not awaited: the single-file bin is CommonJS, which has no top-level await.
const invokedPath = process.argv[1] === undefined ? undefined : realpathSync(process.argv[1]);
if (invokedPath === fileURLToPath(import.meta.url)) void main();
