/**
 * The operator pushing to a real OCI registry (distribution, built from its Go module, with
 * htpasswd Basic auth and TLS from a test CA): each version is an encrypted artifact tagged v<N>
 * with its manifest signature as a referrer (found by the standard `oras` client), `latest`
 * follows the newest, old tags go by keepTags, `scbctl fetch oci://` returns the Secret's zip,
 * and wrong credentials cost nothing but a Warning and a condition.
 */
import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  decryptObject,
  KeyEncryptionKey,
} from '../../../src/distribution/object-store/client-side-encryption.js';
import { repositoryRoot } from '../../support/control-plane-binaries.js';
import { createTestNamespace } from '../../support/kube.js';
import { startOciRegistry, type OciRegistryServer } from '../../support/oci-registry.js';
import type { OperatorProcess } from '../../support/operator-process.js';
import {
  condition,
  core,
  createBundle,
  createClusterRef,
  createServerCaConfigMap,
  getBundle,
  getClusterRef,
  getSecret,
  isReady,
  managedClusterSpec,
  patchObject,
  secretFile,
  startTestOperator,
  stopOperator,
  waitFor,
} from '../../support/operator-fixtures.js';

jest.setTimeout(300_000);

const TSX = pathToFileURL(path.join(repositoryRoot, 'node_modules/tsx/dist/loader.mjs')).href;
const SCBCTL = path.join(repositoryRoot, 'src/cli/scbctl.ts');

let registry: OciRegistryServer | undefined;
let operator: OperatorProcess | undefined;

beforeAll(async () => {
  registry = await startOciRegistry();
});

afterAll(async () => {
  await registry?.dispose();
});

afterEach(async () => {
  await stopOperator(operator);
  operator = undefined;
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

interface Setup {
  namespace: string;
  repository: string;
  kek: Buffer;
}

/** A namespace with the registry Secret (given credentials), a KEK, a Ready cluster ref and the operator. */
async function setUp(
  prefix: string,
  credentials: { username: string; password: string },
  outboundAllow?: string,
): Promise<Setup> {
  const reg = registry as OciRegistryServer;
  const namespace = await createTestNamespace(prefix);
  const kek = randomBytes(32);
  await core().createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'registry' }, type: 'kubernetes.io/basic-auth', stringData: credentials },
  });
  await core().createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'kek' }, stringData: { kek: kek.toString('base64') } },
  });
  operator = await startTestOperator({
    namespace,
    env: { NODE_EXTRA_CA_CERTS: reg.caFile },
    ...(outboundAllow === undefined ? {} : { outboundAllow }),
  });
  await createServerCaConfigMap(namespace);
  await createClusterRef(namespace, 'orders', managedClusterSpec());
  await waitFor(() => getClusterRef(namespace, 'orders'), isReady, 'cluster Ready');
  return { namespace, repository: `${reg.host}/${namespace}/app-scb`, kek };
}

function bundleSpec(repository: string, keepTags: number) {
  return {
    clusterRef: { name: 'orders' },
    platforms: ['nodejs'],
    target: {
      ociRepository: {
        repository,
        credentialsSecretRef: { name: 'registry' },
        encryptionKeySecretRef: { name: 'kek', key: 'kek' },
        keepTags,
      },
    },
  };
}

const rotate = (namespace: string, token: string) =>
  patchObject(namespace, 'secureconnectionbundles', 'app', {
    metadata: { annotations: { 'scb-operator.io/rotate': token } },
  });

const pushed = (namespace: string, version: number) =>
  waitFor(
    () => getBundle(namespace, 'app'),
    (b) =>
      b.status?.currentVersion === version &&
      b.status.versions?.find((v) => v.version === version)?.ociDigest !== undefined &&
      condition(b, 'OciRepositorySynced')?.status === 'True',
    `version ${version} pushed`,
    120_000,
  );

function scbctl(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', TSX, SCBCTL, ...args], { env }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('operator: the OCI repository channel', () => {
  it('pushes every version with a signature referrer, moves latest, cleans old tags, and pulls back', async () => {
    const reg = registry as OciRegistryServer;
    const { namespace, repository, kek } = await setUp('op-oci', {
      username: reg.username,
      password: reg.password,
    });
    await createBundle(namespace, 'app', bundleSpec(repository, 2));

    const v1 = await pushed(namespace, 1);
    const digest1 = v1.status?.versions?.[0]?.ociDigest ?? '';
    expect(digest1).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await reg.oras(['repo', 'tags', repository])).split('\n').filter(Boolean).sort()).toEqual(
      expect.arrayContaining(['latest', 'v1']),
    );
    // The standard client finds the signature through the referrers fallback (this registry has no referrers API).
    const discovered = JSON.parse(await reg.oras(['discover', '--format', 'json', `${repository}:v1`])) as {
      referrers?: Array<{ artifactType?: string }>;
      manifests?: Array<{ artifactType?: string }>;
    };
    expect((discovered.referrers ?? discovered.manifests ?? []).map((r) => r.artifactType)).toEqual([
      'application/vnd.scb-operator.manifest-signature.v1',
    ]);

    // Rotate twice: latest follows, and with keepTags 2 the v1 tag (and its signature) goes.
    await rotate(namespace, '2');
    await pushed(namespace, 2);
    await rotate(namespace, '3');
    const v3 = await pushed(namespace, 3);
    const digest3 = v3.status?.versions?.find((v) => v.version === 3)?.ociDigest;
    await waitFor(
      async () => (await reg.oras(['repo', 'tags', repository])).split('\n').filter(Boolean).sort(),
      (tags) => !tags.includes('v1'),
      'tag v1 cleaned up',
    );
    const tags = (await reg.oras(['repo', 'tags', repository]))
      .split('\n')
      .filter((tag) => !tag.startsWith('sha256-') && tag !== '');
    expect(tags.sort()).toEqual(['latest', 'v2', 'v3']);
    const latest = JSON.parse(
      await reg.oras(['manifest', 'fetch', '--descriptor', `${repository}:latest`]),
    ) as {
      digest: string;
    };
    expect(latest.digest).toBe(digest3);
    await expect(reg.oras(['manifest', 'fetch', `${repository}@${digest1}`])).rejects.toThrow();

    const secretZip = secretFile(await getSecret(namespace, 'app-scb'), 'secure-connect-app.zip');
    expect(sha256(secretZip)).toBe(v3.status?.versions?.find((v) => v.version === 3)?.bundleSHA256);

    // A standard client pulls the artifact; the layer it writes opens with the KEK to the Secret's zip.
    const pulled = mkdtempSync(path.join(tmpdir(), 'scb-oras-pull-'));
    await reg.oras(['pull', `${repository}:v3`, '-o', pulled]);
    expect(readdirSync(pulled)).toEqual(['secure-connect-app.zip.scbenc']);
    const opened = decryptObject(readFileSync(path.join(pulled, 'secure-connect-app.zip.scbenc')), [
      new KeyEncryptionKey(kek),
    ]);
    expect(opened.context).toBe(`${namespace}/app/v3/secure-connect-app.zip`);
    expect(opened.plaintext.equals(secretZip)).toBe(true);

    // scbctl fetch oci:// checks digests and signatures, decrypts, and writes the same zip.
    const work = mkdtempSync(path.join(tmpdir(), 'scb-oci-fetch-'));
    writeFileSync(path.join(work, 'kek'), kek.toString('base64'));
    const signing = await core().readNamespacedConfigMap({ namespace, name: 'scb-operator-signing-key' });
    writeFileSync(path.join(work, 'signing.pub'), signing.data?.['signing-key.pub.pem'] ?? '');
    const env = { ...process.env, SCB_REGISTRY_USERNAME: reg.username, SCB_REGISTRY_PASSWORD: reg.password };
    const fetchArgs = (reference: string, out: string) => [
      'fetch',
      reference,
      '--encryption-key',
      path.join(work, 'kek'),
      '--public-key',
      path.join(work, 'signing.pub'),
      '--registry-ca',
      reg.caFile,
      '-o',
      path.join(work, out),
    ];
    const fetched = await scbctl(fetchArgs(`oci://${repository}:v3`, 'v3.zip'), env);
    expect(fetched.stderr).toBe('');
    expect(fetched.code).toBe(0);
    expect(fetched.stdout).toContain(`version 3`);
    expect(readFileSync(path.join(work, 'v3.zip')).equals(secretZip)).toBe(true);
    const viaLatest = await scbctl(fetchArgs(`oci://${repository}:latest`, 'latest.zip'), env);
    expect(viaLatest.code).toBe(0);
    expect(readFileSync(path.join(work, 'latest.zip')).equals(secretZip)).toBe(true);
    // Version 2 is still there, and is version 2's zip.
    const v2 = await scbctl(fetchArgs(`oci://${repository}:v2`, 'v2.zip'), env);
    expect(v2.code).toBe(0);
    expect(sha256(readFileSync(path.join(work, 'v2.zip')))).toBe(
      (await getBundle(namespace, 'app'))?.status?.versions?.find((v) => v.version === 2)?.bundleSHA256,
    );

    // Another key does not open it, and nothing is written.
    writeFileSync(path.join(work, 'kek'), randomBytes(32).toString('base64'));
    const wrongKey = await scbctl(fetchArgs(`oci://${repository}:v3`, 'wrong.zip'), env);
    expect(wrongKey.code).not.toBe(0);
    expect(wrongKey.stderr).toContain('key-encryption key');
    expect(() => readFileSync(path.join(work, 'wrong.zip'))).toThrow();
    // Without registry credentials the registry refuses, and scbctl says how to give them.
    writeFileSync(path.join(work, 'kek'), kek.toString('base64'));
    const anonymous = await scbctl(fetchArgs(`oci://${repository}:v3`, 'anon.zip'), process.env);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toContain('SCB_REGISTRY_USERNAME');
  });

  it('wrong registry credentials: a Warning Event and a condition, the Secret still published; fixed, it pushes', async () => {
    const reg = registry as OciRegistryServer;
    const { namespace, repository } = await setUp('op-oci-denied', {
      username: reg.username,
      password: 'not-the-password',
    });
    await createBundle(namespace, 'app', bundleSpec(repository, 5));
    const denied = await waitFor(
      () => getBundle(namespace, 'app'),
      (b) => condition(b, 'OciRepositorySynced')?.status === 'False',
      'push refused',
    );
    expect(condition(denied, 'OciRepositorySynced')?.reason).toBe('OciAccessDenied');
    expect(condition(denied, 'OciRepositorySynced')?.message).toContain(
      'spec.target.ociRepository.credentialsSecretRef',
    );
    expect(isReady(denied)).toBe(true);
    expect(denied.status?.versions?.[0]?.ociDigest).toBeUndefined();
    expect(sha256(secretFile(await getSecret(namespace, 'app-scb'), 'secure-connect-app.zip'))).toBe(
      denied.status?.versions?.[0]?.bundleSHA256,
    );
    const events = await waitFor(
      async () => (await core().listNamespacedEvent({ namespace })).items,
      (items) => items.some((event) => event.reason === 'OciAccessDenied'),
      'Warning Event',
    );
    const warning = events.find((event) => event.reason === 'OciAccessDenied');
    expect(warning?.type).toBe('Warning');
    expect(warning?.message).not.toContain('not-the-password');
    expect(warning?.message).not.toContain(reg.password);

    // The right password: the next retry (30 s) pushes version 1.
    await core().replaceNamespacedSecret({
      namespace,
      name: 'registry',
      body: {
        metadata: { name: 'registry' },
        type: 'kubernetes.io/basic-auth',
        stringData: { username: reg.username, password: reg.password },
      },
    });
    const fixed = await pushed(namespace, 1);
    expect(fixed.status?.versions?.[0]?.ociDigest).toMatch(/^sha256:/);
  });

  it('a registry on an internal address (here loopback) is refused by the outbound policy unless allow-listed', async () => {
    const reg = registry as OciRegistryServer;
    const { namespace, repository } = await setUp(
      'op-oci-refused',
      { username: reg.username, password: reg.password },
      '',
    );
    await createBundle(namespace, 'app', bundleSpec(repository, 5));
    const refused = await waitFor(
      () => getBundle(namespace, 'app'),
      (b) => condition(b, 'OciRepositorySynced')?.status === 'False',
      'push refused by policy',
    );
    const reason = condition(refused, 'OciRepositorySynced');
    expect(reason?.reason).toBe('OciRegistryRefused');
    expect(reason?.message).toContain('--outbound-allow');
    // Status is read by tenants: it names the policy, not the address the host resolved to.
    expect(reason?.message).not.toMatch(/is 127\.0\.0\.1|\(loopback\)/);
    expect(isReady(refused)).toBe(true);
    expect(refused.status?.versions?.[0]?.ociDigest).toBeUndefined();
    const tags = await waitFor(
      async () => {
        try {
          return await reg.oras(['repo', 'tags', repository]);
        } catch (error) {
          return String((error as { stderr?: unknown }).stderr ?? error);
        }
      },
      () => true,
      'tag list',
    );
    expect(tags).not.toMatch(/\bv1\b/);
  });
});
