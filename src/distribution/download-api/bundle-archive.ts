import { createHash } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { bundleSecretName, type SecureConnectionBundle } from '../../api/v1alpha1/index.js';
import { bundleZipFileName } from '../../bundle/layout.js';
import { ANNOTATIONS, versionSecretName } from '../../controllers/bundle/bundle-secrets.js';
import { controllerOf, roleOf, VERSION_LABEL, type OwnedRole } from '../../controllers/ownership.js';
import type { BundleRef } from './download-routes.js';

/** The reads the download API needs (KubeObjects implements them). */
export interface ArchiveSource {
  getBundle(namespace: string, name: string): Promise<SecureConnectionBundle | undefined>;
  getSecret(namespace: string, name: string): Promise<V1Secret | undefined>;
}

export interface BundleArchive {
  fileName: string;
  content: Buffer;
  version: number;
  sha256: string;
}

export type ArchiveLookup = { found: true; archive: BundleArchive } | { found: false; message: string };

/**
 * The zip exactly as the operator stored it: the published Secret for the current version, the
 * version Secret `<published>-v<N>` for version N. Only Secrets this bundle controls, in the role
 * expected, are served, so a hand-made Secret with a matching name is never handed out.
 */
export async function findBundleArchive(
  source: ArchiveSource,
  ref: BundleRef,
  version: number | undefined,
): Promise<ArchiveLookup> {
  const bundle = await source.getBundle(ref.namespace, ref.name);
  const what = `SecureConnectionBundle ${ref.namespace}/${ref.name}`;
  if (!bundle) return { found: false, message: `${what} does not exist` };
  const fileName = bundleZipFileName(ref.name);
  if (version === undefined) {
    const secret = await source.getSecret(ref.namespace, bundleSecretName(bundle));
    const archive = ownedArchive(secret, bundle, 'published-bundle', fileName);
    const published = Number(secret?.metadata?.annotations?.[ANNOTATIONS.version]);
    if (!archive || !Number.isSafeInteger(published)) {
      return { found: false, message: `${what} has no published version yet` };
    }
    return { found: true, archive: { ...archive, version: published } };
  }
  const secret = await source.getSecret(ref.namespace, versionSecretName(bundle, version));
  const archive = ownedArchive(secret, bundle, 'bundle-version', fileName);
  if (!archive || secret?.metadata?.labels?.[VERSION_LABEL] !== String(version)) {
    const kept = (bundle.status?.versions ?? [])
      .filter((entry) => entry.state === 'Active' || entry.state === 'Deprecated')
      .map((entry) => entry.version);
    return {
      found: false,
      message:
        `version ${version} of ${what} is not kept in the cluster` +
        (kept.length > 0 ? `; retrievable versions: ${kept.join(', ')}` : ''),
    };
  }
  return { found: true, archive: { ...archive, version } };
}

function ownedArchive(
  secret: V1Secret | undefined,
  bundle: SecureConnectionBundle,
  role: OwnedRole,
  fileName: string,
): Omit<BundleArchive, 'version'> | undefined {
  if (!secret || roleOf(secret.metadata) !== role) return undefined;
  if (controllerOf(secret.metadata)?.uid !== bundle.metadata.uid) return undefined;
  const data = secret.data?.[fileName];
  if (data === undefined) return undefined;
  const content = Buffer.from(data, 'base64');
  return { fileName, content, sha256: createHash('sha256').update(content).digest('hex') };
}
