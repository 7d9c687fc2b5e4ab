import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  generateKeyPairSync,
  webcrypto,
  type KeyObject,
} from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import { encodePem } from './pem.js';

export type KeyAlgorithm = 'ECDSA' | 'RSA';
/** PKCS1 means PKCS#1 for RSA and SEC1 for ECDSA: the "traditional" OpenSSL forms. */
export type KeyEncoding = 'PKCS1' | 'PKCS8';

export interface PrivateKeySpec {
  algorithm: KeyAlgorithm;
  size: number;
  encoding?: KeyEncoding;
}

export const DEFAULT_PRIVATE_KEY: PrivateKeySpec = { algorithm: 'ECDSA', size: 256, encoding: 'PKCS8' };

const ISSUABLE_SIZES: Readonly<Record<KeyAlgorithm, readonly number[]>> = {
  ECDSA: [256, 384],
  RSA: [2048, 3072, 4096],
};

const SUPPORTED_KEYS_HINT = 'use ECDSA with size 256 or 384, or RSA with size 2048, 3072 or 4096';

/** The keys we issue client certificates for (a CA may hold others, see readPrivateKeyPem). */
export function validatePrivateKeySpec(spec: PrivateKeySpec): void {
  if (!Object.hasOwn(ISSUABLE_SIZES, spec.algorithm)) {
    throw new InvalidInputError(
      'UnsupportedKeyAlgorithm',
      `privateKey.algorithm "${String(spec.algorithm)}" is not supported: ${SUPPORTED_KEYS_HINT}`,
      'privateKey.algorithm',
    );
  }
  if (!ISSUABLE_SIZES[spec.algorithm].includes(spec.size)) {
    throw new InvalidInputError(
      'UnsupportedKeyAlgorithm',
      `privateKey.size ${String(spec.size)} is not supported for ${spec.algorithm}: ${SUPPORTED_KEYS_HINT}`,
      'privateKey.size',
    );
  }
  if (spec.encoding !== undefined && spec.encoding !== 'PKCS1' && spec.encoding !== 'PKCS8') {
    throw new InvalidInputError(
      'UnsupportedKeyEncoding',
      `privateKey.encoding "${String(spec.encoding)}" is not supported: use PKCS8 or PKCS1`,
      'privateKey.encoding',
    );
  }
}

/** A private key in the two DER forms everything else is built from. */
export interface KeyMaterial {
  algorithm: KeyAlgorithm;
  /** Curve size for ECDSA (256, 384, 521), modulus bits for RSA. */
  size: number;
  pkcs8Der: Buffer;
  spkiDer: Buffer;
}

function webCryptoAlgorithm(algorithm: KeyAlgorithm, size: number) {
  return algorithm === 'ECDSA'
    ? { name: 'ECDSA', namedCurve: `P-${size}` }
    : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
}

/** The AlgorithmIdentifier (id-ecPublicKey with the named curve) of PKCS#8 and SPKI, per curve. */
const CURVE_NAMES: Readonly<Record<number, string>> = { 256: 'P-256', 384: 'P-384' };

/**
 * Native key generation (OpenSSL). RSA runs on the libuv threadpool because it takes 0.1 to
 * several seconds and must not stall the event loop; EC takes well under a millisecond and
 * runs inline, which spares two threadpool hops.
 */
export async function generateKeyMaterial(spec: PrivateKeySpec): Promise<KeyMaterial> {
  validatePrivateKeySpec(spec);
  return spec.algorithm === 'RSA' ? generateRsaKeyMaterial(spec.size) : generateEcKeyMaterial(spec.size);
}

function generateRsaKeyMaterial(size: number): Promise<KeyMaterial> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      {
        modulusLength: size,
        publicExponent: 0x10001,
        publicKeyEncoding: { type: 'spki', format: 'der' },
        privateKeyEncoding: { type: 'pkcs8', format: 'der' },
      },
      (error, spkiDer, pkcs8Der) =>
        error ? reject(error) : resolve({ algorithm: 'RSA', size, pkcs8Der, spkiDer }),
    );
  });
}

/**
 * Generated straight into DER, never as a KeyObject that is exported afterwards: on Node 20,
 * exporting a freshly generated key can deadlock. The export holds the key's mutex while it
 * allocates; that allocation can run a GC that destroys the finished generation job, whose
 * destructor takes the same mutex (gdb on a hung operator: ~KeyGenJob<EcKeyGenTraits> under
 * KeyObjectHandle::ExportJWK). It hung one `scbctl generate` in about 150, and the operator
 * under load. The encoders cost about 0.2 ms per key.
 */
function generateEcKeyMaterial(size: number): KeyMaterial {
  const namedCurve = CURVE_NAMES[size];
  if (!namedCurve) throw new Error(`no curve for ECDSA size ${size}`);
  const { publicKey: spkiDer, privateKey: pkcs8Der } = generateKeyPairSync('ec', {
    namedCurve,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  });
  return { algorithm: 'ECDSA', size, pkcs8Der, spkiDer };
}

const CURVE_SIZES: Readonly<Record<string, number>> = {
  prime256v1: 256,
  secp384r1: 384,
  secp521r1: 521,
};

/** RSA below 2048 bits fails OpenSSL's default security level on current distributions. */
const MINIMUM_RSA_BITS = 2048;

function supportedKind(key: KeyObject): { algorithm: KeyAlgorithm; size: number } | undefined {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    const size = CURVE_SIZES[details.namedCurve ?? ''];
    return size === undefined ? undefined : { algorithm: 'ECDSA', size };
  }
  if (key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= MINIMUM_RSA_BITS) {
    return { algorithm: 'RSA', size: details.modulusLength ?? 0 };
  }
  return undefined;
}

/**
 * Reads an unencrypted PKCS#8, PKCS#1 or SEC1 PEM key. `what` names the source in errors; the
 * key itself never appears in one.
 */
export function readPrivateKeyPem(pem: string, what: string): KeyMaterial {
  // Checked on the text: OpenSSL's failure for an encrypted key without a passphrase varies.
  if (/BEGIN ENCRYPTED PRIVATE KEY|Proc-Type: *4, *ENCRYPTED/.test(pem)) {
    throw new InvalidInputError(
      'MalformedPem',
      `${what} is encrypted: store it unencrypted (openssl pkey -in key.pem -out key-plain.pem)`,
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new InvalidInputError(
      'MalformedPem',
      `${what} is not a readable PEM private key: provide PKCS#8 (BEGIN PRIVATE KEY), PKCS#1 (BEGIN RSA PRIVATE KEY) or SEC1 (BEGIN EC PRIVATE KEY)`,
    );
  }
  const supported = supportedKind(key);
  if (!supported) {
    const details = key.asymmetricKeyDetails ?? {};
    const kind = [key.asymmetricKeyType, details.namedCurve ?? details.modulusLength]
      .filter((part) => part !== undefined)
      .join(' ');
    throw new InvalidInputError(
      'UnsupportedKeyAlgorithm',
      `${what} is a ${kind} key, which is not supported: use ECDSA (P-256, P-384, P-521) or RSA of at least ${MINIMUM_RSA_BITS} bits`,
    );
  }
  return {
    ...supported,
    pkcs8Der: key.export({ type: 'pkcs8', format: 'der' }),
    spkiDer: createPublicKey(key).export({ type: 'spki', format: 'der' }),
  };
}

/** A non-extractable WebCrypto key that signs certificates. */
export function importSigningKey(material: KeyMaterial): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey(
    'pkcs8',
    material.pkcs8Der,
    webCryptoAlgorithm(material.algorithm, material.size),
    false,
    ['sign'],
  );
}

const ECDSA_HASHES: Readonly<Record<string, string>> = {
  'P-256': 'SHA-256',
  'P-384': 'SHA-384',
  'P-521': 'SHA-512',
};

/** The signature algorithm a CA key signs with: the hash matches the curve strength. */
export function signatureAlgorithmFor(key: webcrypto.CryptoKey): { name: string; hash: string } {
  const { name, namedCurve } = key.algorithm as webcrypto.EcKeyAlgorithm;
  return { name, hash: name === 'ECDSA' ? (ECDSA_HASHES[namedCurve] ?? 'SHA-256') : 'SHA-256' };
}

export function encodePrivateKeyPem(material: KeyMaterial, encoding: KeyEncoding = 'PKCS8'): string {
  if (encoding === 'PKCS8') return encodePem('PRIVATE KEY', material.pkcs8Der);
  return createPrivateKey({ key: material.pkcs8Der, format: 'der', type: 'pkcs8' }).export({
    format: 'pem',
    type: material.algorithm === 'RSA' ? 'pkcs1' : 'sec1',
  }) as string;
}
