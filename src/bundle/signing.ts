import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { InvalidInputError } from '../errors.js';

/**
 * The key that signs manifest.json. It is deliberately not a CA key: a leaked signing key lets
 * someone forge a manifest, never a client identity. P-256 keeps `manifest.sig` at ~72 bytes and
 * lets anyone check it with `openssl dgst -sha256 -verify signing.pub -signature manifest.sig manifest.json`.
 */
export const MANIFEST_SIGNATURE_ALGORITHM = 'ECDSA-P256-SHA256';

export interface ManifestSigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Lower-case hex SHA-256 of the public key's SPKI DER; names the key in manifest.json. */
  keyId: string;
}

const GENERATE_HINT = 'create one with "scbctl signing-key generate --out FILE"';

/** Generated as DER and loaded back: see generateEcKeyMaterial in src/pki/private-key.ts for why. */
export function generateSigningKey(): ManifestSigningKey {
  const { privateKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  });
  const loaded = createPrivateKey({ key: privateKey, format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(loaded);
  return { privateKey: loaded, publicKey, keyId: signingKeyId(publicKey) };
}

/** `what` names the source (a file or Secret key) in errors; the PEM itself never appears in one. */
export function loadSigningKey(pem: string, what: string): ManifestSigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    throw new InvalidInputError(
      'MalformedSigningKey',
      `${what}: not a PEM private key; ${GENERATE_HINT}`,
      what,
    );
  }
  requireP256(privateKey, what);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: signingKeyId(publicKey) };
}

/** Reads a verification key: an SPKI public key PEM (or the private key, whose public half is used). */
export function loadSigningPublicKey(pem: string, what: string): KeyObject {
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(pem);
  } catch {
    throw new InvalidInputError(
      'MalformedPublicKey',
      `${what}: not a PEM public key; export it with "scbctl signing-key public --key FILE"`,
      what,
    );
  }
  requireP256(publicKey, what);
  return publicKey;
}

export function signingKeyPem(key: ManifestSigningKey): string {
  return key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

export function signingPublicKeyPem(publicKey: KeyObject): string {
  return publicKey.export({ type: 'spki', format: 'pem' }) as string;
}

export function signingKeyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** DER-encoded ECDSA-SHA256 over the exact bytes given (what `openssl dgst -verify` expects). */
export function signManifest(manifestBytes: Buffer, key: ManifestSigningKey): Buffer {
  return sign('sha256', manifestBytes, { key: key.privateKey, dsaEncoding: 'der' });
}

export function verifyManifestSignature(
  manifestBytes: Buffer,
  signature: Buffer,
  publicKey: KeyObject,
): boolean {
  try {
    return verify('sha256', manifestBytes, { key: publicKey, dsaEncoding: 'der' }, signature);
  } catch {
    // A truncated or garbled signature is a failed verification, not an I/O error.
    return false;
  }
}

function requireP256(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new InvalidInputError(
      'UnsupportedSigningKey',
      `${what}: the manifest signing key must be an ECDSA P-256 key; ${GENERATE_HINT}`,
      what,
    );
  }
}
