import { createCipheriv, createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import {
  DER_NULL,
  derBmpString,
  derExplicit,
  derImplicitPrimitive,
  derInteger,
  derObjectIdentifiers,
  derOctetString,
  derSequence,
  derSetOf,
} from '../asn1/der.js';
import { Pkcs12KeyPurpose, pkcs12Kdf } from './pkcs12-kdf.js';

// Written with the plain DER writer: asn1-schema's object trees cost about 1 ms per keystore,
// as much as the PBKDF2 rounds, and their ANY fields re-parsed every certificate inside.

/**
 * Modern: PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) key, certificates unencrypted, HMAC-SHA256 MAC;
 * what OpenSSL 3 writes with `-certpbe NONE`, readable by Java 11.0.12+ and OpenSSL 1.1.1+.
 * Legacy: pbeWithSHAAnd3-KeyTripleDES-CBC for key and certificates, HMAC-SHA1 MAC; readable by
 * Java 8 and OpenSSL 1.0 (OpenSSL 3 reads it without the legacy provider).
 */
export type KeystoreProfile = 'Modern' | 'Legacy';

export interface Pkcs12Input {
  privateKeyPkcs8Der: Buffer;
  certificateDer: Buffer;
  /** Issuers of the certificate, nearest first. */
  chainDer: Buffer[];
  /** Java's keytool shows it (lower-cased) as the entry alias. */
  friendlyName: string;
  password: string;
  profile: KeystoreProfile;
  /** PBKDF2 / PKCS#12-KDF rounds; default 2048 like OpenSSL 3. */
  iterations?: number;
}

export const DEFAULT_PKCS12_ITERATIONS = 2048;

const SALT_BYTES = 16;

const OID = derObjectIdentifiers({
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSha256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  pbeWithShaAnd3KeyTripleDesCbc: '1.2.840.113549.1.12.1.3',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
});

export function buildPkcs12(input: Pkcs12Input): Buffer {
  const iterations = input.iterations ?? DEFAULT_PKCS12_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new RangeError(`PKCS#12 iterations must be a positive integer, got ${iterations}`);
  }
  const legacy = input.profile === 'Legacy';
  const encrypt = legacy ? encryptTripleDes : encryptPbes2;
  // localKeyId pairs the key with its certificate; OpenSSL uses the certificate's SHA-1 too.
  const attributes = derSetOf(
    attribute(OID.friendlyName, derBmpString(input.friendlyName)),
    attribute(OID.localKeyId, derOctetString(createHash('sha1').update(input.certificateDer).digest())),
  );

  // SafeContents: the certificate (with the alias attributes), then its chain.
  const certificates = derSequence(
    certificateBag(input.certificateDer, attributes),
    ...input.chainDer.map((chainDer) => certificateBag(chainDer)),
  );
  const shroudedKey = encrypt(input.password, input.privateKeyPkcs8Der, iterations);
  // PKCS8ShroudedKeyBag is an EncryptedPrivateKeyInfo.
  const keys = derSequence(
    safeBag(
      OID.pkcs8ShroudedKeyBag,
      derSequence(shroudedKey.algorithm, derOctetString(shroudedKey.ciphertext)),
      attributes,
    ),
  );

  const authenticatedSafe = derSequence(
    legacy ? encryptedContent(encrypt(input.password, certificates, iterations)) : dataContent(certificates),
    dataContent(keys),
  );
  const mac = macData(legacy ? 'sha1' : 'sha256', input.password, authenticatedSafe, iterations);
  return derSequence(derInteger(3), dataContent(authenticatedSafe), mac);
}

interface Encrypted {
  /** AlgorithmIdentifier DER. */
  algorithm: Buffer;
  ciphertext: Buffer;
}

function encryptPbes2(password: string, plaintext: Uint8Array, iterations: number): Encrypted {
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(16);
  // PBES2 takes the password as plain bytes (UTF-8), unlike the BMPString of the PKCS#12 KDF.
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  // RFC 8018 A.2 PBKDF2-params and A.4 PBES2-params; the salt is always the `specified` OCTET STRING.
  const pbkdf2Params = derSequence(
    derOctetString(salt),
    derInteger(iterations),
    derSequence(OID.hmacWithSha256, DER_NULL),
  );
  const pbes2Params = derSequence(
    derSequence(OID.pbkdf2, pbkdf2Params),
    derSequence(OID.aes256Cbc, derOctetString(iv)),
  );
  return {
    algorithm: derSequence(OID.pbes2, pbes2Params),
    ciphertext: encryptCbc('aes-256-cbc', key, iv, plaintext),
  };
}

function encryptTripleDes(password: string, plaintext: Uint8Array, iterations: number): Encrypted {
  const salt = randomBytes(SALT_BYTES);
  const key = pkcs12Kdf('sha1', password, salt, iterations, Pkcs12KeyPurpose.encryptionKey, 24);
  const iv = pkcs12Kdf('sha1', password, salt, iterations, Pkcs12KeyPurpose.iv, 8);
  return {
    // RFC 7292 C pkcs-12PbeParams.
    algorithm: derSequence(
      OID.pbeWithShaAnd3KeyTripleDesCbc,
      derSequence(derOctetString(salt), derInteger(iterations)),
    ),
    ciphertext: encryptCbc('des-ede3-cbc', key, iv, plaintext),
  };
}

function encryptCbc(cipher: string, key: Buffer, iv: Buffer, plaintext: Uint8Array): Buffer {
  const encryptor = createCipheriv(cipher, key, iv);
  return Buffer.concat([encryptor.update(plaintext), encryptor.final()]);
}

/** RFC 7292 section 5: HMAC over the AuthenticatedSafe with a key from the B.2 KDF (ID 3). */
function macData(
  algorithm: 'sha1' | 'sha256',
  password: string,
  content: Uint8Array,
  iterations: number,
): Buffer {
  const salt = randomBytes(SALT_BYTES);
  const keyLength = algorithm === 'sha1' ? 20 : 32;
  const key = pkcs12Kdf(algorithm, password, salt, iterations, Pkcs12KeyPurpose.macKey, keyLength);
  // RFC 5754: SHA-2 parameters absent; SHA-1 with NULL as the old writers did.
  const digestAlgorithm = algorithm === 'sha1' ? derSequence(OID.sha1, DER_NULL) : derSequence(OID.sha256);
  const digestInfo = derSequence(
    digestAlgorithm,
    derOctetString(createHmac(algorithm, key).update(content).digest()),
  );
  // iterations is DEFAULT 1, which DER leaves out.
  return derSequence(digestInfo, derOctetString(salt), ...(iterations === 1 ? [] : [derInteger(iterations)]));
}

function certificateBag(certificateDer: Buffer, attributes?: Buffer): Buffer {
  const bag = derSequence(OID.x509Certificate, derExplicit(0, derOctetString(certificateDer)));
  return safeBag(OID.certBag, bag, attributes);
}

function safeBag(bagId: Buffer, value: Buffer, attributes?: Buffer): Buffer {
  return derSequence(bagId, derExplicit(0, value), ...(attributes ? [attributes] : []));
}

function attribute(attrId: Buffer, value: Buffer): Buffer {
  return derSequence(attrId, derSetOf(value));
}

function dataContent(content: Buffer): Buffer {
  return derSequence(OID.data, derExplicit(0, derOctetString(content)));
}

/** RFC 5652 6.1 EncryptedData, version 0, the ciphertext as EncryptedContent [0] IMPLICIT. */
function encryptedContent({ algorithm, ciphertext }: Encrypted): Buffer {
  const encryptedData = derSequence(
    derInteger(0),
    derSequence(OID.data, algorithm, derImplicitPrimitive(0, ciphertext)),
  );
  return derSequence(OID.encryptedData, derExplicit(0, encryptedData));
}
