/**
 * The throwaway PKI of a test control plane: one CA that signs the apiserver's serving
 * certificate and every client certificate (the apiserver maps CN to the user and O to groups),
 * plus the service-account signing key. ECDSA P-256 through WebCrypto: fast and in-process.
 */
// tsyringe, under @peculiar/x509, throws at load time without the Reflect metadata API.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

const ecdsa = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as const;
const validity = 24 * 60 * 60 * 1000;
// Backdated so a clock a little behind ours still accepts the certificates.
const clockSkew = 5 * 60 * 1000;

x509.cryptoProvider.set(webcrypto);

export interface PemPair {
  certificatePem: string;
  privateKeyPem: string;
}

export interface CertificateAuthority extends PemPair {
  /** Signs a client certificate: CN is the Kubernetes user name, each O a group. */
  issueClientCertificate(user: string, groups: readonly string[]): Promise<PemPair>;
  issueServingCertificate(ipAddresses: readonly string[], dnsNames: readonly string[]): Promise<PemPair>;
}

export async function createCertificateAuthority(commonName: string): Promise<CertificateAuthority> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: [commonName] }],
    keys,
    signingAlgorithm,
    ...validityWindow(),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return certificateAuthorityFrom(certificate, keys.privateKey, await privateKeyPem(keys.privateKey));
}

/** Rebuilds a CA from PEM, e.g. in a Jest worker that only has the files the global setup wrote. */
export async function loadCertificateAuthority(pems: PemPair): Promise<CertificateAuthority> {
  const certificate = new x509.X509Certificate(pems.certificatePem);
  const der = x509.PemConverter.decodeFirst(pems.privateKeyPem);
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, ecdsa, true, ['sign']);
  return certificateAuthorityFrom(certificate, privateKey, pems.privateKeyPem);
}

/** A key pair for `--service-account-signing-key-file` / `--service-account-key-file`. */
export async function createServiceAccountSigningKey(): Promise<{
  privateKeyPem: string;
  publicKeyPem: string;
}> {
  const keys = await generateKeys();
  const spki = await webcrypto.subtle.exportKey('spki', keys.publicKey);
  return {
    privateKeyPem: await privateKeyPem(keys.privateKey),
    publicKeyPem: x509.PemConverter.encode(spki, 'PUBLIC KEY'),
  };
}

function certificateAuthorityFrom(
  certificate: x509.X509Certificate,
  signingKey: webcrypto.CryptoKey,
  caPrivateKeyPem: string,
): CertificateAuthority {
  const issue = async (subject: x509.JsonName, extensions: x509.Extension[]): Promise<PemPair> => {
    const keys = await generateKeys();
    const leaf = await x509.X509CertificateGenerator.create({
      subject,
      issuer: certificate.subject,
      publicKey: keys.publicKey,
      signingKey,
      signingAlgorithm,
      ...validityWindow(),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        await x509.AuthorityKeyIdentifierExtension.create(certificate.publicKey),
        ...extensions,
      ],
    });
    return { certificatePem: leaf.toString('pem'), privateKeyPem: await privateKeyPem(keys.privateKey) };
  };
  return {
    certificatePem: certificate.toString('pem'),
    privateKeyPem: caPrivateKeyPem,
    issueClientCertificate: (user, groups) =>
      issue(
        [{ CN: [user] }, ...groups.map((group) => ({ O: [group] }))],
        [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
      ),
    issueServingCertificate: (ipAddresses, dnsNames) =>
      issue(
        [{ CN: ['kube-apiserver'] }],
        [
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension([
            ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
            ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
          ]),
        ],
      ),
  };
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ecdsa, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

function validityWindow(): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - clockSkew), notAfter: new Date(now + validity) };
}
