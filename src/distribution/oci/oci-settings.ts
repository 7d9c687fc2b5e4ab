/**
 * spec.target.ociRepository plus the Secrets it names, checked and resolved into what the
 * publisher needs. Pure: the caller reads the Secrets and passes them in.
 *
 * Registry credentials: a Secret with `username` and `password` (the keys of a
 * kubernetes.io/basic-auth Secret, any type accepted). The same pair answers a Basic challenge
 * and is exchanged for a token when the registry asks for Bearer.
 */
import type { V1Secret } from '@kubernetes/client-node';
import { InvalidInputError } from '../../errors.js';
import { secretValue, type SecretValue } from '../../observability/secret-value.js';
import { readKeyEncryptionKey, type KeyEncryptionKey } from '../object-store/client-side-encryption.js';
import { parseRepository, type OciRepository } from './oci-reference.js';
import type { RegistryCredentials } from './registry-client.js';

const FIELD = 'spec.target.ociRepository';
export const DEFAULT_KEEP_TAGS = 5;

/** spec.target.ociRepository as the CRD shapes it. */
export interface OciRepositoryTarget {
  repository: string;
  credentialsSecretRef: { name: string };
  encryptionKeySecretRef: { name: string; key: string };
  keepTags?: number;
}

export interface OciSettings extends OciRepository {
  namespace: string;
  /** metadata.name of the SecureConnectionBundle. */
  name: string;
  credentials: SecretValue<RegistryCredentials>;
  encryptionKey: KeyEncryptionKey;
  keepTags: number;
}

export interface OciInputs {
  namespace: string;
  name: string;
  target: OciRepositoryTarget;
  credentialsSecret: V1Secret | undefined;
  encryptionKeySecret: V1Secret | undefined;
}

/** Throws InvalidInputError naming the field and the fix; never quotes a Secret's value. */
export function resolveOciSettings(inputs: OciInputs): OciSettings {
  const { namespace, name, target } = inputs;
  const repository = parseRepository(target.repository, `${FIELD}.repository`);
  return {
    ...repository,
    namespace,
    name,
    credentials: readCredentials(namespace, target, inputs.credentialsSecret),
    encryptionKey: readKeyEncryptionKey(
      namespace,
      target.encryptionKeySecretRef,
      inputs.encryptionKeySecret,
      `${FIELD}.encryptionKeySecretRef`,
    ),
    keepTags: target.keepTags ?? DEFAULT_KEEP_TAGS,
  };
}

function readCredentials(
  namespace: string,
  target: OciRepositoryTarget,
  secret: V1Secret | undefined,
): SecretValue<RegistryCredentials> {
  const secretName = target.credentialsSecretRef.name;
  const field = `${FIELD}.credentialsSecretRef.name`;
  if (!secret) {
    throw new InvalidInputError(
      'OciCredentialsNotFound',
      `Secret ${namespace}/${secretName} named by ${field} does not exist: create it with the keys ` +
        `username and password, e.g. kubectl create secret generic ${secretName} -n ${namespace} ` +
        '--type kubernetes.io/basic-auth --from-literal=username=... --from-literal=password=...',
      field,
    );
  }
  const value = (key: string): string | undefined => {
    const encoded = secret.data?.[key];
    // A value made from a file often ends in a newline; neither a user name nor a token has one.
    const text =
      encoded === undefined
        ? undefined
        : Buffer.from(encoded, 'base64')
            .toString('utf8')
            .replace(/\r?\n$/, '');
    return text ? text : undefined;
  };
  const username = value('username');
  const password = value('password');
  if (!username || !password || username.includes(':')) {
    const missing = [username ? [] : ['username'], password ? [] : ['password']].flat();
    throw new InvalidInputError(
      'OciCredentialsIncomplete',
      missing.length > 0
        ? `Secret ${namespace}/${secretName} named by ${field} has no ${missing.join(' and ')}: add the registry user name and password (or token)`
        : `Secret ${namespace}/${secretName} named by ${field}: username must not contain ':'`,
      field,
    );
  }
  return secretValue({ username, password });
}
