/**
 * A SecureConnectionBundle with versions published the way the operator lays them out (its own
 * versionSecret/publishedSecret/versionEntry functions), without running the operator: the
 * distribution features read only these objects, and the tests then control every byte.
 */
import { createHash, randomBytes } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import {
  API_GROUP,
  API_VERSION_NAME,
  bundleSecretName,
  type SecureConnectionBundle,
} from '../../../src/api/v1alpha1/index.js';
import { bundleZipFileName } from '../../../src/bundle/layout.js';
import { writeZip } from '../../../src/bundle/zip.js';
import {
  publishedSecret,
  versionEntry,
  versionSecret,
  type VersionRecord,
} from '../../../src/controllers/bundle/bundle-secrets.js';
import { kubeConfig } from '../../support/kube.js';

export interface PublishedBundle {
  bundle: SecureConnectionBundle;
  /** Zip bytes by version number. */
  zips: Map<number, Buffer>;
  records: Map<number, VersionRecord>;
}

const custom = () => kubeConfig().makeApiClient(CustomObjectsApi);
const core = () => kubeConfig().makeApiClient(CoreV1Api);

export async function createPublishedBundle(
  namespace: string,
  name: string,
  options: { versions: number; spec?: Record<string, unknown>; certBytes?: number },
): Promise<PublishedBundle> {
  const created = (await custom().createNamespacedCustomObject({
    group: API_GROUP,
    version: API_VERSION_NAME,
    namespace,
    plural: 'secureconnectionbundles',
    body: {
      apiVersion: `${API_GROUP}/${API_VERSION_NAME}`,
      kind: 'SecureConnectionBundle',
      metadata: { name },
      spec: { clusterRef: { name: 'orders-cluster' }, ...options.spec },
    },
  })) as SecureConnectionBundle;
  const zips = new Map<number, Buffer>();
  const records = new Map<number, VersionRecord>();
  const now = Date.now();
  for (let version = 1; version <= options.versions; version += 1) {
    // Random content so each version's bytes, and the comparison with them, are distinct.
    const zip = writeZip(
      [
        {
          path: 'config.json',
          content: Buffer.from(JSON.stringify({ version, nonce: randomBytes(8).toString('hex') })),
        },
        { path: 'cert', content: randomBytes(options.certBytes ?? 700) },
      ],
      new Date(now),
    );
    const record: VersionRecord = {
      version,
      bundleSHA256: createHash('sha256').update(zip).digest('hex'),
      certificateSHA256: randomBytes(32).toString('hex'),
      serialNumber: randomBytes(16).toString('hex'),
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 86_400_000),
      createdAt: new Date(now - (options.versions - version) * 1000),
      size: zip.length,
      inputsHash: undefined,
      issuerFingerprint: randomBytes(32).toString('hex'),
      rotateTokenDigest: undefined,
    };
    zips.set(version, zip);
    records.set(version, record);
    const file = { fileName: bundleZipFileName(name), content: zip };
    await core().createNamespacedSecret({ namespace, body: versionSecret(created, record, file) });
    if (version === options.versions) {
      await core().createNamespacedSecret({ namespace, body: publishedSecret(created, record, file, []) });
    }
  }
  const versions = [...records.values()].reverse().map((record) => ({
    ...versionEntry(record, `${bundleSecretName(created)}-v${record.version}`),
    state: record.version === options.versions ? ('Active' as const) : ('Deprecated' as const),
  }));
  const bundle = (await custom().patchNamespacedCustomObjectStatus(
    {
      group: API_GROUP,
      version: API_VERSION_NAME,
      namespace,
      plural: 'secureconnectionbundles',
      name,
      body: { status: { currentVersion: options.versions, secretName: bundleSecretName(created), versions } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  )) as SecureConnectionBundle;
  return { bundle, zips, records };
}
