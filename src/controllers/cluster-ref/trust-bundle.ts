import type { V1ConfigMap } from '@kubernetes/client-node';
import {
  CASSANDRA_CLUSTER_REF,
  trustBundleConfigMapName,
  type CassandraClusterRef,
  type CertificateSummary,
} from '../../api/v1alpha1/index.js';
import { sha256Hex } from '../../pki/fingerprint.js';
import { encodePem } from '../../pki/pem.js';
import { X509Certificate } from '../../pki/x509.js';
import { controllerReference, ownedLabels } from '../ownership.js';
import { trustedCertificates, type CaCertificateFacts } from './ca-rotation.js';

/** The key Cassandra's truststore (or a PEM trust file) is read from. */
export const TRUST_BUNDLE_KEY = 'ca.crt';

export function caFacts(certificate: X509Certificate): CaCertificateFacts {
  return {
    sha256Fingerprint: sha256Hex(certificate.rawData),
    subject: certificate.subject,
    serialNumber: certificate.serialNumber,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
  };
}

/** status.previousClientCAs holds at most this many (the CRD's maxItems). */
export const MAX_PREVIOUS_CLIENT_CAS = 16;

/**
 * Where a pass stands when it decides what the trust bundle holds. The operator's record of CAs
 * is its own status (clientCA, previousClientCAs), which only the operator writes, through the
 * status subresource. Certificates are public, so their bytes may come from anywhere (the
 * published ConfigMap, which anyone who may edit ConfigMaps can rewrite): a found certificate
 * counts only when its SHA-256 matches an entry of that record. What is found but not recorded
 * is dropped, so a CA written into the ConfigMap by someone else is gone after the next pass.
 * Rotated-out CAs are not copied into the managed-CA Secret: the status record already survives
 * a crash between the CA write and the status write (status then still names the old CA as
 * clientCA, and the ConfigMap still holds its bytes), and it covers a replaced bring-your-own
 * CA, which has no Secret of ours to live in.
 */
export interface TrustBundleInput {
  /** The CA that signs now, read from its source (the managed-CA Secret or the user's Secret). */
  active: X509Certificate;
  /** Its issuers up to the root, from the same source. */
  issuers: readonly X509Certificate[];
  /** The record: status.clientCA (the CA last reported active) and status.previousClientCAs. */
  recorded: {
    clientCA?: Pick<CertificateSummary, 'sha256Fingerprint'>;
    previousClientCAs?: readonly Pick<CertificateSummary, 'sha256Fingerprint'>[];
  };
  /** CAs this pass rotated out (a managed rotation): part of the record from now on. */
  replaced: readonly X509Certificate[];
  /** DER of the certificates in the published ConfigMap: a source of bytes, never of trust. */
  found: readonly Uint8Array[];
  now: Date;
}

export interface TrustBundlePlan {
  /** In order: the active CA, its issuers, then rotated-out CAs still valid; each once. */
  certificates: X509Certificate[];
  /** The rotated-out CAs still valid, latest expiry first: status.previousClientCAs. */
  previous: X509Certificate[];
  /** How many certificates found in the ConfigMap were not ours to publish (a Warning event). */
  foreign: number;
}

/**
 * The client-CA trust bundle: the certificates Cassandra nodes must trust to accept every valid
 * bundle of this cluster. The active CA and its issuers (a truststore anchored at the root keeps
 * accepting certificates from intermediates made later), then CAs that were active before and are
 * still valid, so bundles issued before a rotation keep working until they expire (a client
 * certificate never outlives its CA). A replaced CA stays trusted as itself; its issuers leave
 * with it (Java trusts any certificate in the truststore as an anchor).
 */
export function planTrustBundle(input: TrustBundleInput): TrustBundlePlan {
  const fingerprintOf = (certificate: X509Certificate) => sha256Hex(certificate.rawData);
  const current = new Set([input.active, ...input.issuers].map(fingerprintOf));
  const recorded = new Set(
    [input.recorded.clientCA, ...(input.recorded.previousClientCAs ?? [])]
      .map((summary) => summary?.sha256Fingerprint)
      .filter((fingerprint): fingerprint is string => fingerprint !== undefined),
  );
  const byFingerprint = new Map<string, X509Certificate>();
  for (const certificate of input.replaced) {
    recorded.add(fingerprintOf(certificate));
    byFingerprint.set(fingerprintOf(certificate), certificate);
  }
  let foreign = 0;
  for (const der of input.found) {
    const fingerprint = sha256Hex(der);
    if (current.has(fingerprint) || byFingerprint.has(fingerprint)) continue;
    if (!recorded.has(fingerprint)) foreign += 1;
    // Parsed only once its fingerprint is recorded: the operator published these bytes itself.
    else byFingerprint.set(fingerprint, new X509Certificate(der));
  }
  for (const fingerprint of current) byFingerprint.delete(fingerprint);
  const previous = trustedCertificates(
    caFacts(input.active),
    [...byFingerprint.values()].map(caFacts),
    input.now,
  )
    .slice(1, 1 + MAX_PREVIOUS_CLIENT_CAS)
    .map((facts) => byFingerprint.get(facts.sha256Fingerprint) as X509Certificate);
  return { certificates: trustBundleCertificates(input.active, input.issuers, previous), previous, foreign };
}

/** The active CA, its issuers, then `stillTrusted`, each certificate once. */
export function trustBundleCertificates(
  active: X509Certificate,
  issuers: readonly X509Certificate[],
  stillTrusted: readonly X509Certificate[],
): X509Certificate[] {
  const seen = new Set<string>();
  const ordered: X509Certificate[] = [];
  for (const certificate of [active, ...issuers, ...stillTrusted]) {
    const fingerprint = sha256Hex(certificate.rawData);
    if (seen.has(fingerprint)) continue;
    seen.add(fingerprint);
    ordered.push(certificate);
  }
  return ordered;
}

const BEGIN_CERTIFICATE = '-----BEGIN CERTIFICATE-----';
const END_CERTIFICATE = '-----END CERTIFICATE-----';

/**
 * The DER of each CERTIFICATE block of a trust bundle as found. Anyone who may edit ConfigMaps
 * can write this text, so it is scanned in linear time (one split, one search per block) and
 * never parsed as a whole; what is not a block is ignored.
 */
export function foundCertificates(text: string | undefined): Buffer[] {
  if (text === undefined) return [];
  return text
    .split(END_CERTIFICATE)
    .slice(0, -1)
    .flatMap((piece) => {
      const begin = piece.lastIndexOf(BEGIN_CERTIFICATE);
      if (begin < 0) return [];
      return [Buffer.from(piece.slice(begin + BEGIN_CERTIFICATE.length).replace(/\s+/g, ''), 'base64')];
    });
}

export function trustBundleConfigMap(
  cluster: CassandraClusterRef,
  certificates: readonly X509Certificate[],
): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: trustBundleConfigMapName(cluster),
      namespace: cluster.metadata.namespace,
      labels: ownedLabels('trust-bundle'),
      ownerReferences: [controllerReference({ ...cluster, kind: CASSANDRA_CLUSTER_REF.kind })],
    },
    data: {
      [TRUST_BUNDLE_KEY]: certificates
        .map((certificate) => encodePem('CERTIFICATE', new Uint8Array(certificate.rawData)))
        .join(''),
    },
  };
}
