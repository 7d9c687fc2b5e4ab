/**
 * `scbctl` as a user runs it: built as `npm run build` builds it (tsc with the build's tsconfig,
 * then the single-file bundle, tools/build/bundle-scbctl.mjs) into a scratch folder (dist/ beside
 * package.json, read for the manifest's generator, and node_modules) and started as package.json's
 * `bin` (`node dist/cli/scbctl.cjs`), in a folder that already holds what `generate` needs: a cluster
 * ref, the server CA, a client CA (intermediate, key and root chain) and a signing key pair.
 */
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createClientCa, createServerPki } from '../unit/bundle/bundle-fixtures.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ScbctlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface BuiltScbctl {
  /** The working folder: cluster.yaml, server-ca.crt, client-ca{,.key,-chain}.crt, signing.{key,pub}. */
  dir: string;
  /** The client CA's private key, to check that no output carries it. */
  clientCaKeyPem: string;
  /** Runs scbctl in `dir`; a non-zero exit is a result, not an exception. */
  scbctl(args: string[]): Promise<ScbctlResult>;
  remove(): void;
}

export async function builtScbctl(prefix: string): Promise<BuiltScbctl> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const app = join(dir, 'app');
  mkdirSync(app);
  await run(process.execPath, [
    join(ROOT, 'node_modules/typescript/bin/tsc'),
    '-p',
    join(ROOT, 'tsconfig.build.json'),
    '--outDir',
    join(app, 'dist'),
  ]);
  copyFileSync(join(ROOT, 'package.json'), join(app, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
  // After the link: esbuild resolves commander and js-yaml from the node_modules beside dist/.
  await run(process.execPath, [join(ROOT, 'tools/build/bundle-scbctl.mjs'), join(app, 'dist')]);
  const { bin } = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { bin: { scbctl: string } };
  const scbctlJs = join(app, bin.scbctl);
  const scbctl = async (args: string[]): Promise<ScbctlResult> => {
    try {
      const { stdout, stderr } = await run(process.execPath, [scbctlJs, ...args], { cwd: dir });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as ScbctlResult;
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  const ca = await createClientCa();
  writeFileSync(
    join(dir, 'cluster.yaml'),
    'apiVersion: scb-operator.io/v1alpha1\nkind: CassandraClusterRef\nmetadata: {name: main, namespace: cassandra}\n' +
      'spec:\n  connection: {contactPoints: [cassandra-0.example], localDatacenter: dc1}\n' +
      '  serverCA: {secretRef: {name: server-ca}}\n  clientCA: {secretRef: {name: client-ca}}\n',
  );
  writeFileSync(join(dir, 'server-ca.crt'), createServerPki().caPem);
  writeFileSync(join(dir, 'client-ca.crt'), ca.intermediatePem.certificatePem);
  writeFileSync(join(dir, 'client-ca.key'), ca.intermediatePem.privateKeyPem);
  writeFileSync(join(dir, 'client-ca-chain.crt'), ca.rootPem.certificatePem);
  const generated = await scbctl(['signing-key', 'generate', '--out', 'signing.key']);
  if (generated.code !== 0) throw new Error(`scbctl signing-key generate failed: ${generated.stderr}`);
  writeFileSync(
    join(dir, 'signing.pub'),
    (await scbctl(['signing-key', 'public', '--key', 'signing.key'])).stdout,
  );
  return {
    dir,
    clientCaKeyPem: ca.intermediatePem.privateKeyPem,
    scbctl,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** `scbctl generate` with the workspace's cluster ref, CAs and signing key. */
export const generateFromWorkspace = [
  'generate',
  '--cluster',
  'cluster.yaml',
  '--server-ca',
  'server-ca.crt',
  '--client-ca-cert',
  'client-ca.crt',
  '--client-ca-key',
  'client-ca.key',
  '--client-ca-chain',
  'client-ca-chain.crt',
  '--signing-key',
  'signing.key',
];
