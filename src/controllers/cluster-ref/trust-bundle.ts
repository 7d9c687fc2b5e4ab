import type { V1ConfigMap } from '@kubernetes/client-node';
import {
  CASSANDRA_CLUSTER_REF,
  trustBundleConfigMapName,
  type CassandraClusterRef,
} from '../../api/v1alpha1/index.js';
import { sha256Hex } from '../../pki/fingerprint.js';
import { encodePem } from '../../pki/pem.js';
import type { X509Certificate } from '../../pki/x509.js';
import { controllerReference, ownedLabels } from '../ownership.js';
import type { CaCertificateFacts } from './ca-rotation.js';

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

/**
 * The client-CA trust bundle: the certificates Cassandra nodes must trust to accept every valid
 * bundle of this cluster. In order: the active CA, its issuers up to the root (a truststore
 * anchored at the root keeps accepting certificates from intermediates made later), then CAs that
 * were active before and are still valid, so bundles issued before a rotation keep working until
 * they expire. Each certificate once.
 */
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
