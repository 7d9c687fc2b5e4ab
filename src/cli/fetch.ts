import { createHash } from 'node:crypto';
import { request } from 'node:https';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import {
  API_GROUP,
  API_VERSION_NAME,
  SECURE_CONNECTION_BUNDLE,
  bundleSecretName,
  type SecureConnectionBundle,
} from '../api/v1alpha1/index.js';
import { bundleZipFileName } from '../bundle/layout.js';
import { ANNOTATIONS, versionSecretName } from '../controllers/bundle/bundle-secrets.js';
import { downloadPath } from '../distribution/download-api/download-routes.js';
import { InvalidInputError } from '../errors.js';
import { httpStatusOf } from '../kube/errors.js';
import { ClusterCommandFailure, clusterFailure } from './cluster-access.js';

export interface FetchedBundle {
  content: Buffer;
  fileName: string;
  version: number;
  sha256: string;
}

/**
 * A bundle zip from the Secret the operator wrote (`get` on the bundle and on Secrets), checked
 * against the SHA-256 the operator recorded beside it, so a truncated or swapped zip is refused.
 */
export async function fetchFromSecret(
  kubeConfig: KubeConfig,
  ref: { namespace: string; name: string },
  version: number | undefined,
): Promise<FetchedBundle> {
  const bundle = await readBundle(kubeConfig, ref);
  const secretName = version === undefined ? bundleSecretName(bundle) : versionSecretName(bundle, version);
  const what = version === undefined ? 'the published Secret' : `the Secret of version ${version}`;
  let secret;
  try {
    secret = await kubeConfig
      .makeApiClient(CoreV1Api)
      .readNamespacedSecret({ namespace: ref.namespace, name: secretName });
  } catch (error) {
    if (httpStatusOf(error) === 404) {
      throw new ClusterCommandFailure(
        `${what} ${ref.namespace}/${secretName} does not exist` +
          (version === undefined
            ? ': the bundle has not been published yet (see scbctl versions)'
            : ': that version is not kept in the cluster (see scbctl versions)'),
      );
    }
    throw clusterFailure(`reading ${what} ${ref.namespace}/${secretName}`, error);
  }
  const fileName = bundleZipFileName(ref.name);
  const data = secret.data?.[fileName];
  if (data === undefined)
    throw new ClusterCommandFailure(`Secret ${ref.namespace}/${secretName} has no ${fileName}`);
  const content = Buffer.from(data, 'base64');
  const sha256 = sha256Hex(content);
  const recorded = secret.metadata?.annotations?.[ANNOTATIONS.bundleSHA256];
  if (recorded !== undefined && recorded !== sha256) {
    throw new ClusterCommandFailure(
      `Secret ${ref.namespace}/${secretName}: the zip's SHA-256 ${sha256} differs from the recorded ${recorded}; not written`,
    );
  }
  const stored = Number(secret.metadata?.annotations?.[ANNOTATIONS.version]);
  return { content, fileName, version: Number.isSafeInteger(stored) ? stored : (version ?? 0), sha256 };
}

/**
 * A bundle zip from the operator's download API, authenticated with the kubeconfig's bearer
 * token (the API checks it with a TokenReview and `get` on secureconnectionbundles/download).
 */
export async function fetchFromApi(
  kubeConfig: KubeConfig,
  ref: { namespace: string; name: string },
  version: number | undefined,
  api: { url: string; caPem: string | undefined },
): Promise<FetchedBundle> {
  const authorization = await bearerAuthorization(kubeConfig);
  const base = new URL(api.url);
  const target = new URL(`${base.pathname.replace(/\/+$/, '')}${downloadPath(ref, version)}`, base);
  const response = await get(target, { Authorization: authorization }, api.caPem);
  if (response.status !== 200) {
    const detail = describeRefusal(response.body);
    throw new ClusterCommandFailure(
      `download API answered HTTP ${response.status} for ${ref.namespace}/${ref.name}${detail}`,
    );
  }
  const sha256 = sha256Hex(response.body);
  const announced = response.headers['x-scb-bundle-sha256'];
  if (typeof announced === 'string' && announced !== sha256) {
    throw new ClusterCommandFailure(
      `download API: the zip's SHA-256 ${sha256} differs from the announced ${announced}; not written`,
    );
  }
  return {
    content: response.body,
    fileName: bundleZipFileName(ref.name),
    version: Number(response.headers['x-scb-bundle-version'] ?? version ?? 0),
    sha256,
  };
}

export async function readBundle(
  kubeConfig: KubeConfig,
  ref: { namespace: string; name: string },
): Promise<SecureConnectionBundle> {
  try {
    return (await kubeConfig.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: API_GROUP,
      version: API_VERSION_NAME,
      plural: SECURE_CONNECTION_BUNDLE.plural,
      namespace: ref.namespace,
      name: ref.name,
    })) as SecureConnectionBundle;
  } catch (error) {
    if (httpStatusOf(error) === 404) {
      throw new ClusterCommandFailure(
        `SecureConnectionBundle ${ref.namespace}/${ref.name} not found (check the name and -n/--namespace)`,
      );
    }
    throw clusterFailure(`reading SecureConnectionBundle ${ref.namespace}/${ref.name}`, error);
  }
}

async function bearerAuthorization(kubeConfig: KubeConfig): Promise<string> {
  const options = await kubeConfig.applyToFetchOptions({});
  const headers = new Headers(options.headers as ConstructorParameters<typeof Headers>[0]);
  const authorization = headers.get('Authorization');
  if (!authorization?.startsWith('Bearer ')) {
    throw new InvalidInputError(
      'NoBearerToken',
      'the kubeconfig user has no bearer token (client certificates cannot be used with the download API): use --via secret, or a kubeconfig with a token (e.g. from kubectl create token)',
      '--via',
    );
  }
  return authorization;
}

function get(
  url: URL,
  headers: Record<string, string>,
  caPem: string | undefined,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  if (url.protocol !== 'https:') {
    return Promise.reject(
      new InvalidInputError(
        'InsecureApiUrl',
        `--api-url ${url.origin}: the download API is served over https://`,
        '--api-url',
      ),
    );
  }
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      { method: 'GET', headers, ...(caPem ? { ca: caPem } : {}), timeout: 60_000 },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () =>
          resolve({
            status: incoming.statusCode ?? 0,
            headers: incoming.headers,
            body: Buffer.concat(chunks),
          }),
        );
        incoming.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('no answer within 60 s')));
    outgoing.on('error', (error) =>
      reject(
        new ClusterCommandFailure(`download API ${url.origin} unreachable: ${error.message}`, {
          cause: error,
        }),
      ),
    );
    outgoing.end();
  });
}

function describeRefusal(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { message?: unknown };
    return typeof parsed.message === 'string' ? `: ${parsed.message}` : '';
  } catch {
    return '';
  }
}

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
