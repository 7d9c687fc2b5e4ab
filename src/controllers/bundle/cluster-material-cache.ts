import type { CassandraClusterRef } from '../../api/v1alpha1/index.js';
import type { KubeObjects } from '../../kube/kube-objects.js';
import { loadCertificateAuthority, type CertificateAuthority } from '../../pki/certificate-authority.js';
import { readCertificatesDer } from '../../pki/certificate-pem.js';
import { sha256Hex } from '../../pki/fingerprint.js';
import type { Clock } from '../../time/clock.js';
import { readClientCa, readGatewayCaPem, readServerCaPem, unsealCaPem } from '../cluster-ref/ca-sources.js';

export interface SigningCa {
  ca: CertificateAuthority;
  /** SHA-256 of the CA certificate: what a version records as its issuer. */
  fingerprint: string;
}

/** What every bundle of one cluster signs with and ships: read once, shared by all of them. */
export interface ClusterMaterial {
  signingCa: SigningCa;
  serverCaPem: string;
  /** SHA-256 of each server CA certificate, in PEM order (the gateway's CA after the node CAs). */
  serverCAFingerprints: string[];
  /** SHA-256 of the metadata service's CA (spec.gateway), when bundles ship one. */
  gatewayCAFingerprint: string | undefined;
}

/**
 * The CA material of each cluster ref, kept while the cluster ref's generation and the CA
 * fingerprints in its status (client, server and gateway CA) stay the same. A thousand bundles of one cluster then cost two
 * reads and one key import, not two thousand reads. The cluster controller is the authority on
 * which CA is active: when it reports a new one, the next bundle pass reads again. Material that
 * does not match what status reports (the cluster controller has not caught up yet) is used but
 * not kept.
 */
export class ClusterMaterialCache {
  private readonly entries = new Map<string, { stamp: string; material: Promise<ClusterMaterial> }>();

  constructor(
    private readonly kube: KubeObjects,
    private readonly clock: Clock,
  ) {}

  load(cluster: CassandraClusterRef): Promise<ClusterMaterial> {
    const key = `${cluster.metadata.namespace}/${cluster.metadata.name}`;
    const stamp = JSON.stringify([
      cluster.metadata.uid,
      cluster.metadata.generation,
      cluster.status?.clientCA?.sha256Fingerprint,
      cluster.status?.serverCA?.sha256Fingerprint,
      cluster.status?.gateway?.servingCA?.sha256Fingerprint,
    ]);
    const cached = this.entries.get(key);
    if (cached?.stamp === stamp) return cached.material;
    const material = this.read(cluster);
    this.entries.set(key, { stamp, material });
    const forget = () => {
      if (this.entries.get(key)?.material === material) this.entries.delete(key);
    };
    material.then((loaded) => {
      const matches =
        loaded.signingCa.fingerprint === cluster.status?.clientCA?.sha256Fingerprint &&
        loaded.serverCAFingerprints[0] === cluster.status?.serverCA?.sha256Fingerprint &&
        loaded.gatewayCAFingerprint === cluster.status?.gateway?.servingCA?.sha256Fingerprint;
      if (!matches) forget();
    }, forget);
    return material;
  }

  private async read(cluster: CassandraClusterRef): Promise<ClusterMaterial> {
    const source = await readClientCa(this.kube, cluster);
    const ca = await loadCertificateAuthority(unsealCaPem(source.pem), this.clock);
    const nodeCaPem = await readServerCaPem(this.kube, cluster);
    const gatewayCaPem = await readGatewayCaPem(this.kube, cluster);
    // After the node CAs, so the first fingerprint stays the server CA status reports.
    const serverCaPem =
      gatewayCaPem === undefined ? nodeCaPem : `${nodeCaPem.trim()}\n${gatewayCaPem.trim()}\n`;
    return {
      signingCa: { ca, fingerprint: sha256Hex(ca.certificate.rawData) },
      serverCaPem,
      serverCAFingerprints: readCertificatesDer(serverCaPem, 'server CA').map((der) => sha256Hex(der)),
      gatewayCAFingerprint:
        gatewayCaPem === undefined
          ? undefined
          : sha256Hex(readCertificatesDer(gatewayCaPem, 'gateway CA')[0] as Buffer),
    };
  }
}
