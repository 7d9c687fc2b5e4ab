/**
 * spec.target.objectStore plus the Secrets it names, checked and resolved into what the publisher
 * needs. Pure: the caller reads the Secrets (KubeObjects.getSecret) and passes them in.
 */
import type { V1Secret } from '@kubernetes/client-node';
import type { ObjectStoreTarget, ServerSideEncryption } from '../../api/v1alpha1/index.js';
import { InvalidInputError } from '../../errors.js';
import { secretValue, type SecretValue } from '../../observability/secret-value.js';
import { readKeyEncryptionKey, type KeyEncryptionKey } from './client-side-encryption.js';
import { prefixProblem, type BundleLocation } from './object-keys.js';

const FIELD = 'spec.target.objectStore';

/** What the S3 client signs requests with. */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A function the S3 client calls per request: the one place the credentials are revealed. */
export type StoreCredentials = () => Promise<S3Credentials>;

export interface ObjectStoreSettings {
  bucket: string;
  location: BundleLocation;
  /** Undefined: the AWS endpoint of the region. */
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  credentials: StoreCredentials;
  serverSideEncryption?: ServerSideEncryption;
  /** Present when spec.target.objectStore.clientSideEncryption is set. */
  encryptionKey?: KeyEncryptionKey;
}

/** The Secrets a bundle's object store needs, in its namespace: read (and watch) these. */
export interface ObjectStoreSecretRefs {
  credentials: string;
  encryptionKey?: { name: string; key: string };
}

export function objectStoreSecretRefs(target: ObjectStoreTarget): ObjectStoreSecretRefs {
  const keyRef = target.clientSideEncryption?.keySecretRef;
  return {
    credentials: target.credentialsSecretRef.name,
    ...(keyRef ? { encryptionKey: { name: keyRef.name, key: keyRef.key } } : {}),
  };
}

export interface ObjectStoreInputs {
  namespace: string;
  /** metadata.name of the SecureConnectionBundle. */
  name: string;
  target: ObjectStoreTarget;
  /** The Secret named by credentialsSecretRef; undefined when it does not exist. */
  credentialsSecret: V1Secret | undefined;
  /** The Secret named by clientSideEncryption.keySecretRef (when set); undefined when missing. */
  encryptionKeySecret?: V1Secret | undefined;
}

/** Throws InvalidInputError naming the field and the fix; never quotes a Secret's value. */
export function resolveObjectStoreSettings(inputs: ObjectStoreInputs): ObjectStoreSettings {
  const { namespace, name, target } = inputs;
  const badPrefix = prefixProblem(target.prefix);
  if (badPrefix) {
    throw new InvalidInputError(
      'InvalidObjectStorePrefix',
      `${FIELD}.prefix ${badPrefix}; write it like prod/orders`,
      `${FIELD}.prefix`,
    );
  }
  const endpoint = target.endpoint === undefined ? undefined : checkedEndpoint(target.endpoint);
  const credentials = readCredentials(namespace, target, inputs.credentialsSecret);
  const keyRef = target.clientSideEncryption?.keySecretRef;
  return {
    bucket: target.bucket,
    location: { prefix: target.prefix, namespace, name },
    ...(endpoint ? { endpoint } : {}),
    region: target.region || 'us-east-1',
    forcePathStyle: target.pathStyle ?? false,
    credentials: async () => credentials.reveal(),
    ...(target.serverSideEncryption ? { serverSideEncryption: target.serverSideEncryption } : {}),
    ...(keyRef
      ? {
          encryptionKey: readKeyEncryptionKey(
            namespace,
            keyRef,
            inputs.encryptionKeySecret,
            `${FIELD}.clientSideEncryption.keySecretRef`,
          ),
        }
      : {}),
  };
}

function checkedEndpoint(endpoint: string): string {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.hostname === '') {
    throw new InvalidInputError(
      'InvalidObjectStoreEndpoint',
      `${FIELD}.endpoint must be an absolute http:// or https:// URL with a host, e.g. https://rgw.storage.example:7480`,
      `${FIELD}.endpoint`,
    );
  }
  return endpoint;
}

function readCredentials(
  namespace: string,
  target: ObjectStoreTarget,
  secret: V1Secret | undefined,
): SecretValue<S3Credentials> {
  const secretName = target.credentialsSecretRef.name;
  const field = `${FIELD}.credentialsSecretRef`;
  if (!secret) {
    throw new InvalidInputError(
      'ObjectStoreCredentialsNotFound',
      `Secret ${namespace}/${secretName} named by ${field}.name does not exist: create it with the ` +
        'keys accessKeyId and secretAccessKey (and sessionToken for temporary credentials)',
      `${field}.name`,
    );
  }
  // Values created from files often end in a newline; access keys never contain whitespace.
  const value = (key: string): string | undefined => {
    const encoded = secret.data?.[key];
    const text = encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8').trim();
    return text ? text : undefined;
  };
  const accessKeyId = value('accessKeyId');
  const secretAccessKey = value('secretAccessKey');
  const missing = [accessKeyId ? [] : ['accessKeyId'], secretAccessKey ? [] : ['secretAccessKey']].flat();
  if (!accessKeyId || !secretAccessKey) {
    throw new InvalidInputError(
      'ObjectStoreCredentialsIncomplete',
      `Secret ${namespace}/${secretName} named by ${field}.name has no ${missing.join(' and ')}: ` +
        'add the key(s) with the S3 access key id and secret access key',
      `${field}.name`,
    );
  }
  const sessionToken = value('sessionToken');
  return secretValue({ accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) });
}
