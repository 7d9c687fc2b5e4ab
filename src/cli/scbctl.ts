#!/usr/bin/env node
import { chmodSync, realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { InvalidInputError } from '../errors.js';
import { systemClock } from '../time/clock.js';
import { inspectBundle, type BundleInspection } from '../bundle/inspect-bundle.js';
import {
  generateSigningKey,
  loadSigningKey,
  loadSigningPublicKey,
  signingKeyPem,
  signingPublicKeyPem,
} from '../bundle/signing.js';
import { unpackBundle } from '../bundle/unpack-bundle.js';
import { verifyBundle } from '../bundle/verify-bundle.js';
import { registerClusterCommands } from './cluster-commands.js';
import type { GenerateOptions } from './generate.js';
import { inFile, readInputFile, readInputText } from './input-files.js';

/**
 * scbctl (also `kubectl scb`): generate, verify, inspect and unpack bundles offline; fetch,
 * rotate and list versions through the kubeconfig.
 * Exit codes: 0 ok, 1 verification or cluster request failed, 2 usage or input error, 3 unexpected
 * internal error.
 * It never prints a password or a key (the signing-key commands write keys to files, and print
 * only public keys).
 */
export const EXIT_OK = 0;
export const EXIT_VERIFICATION_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 3;

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
      'SecureConnectionBundle manifest (YAML): identity, privateKey, duration, platforms, keystores.profile',
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
    .requiredOption('--client-ca-cert <file>', 'PEM certificate of the client CA that issues the certificate')
    .requiredOption('--client-ca-key <file>', 'PEM private key of that client CA')
    .option('--client-ca-chain <file>', 'PEM issuers of the client CA up to the root')
    .requiredOption('--signing-key <file>', 'manifest signing key (scbctl signing-key generate)')
    .option('--out <file>', 'output zip (default ./secure-connect-<name>.zip)')
    .option('--now <time>', 'generate as of this ISO 8601 time')
    .action(async (options: GenerateOptions) => {
      // Loaded on demand: issuing pulls in the PKI and every platform module, which the
      // read-only commands (verify, inspect, unpack) do not need at start-up.
      const { generate } = await import('./generate.js');
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
    .action((zipPath: string, options: { publicKey: string; clientCa?: string; json?: boolean }) => {
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
    .command('inspect')
    .description('show identity, validity, fingerprints, cluster and files (no secrets)')
    .argument('<zip>', 'bundle zip')
    .option('--json', 'print as JSON')
    .action((zipPath: string, options: { json?: boolean }) => {
      const inspection = inspectBundle(readInputFile(zipPath, 'bundle'), zipPath);
      io.out(options.json ? `${JSON.stringify(inspection, null, 2)}\n` : describe(inspection));
    });

  program
    .command('unpack')
    .description('extract a bundle (refuses unsafe paths; secret files get mode 0600)')
    .argument('<zip>', 'bundle zip')
    .requiredOption('--out <dir>', 'output folder')
    .action((zipPath: string, options: { out: string }) => {
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
    .action((options: { out: string }) => {
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
    .action((options: { key: string }) => {
      const key = inFile('--key', options.key, () =>
        loadSigningKey(readInputText(options.key, '--key'), 'the signing key'),
      );
      io.out(signingPublicKeyPem(key.publicKey));
    });
  registerClusterCommands(program, io, () => setExit(EXIT_VERIFICATION_FAILED));
  return program;
}

function describe(view: BundleInspection): string {
  const lines: string[] = [];
  const add = (label: string, value: string | number | undefined): void => {
    if (value !== undefined && value !== '') lines.push(`${label.padEnd(20)} ${value}`);
  };
  if (view.bundle) {
    add(
      'bundle',
      `${view.bundle.namespace ? `${view.bundle.namespace}/` : ''}${view.bundle.name} version ${view.bundle.version}`,
    );
    add(
      'cluster ref',
      `${view.bundle.cluster.namespace ? `${view.bundle.cluster.namespace}/` : ''}${view.bundle.cluster.name}`,
    );
  }
  if (view.generator) add('generator', `${view.generator.name} ${view.generator.version}`);
  const cert = view.certificate;
  if (cert) {
    add('subject', cert.subject);
    add('issuer', cert.issuer);
    add('DNS names', cert.subjectAltNames.dns.join(', '));
    add('URIs', cert.subjectAltNames.uri.join(', '));
    add('not before', cert.notBefore);
    add('not after', cert.notAfter);
    add('serial', cert.serialNumber);
    add('sha256', cert.sha256Fingerprint);
    add('key', `${cert.key.algorithm}${cert.key.size ? ` ${cert.key.size}` : ''}`);
  }
  for (const ca of view.chain) add('issuing CA', `${ca.subject} (expires ${ca.notAfter})`);
  for (const ca of view.serverCa)
    add('server CA', `${ca.subject} (expires ${ca.notAfter}, sha256 ${ca.sha256Fingerprint})`);
  if (view.cluster) {
    add('contact points', view.cluster.contactPoints?.join(', ') ?? view.cluster.host);
    add('port', view.cluster.port);
    add('local datacenter', view.cluster.localDatacenter);
    add('keyspace', view.cluster.keyspace);
    add('TLS server name', view.cluster.tlsServerName);
  }
  add('credentials', view.credentialsIncluded ? 'included in config.json' : 'none');
  if (view.signature) add('signing key id', view.signature.keyId);
  add('platforms', view.platforms.join(', '));
  lines.push(`files (${view.files.length}):`);
  for (const file of view.files)
    lines.push(`  ${file.path.padEnd(44)} ${String(file.size).padStart(7)}  ${file.sha256}`);
  return `${lines.join('\n')}\n`;
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

// Run only as a program (bin link, node dist/cli/scbctl.js, tsx), not when imported.
const invokedPath = process.argv[1] === undefined ? undefined : realpathSync(process.argv[1]);
if (invokedPath === fileURLToPath(import.meta.url)) await main();
