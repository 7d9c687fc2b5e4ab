/**
 * A TLS serving certificate for one DNS name (the gateway's metadata service), signed by a CA we
 * hold. The name is in the SAN, which is what Node.js and Java check; the subject CN is a fixed
 * label, because a DNS name may be longer than the 64 characters a CN allows.
 */
import { webcrypto } from 'node:crypto';
import type { Clock } from '../time/clock.js';
import { authorityKeyIdentifierFor, type CertificateAuthority } from './certificate-authority.js';
import { encodePem } from './pem.js';
import {
  DEFAULT_PRIVATE_KEY,
  encodePrivateKeyPem,
  generateKeyMaterial,
  signatureAlgorithmFor,
} from './private-key.js';
import { randomSerialNumber } from './serial-number.js';
import { planValidity } from './validity-window.js';
import * as x509 from './x509.js';

export interface IssuedServingCertificate {
  certificatePem: string;
  privateKeyPem: string;
  notBefore: Date;
  notAfter: Date;
}

export async function issueServingCertificate(
  ca: CertificateAuthority,
  request: { commonName: string; dnsName: string; durationSeconds: number },
  clock: Clock,
): Promise<IssuedServingCertificate> {
  const window = planValidity(clock.now(), request.durationSeconds, [ca.certificate, ...ca.chain]);
  const key = await generateKeyMaterial(DEFAULT_PRIVATE_KEY);
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerialNumber(),
      subject: [{ CN: [request.commonName] }],
      issuer: ca.certificate.subjectName,
      notBefore: window.notBefore,
      notAfter: window.notAfter,
      publicKey: key.spkiDer,
      signingKey: ca.privateKey,
      signingAlgorithm: signatureAlgorithmFor(ca.privateKey),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: request.dnsName }], false),
        await x509.SubjectKeyIdentifierExtension.create(key.spkiDer, false, webcrypto),
        await authorityKeyIdentifierFor(ca.certificate),
      ],
    },
    webcrypto,
  );
  return {
    certificatePem: encodePem('CERTIFICATE', new Uint8Array(certificate.rawData)),
    privateKeyPem: encodePrivateKeyPem(key, 'PKCS8'),
    notBefore: window.notBefore,
    notAfter: window.notAfter,
  };
}
