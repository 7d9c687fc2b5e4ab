import { createCipheriv, createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { EncryptedContent, EncryptedContentInfo, id_data, id_encryptedData } from '@peculiar/asn1-cms';
import {
  MacData,
  PKCS12Attribute,
  PKCS8ShroudedKeyBag,
  id_certBag,
  id_pkcs8ShroudedKeyBag,
  id_x509Certificate,
} from '@peculiar/asn1-pfx';
import { EncryptedData } from '@peculiar/asn1-pkcs8';
import { DigestInfo } from '@peculiar/asn1-rsa';
import { AsnBmpStringConverter, AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import {
  derExplicit,
  derInteger,
  derObjectIdentifier,
  derOctetString,
  derSequence,
  derSetOf,
  type DerPart,
} from '../asn1/der.js';
import { Pkcs12KeyPurpose, pkcs12Kdf } from './pkcs12-kdf.js';
import { CmsEncryptedData, OID, Pbes2Params, Pbkdf2Params, Pkcs12PbeParams } from './pkcs12-schema.js';

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
const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;

export function buildPkcs12(input: Pkcs12Input): Buffer {
  const iterations = input.iterations ?? DEFAULT_PKCS12_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new RangeError(`PKCS#12 iterations must be a positive integer, got ${iterations}`);
  }
  const legacy = input.profile === 'Legacy';
  const encrypt = legacy ? encryptTripleDes : encryptPbes2;
  // localKeyId pairs the key with its certificate; OpenSSL uses the certificate's SHA-1 too.
  const attributes = derSetOf(
    attribute(OID.friendlyName, AsnConvert.serialize(AsnBmpStringConverter.toASN(input.friendlyName))),
    attribute(OID.localKeyId, der(new OctetString(createHash('sha1').update(input.certificateDer).digest()))),
  );

  // SafeContents: the certificate (with the alias attributes), then its chain.
  const certificates = derSequence(
    certificateBag(input.certificateDer, attributes),
    ...input.chainDer.map((chainDer) => certificateBag(chainDer)),
  );
  const shroudedKey = encrypt(input.password, input.privateKeyPkcs8Der, iterations);
  const keys = derSequence(
    safeBag(
      id_pkcs8ShroudedKeyBag,
      der(
        new PKCS8ShroudedKeyBag({
          encryptionAlgorithm: shroudedKey.algorithm,
          encryptedData: new EncryptedData(shroudedKey.ciphertext),
        }),
      ),
      attributes,
    ),
  );

  const authenticatedSafe = derSequence(
    legacy ? encryptedContent(encrypt(input.password, certificates, iterations)) : dataContent(certificates),
    dataContent(keys),
  );
  const mac = macData(legacy ? 'sha1' : 'sha256', input.password, authenticatedSafe, iterations);
  return derSequence(derInteger(3), dataContent(authenticatedSafe), der(mac));
}

interface Encrypted {
  algorithm: AlgorithmIdentifier;
  ciphertext: Buffer;
}

function encryptPbes2(password: string, plaintext: Uint8Array, iterations: number): Encrypted {
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(16);
  // PBES2 takes the password as plain bytes (UTF-8), unlike the BMPString of the PKCS#12 KDF.
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, 32, 'sha256');
  const parameters = new Pbes2Params({
    keyDerivationFunc: new AlgorithmIdentifier({
      algorithm: OID.pbkdf2,
      parameters: der(
        new Pbkdf2Params({
          salt: new OctetString(salt),
          iterationCount: iterations,
          prf: new AlgorithmIdentifier({ algorithm: OID.hmacWithSha256, parameters: DER_NULL }),
        }),
      ),
    }),
    encryptionScheme: new AlgorithmIdentifier({
      algorithm: OID.aes256Cbc,
      parameters: der(new OctetString(iv)),
    }),
  });
  return {
    algorithm: new AlgorithmIdentifier({ algorithm: OID.pbes2, parameters: der(parameters) }),
    ciphertext: encryptCbc('aes-256-cbc', key, iv, plaintext),
  };
}

function encryptTripleDes(password: string, plaintext: Uint8Array, iterations: number): Encrypted {
  const salt = randomBytes(SALT_BYTES);
  const key = pkcs12Kdf('sha1', password, salt, iterations, Pkcs12KeyPurpose.encryptionKey, 24);
  const iv = pkcs12Kdf('sha1', password, salt, iterations, Pkcs12KeyPurpose.iv, 8);
  return {
    algorithm: new AlgorithmIdentifier({
      algorithm: OID.pbeWithShaAnd3KeyTripleDesCbc,
      parameters: der(new Pkcs12PbeParams({ salt: new OctetString(salt), iterations })),
    }),
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
): MacData {
  const salt = randomBytes(SALT_BYTES);
  const keyLength = algorithm === 'sha1' ? 20 : 32;
  const key = pkcs12Kdf(algorithm, password, salt, iterations, Pkcs12KeyPurpose.macKey, keyLength);
  return new MacData({
    mac: new DigestInfo({
      // RFC 5754: SHA-2 parameters absent; SHA-1 with NULL as the old writers did.
      digestAlgorithm:
        algorithm === 'sha1'
          ? new AlgorithmIdentifier({ algorithm: OID.sha1, parameters: DER_NULL })
          : new AlgorithmIdentifier({ algorithm: OID.sha256 }),
      digest: new OctetString(createHmac(algorithm, key).update(content).digest()),
    }),
    macSalt: new OctetString(salt),
    iterations,
  });
}

function certificateBag(certificateDer: Buffer, attributes?: Buffer): Buffer {
  const bag = derSequence(
    derObjectIdentifier(id_x509Certificate),
    derExplicit(0, derOctetString(certificateDer)),
  );
  return safeBag(id_certBag, bag, attributes);
}

function safeBag(bagId: string, value: DerPart, attributes?: Buffer): Buffer {
  return derSequence(derObjectIdentifier(bagId), derExplicit(0, value), ...(attributes ? [attributes] : []));
}

function attribute(attrId: string, value: ArrayBuffer): ArrayBuffer {
  // PKCS12Attribute's constructor ignores its argument (asn1-pfx 2.11.1), so assign the fields.
  const result = new PKCS12Attribute();
  result.attrId = attrId;
  result.attrValues = [value];
  return der(result);
}

function dataContent(content: Buffer): Buffer {
  return derSequence(derObjectIdentifier(id_data), derExplicit(0, derOctetString(content)));
}

function encryptedContent({ algorithm, ciphertext }: Encrypted): Buffer {
  const encryptedData = new CmsEncryptedData({
    encryptedContentInfo: new EncryptedContentInfo({
      contentType: id_data,
      contentEncryptionAlgorithm: algorithm,
      encryptedContent: new EncryptedContent({ value: new OctetString(ciphertext) }),
    }),
  });
  return derSequence(derObjectIdentifier(id_encryptedData), derExplicit(0, der(encryptedData)));
}

function der(value: unknown): ArrayBuffer {
  return AsnConvert.serialize(value);
}
