import { createHash, webcrypto } from 'node:crypto';
import { encodePem } from '../../pki/pem.js';
import { generateKeyMaterial, importSigningKey } from '../../pki/private-key.js';
import { randomSerialNumber } from '../../pki/serial-number.js';
import * as x509 from '../../pki/x509.js';
import { secretValue, type SecretValue } from '../../observability/secret-value.js';
import type { Clock } from '../../time/clock.js';

export interface TlsIdentity {
  certPem: string;
  keyPem: SecretValue<string>;
  /** SHA-256 of the certificate (DER), lower-case hex: what clients pin or compare. */
  sha256: string;
}

const SELF_SIGNED_DAYS = 365;

/**
 * A self-signed ECDSA P-256 certificate for when no serving certificate is configured, so the API
 * is never plain HTTP. Clients must trust it explicitly (scbctl fetch --api-ca, curl --cacert);
 * its fingerprint is logged at start so they can check what they trust.
 */
export async function selfSignedTlsIdentity(dnsNames: readonly string[], clock: Clock): Promise<TlsIdentity> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  // Generated as DER and imported: see generateEcKeyMaterial for why a generated key is not exported.
  const material = await generateKeyMaterial({ algorithm: 'ECDSA', size: 256 });
  const keys = {
    privateKey: await importSigningKey(material),
    publicKey: await webcrypto.subtle.importKey('spki', material.spkiDer, algorithm, true, ['verify']),
  };
  const now = clock.now();
  const names = dnsNames.map((name) =>
    /^[0-9.]+$|:/.test(name) ? { type: 'ip' as const, value: name } : { type: 'dns' as const, value: name },
  );
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerialNumber(),
      name: [{ CN: ['scb-operator download API'] }],
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + SELF_SIGNED_DAYS * 86_400_000),
      signingAlgorithm: algorithm,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names),
      ],
    },
    webcrypto,
  );
  const der = Buffer.from(certificate.rawData);
  return {
    certPem: encodePem('CERTIFICATE', der),
    keyPem: secretValue(encodePem('PRIVATE KEY', material.pkcs8Der)),
    sha256: createHash('sha256').update(der).digest('hex'),
  };
}
