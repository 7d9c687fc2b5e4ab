/**
 * The cloud-mode gateway's metadata-service certificate on a real control plane: with
 * spec.gateway.servingCertificate.managed the operator makes a serving CA, issues a
 * kubernetes.io/tls Secret naming the metadata address's host, renews it before it expires, ships
 * the CA in every bundle's ca.crt and reports it in status. A certificate you give instead
 * (spec.gateway.servingCA) reaches bundles again when its ConfigMap is edited. GatewayReady is
 * reported from the operator's probe (here: nothing listens, so MetadataUnreachable).
 */
import { jest } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import type { CassandraClusterRef } from '../../../src/api/v1alpha1/index.js';
import { createCertificateAuthority } from '../../support/control-plane-pki.js';
import { createTestNamespace } from '../../support/kube.js';
import { freeLoopbackPorts } from '../../support/local-processes.js';
import type { OperatorProcess } from '../../support/operator-process.js';
import {
  condition,
  core,
  createBundle,
  createClusterRef,
  createServerCaConfigMap,
  getClusterRef,
  getSecret,
  isReady,
  managedClusterSpec,
  secretFile,
  startTestOperator,
  stopOperator,
  waitFor,
} from '../../support/operator-fixtures.js';

jest.setTimeout(300_000);

const host = 'gw.itest.test';

let operator: OperatorProcess | undefined;
afterEach(async () => {
  await stopOperator(operator);
  operator = undefined;
});

const fingerprint = (pem: string): string =>
  new X509Certificate(pem).fingerprint256.replaceAll(':', '').toLowerCase();
const fingerprints = (pem: string | undefined): string[] =>
  (pem?.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? []).map(fingerprint);

/** Nothing listens on these loopback ports: the probe's names map to them (--gateway-resolve). */
async function probeTargets(): Promise<{ metadataPort: number; sniPort: number; args: string[] }> {
  const [metadataPort, sniPort] = (await freeLoopbackPorts(2)) as [number, number];
  return {
    metadataPort,
    sniPort,
    args: ['--gateway-resolve', `${host}:${metadataPort}:127.0.0.1,${host}:${sniPort}:127.0.0.1`],
  };
}

const bundleIssued = (namespace: string, name: string) =>
  waitFor(
    () => getSecret(namespace, `${name}-scb`),
    (secret) => secret !== undefined,
    `bundle Secret ${name}-scb`,
    120_000,
  );

describe('spec.gateway.servingCertificate.managed', () => {
  it('issues, renews and ships the metadata service certificate, and reports GatewayReady', async () => {
    const namespace = await createTestNamespace('gw-serving');
    const targets = await probeTargets();
    operator = await startTestOperator({ namespace, extraArgs: targets.args });
    const serverCaPem = await createServerCaConfigMap(namespace);
    await createClusterRef(
      namespace,
      'orders',
      managedClusterSpec({
        gateway: {
          metadataAddress: `${host}:${targets.metadataPort}`,
          sniProxyAddress: `${host}:${targets.sniPort}`,
          // Renewal 15 s after each issue: a real renewal within the test.
          servingCertificate: { managed: { duration: '1h', renewBefore: '59m45s' } },
        },
      }),
    );

    const ready = await waitFor(
      () => getClusterRef(namespace, 'orders'),
      (cluster) => isReady(cluster) && cluster.status?.gateway?.servingCertificate?.secretName !== undefined,
      'Ready with a gateway serving certificate',
    );
    const gatewayStatus = ready.status?.gateway;
    expect(gatewayStatus?.servingCertificate).toMatchObject({
      secretName: 'orders-gateway-tls',
      dnsName: host,
    });

    // The CA: in an operator-owned Secret, its fingerprint in status.
    const caSecret = await getSecret(namespace, 'orders-gateway-serving-ca');
    expect(caSecret?.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'CassandraClusterRef',
      name: 'orders',
      controller: true,
    });
    const caPem = secretFile(caSecret, 'tls.crt').toString('utf8');
    const ca = new X509Certificate(caPem);
    expect(ca.ca).toBe(true);
    expect(gatewayStatus?.servingCA?.sha256Fingerprint).toBe(fingerprint(caPem));

    // The serving Secret: kubernetes.io/tls, the host as DNS SAN, signed by that CA.
    const tls = await getSecret(namespace, 'orders-gateway-tls');
    expect(tls?.type).toBe('kubernetes.io/tls');
    const leaf = new X509Certificate(secretFile(tls, 'tls.crt'));
    expect(leaf.subjectAltName).toBe(`DNS:${host}`);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(fingerprint(secretFile(tls, 'ca.crt').toString('utf8'))).toBe(fingerprint(caPem));
    expect(new Date(leaf.validTo).getTime() - new Date(leaf.validFrom).getTime()).toBe(3_600_000);

    // Bundles ship the node CA, then the gateway CA.
    await createBundle(namespace, 'app', { clusterRef: { name: 'orders' }, platforms: ['cqlsh'] });
    const bundleSecret = await bundleIssued(namespace, 'app');
    expect(fingerprints(secretFile(bundleSecret, 'ca.crt').toString('utf8'))).toEqual([
      fingerprint(serverCaPem),
      fingerprint(caPem),
    ]);

    // Renewal: a new certificate (same CA, same name) before the old one expires.
    const renewed = await waitFor(
      () => getSecret(namespace, 'orders-gateway-tls'),
      (secret) => new X509Certificate(secretFile(secret, 'tls.crt')).serialNumber !== leaf.serialNumber,
      'the serving certificate renewed',
      90_000,
    );
    const next = new X509Certificate(secretFile(renewed, 'tls.crt'));
    expect(next.subjectAltName).toBe(`DNS:${host}`);
    expect(next.verify(ca.publicKey)).toBe(true);
    expect(new Date(next.validTo).getTime()).toBeGreaterThan(new Date(leaf.validTo).getTime());
    const afterRenewal = await getClusterRef(namespace, 'orders');
    expect(afterRenewal.status?.gateway?.servingCA?.sha256Fingerprint).toBe(fingerprint(caPem));

    // Nothing listens at the metadata address: GatewayReady says so, naming it.
    const probed = await waitFor(
      () => getClusterRef(namespace, 'orders'),
      (cluster) => condition(cluster, 'GatewayReady')?.status === 'False',
      'GatewayReady False',
    );
    expect(condition(probed, 'GatewayReady')).toMatchObject({
      reason: 'MetadataUnreachable',
      message: expect.stringContaining(`https://${host}:${targets.metadataPort}/metadata`),
    });
    expect(operator.logs.some((line) => line.message === 'issued gateway serving certificate')).toBe(true);
  });

  it('neither reads nor replaces a serving Secret name held by someone else: NameConflict naming it', async () => {
    const namespace = await createTestNamespace('gw-conflict');
    operator = await startTestOperator({ namespace, extraArgs: (await probeTargets()).args });
    await createServerCaConfigMap(namespace);
    await core().createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'orders-gateway-tls' },
        type: 'Opaque',
        data: { note: Buffer.from('mine').toString('base64') },
      },
    });
    await createClusterRef(
      namespace,
      'orders',
      managedClusterSpec({
        gateway: {
          metadataAddress: `${host}:29080`,
          sniProxyAddress: `${host}:29042`,
          servingCertificate: { managed: {} },
        },
      }),
    );
    const stalled = await waitFor(
      () => getClusterRef(namespace, 'orders'),
      (cluster) => condition(cluster, 'Ready')?.reason === 'NameConflict',
      'NameConflict',
    );
    expect(condition(stalled, 'Ready')?.message).toContain(
      `Secret ${namespace}/orders-gateway-tls is held by an object not controlled by scb-operator, not by this CassandraClusterRef`,
    );
    const untouched = await getSecret(namespace, 'orders-gateway-tls');
    expect(untouched?.data).toEqual({ note: Buffer.from('mine').toString('base64') });
  });

  it('refuses servingCA and servingCertificate together, naming both fields', async () => {
    const namespace = await createTestNamespace('gw-exclusive');
    await expect(
      createClusterRef(
        namespace,
        'orders',
        managedClusterSpec({
          gateway: {
            metadataAddress: `${host}:29080`,
            sniProxyAddress: `${host}:29042`,
            servingCA: { configMapRef: { name: 'gw-ca' } },
            servingCertificate: { managed: {} },
          },
        }),
      ),
    ).rejects.toThrow(/spec\.gateway\.servingCA and spec\.gateway\.servingCertificate exclude each other/);
  });
});

describe('spec.gateway.servingCA', () => {
  it('re-issues bundles with the new CA when its ConfigMap is edited, the cluster ref unchanged', async () => {
    const namespace = await createTestNamespace('gw-byo-ca');
    // The shortest resync: an edited ConfigMap you own is not watched, as for the server CA.
    operator = await startTestOperator({
      namespace,
      extraArgs: [...(await probeTargets()).args, '--cluster-resync', '10'],
    });
    const serverCaPem = await createServerCaConfigMap(namespace);
    const first = await createCertificateAuthority('gateway CA one');
    const second = await createCertificateAuthority('gateway CA two');
    await core().createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'gw-ca' }, data: { 'ca.crt': first.certificatePem } },
    });
    await createClusterRef(
      namespace,
      'orders',
      managedClusterSpec({
        gateway: {
          metadataAddress: `${host}:29080`,
          sniProxyAddress: `${host}:29042`,
          servingCA: { configMapRef: { name: 'gw-ca' } },
        },
      }),
    );
    await createBundle(namespace, 'app', { clusterRef: { name: 'orders' }, platforms: ['cqlsh'] });
    const issued = await bundleIssued(namespace, 'app');
    expect(fingerprints(secretFile(issued, 'ca.crt').toString('utf8'))).toEqual([
      fingerprint(serverCaPem),
      fingerprint(first.certificatePem),
    ]);
    const before: CassandraClusterRef = await getClusterRef(namespace, 'orders');
    expect(before.status?.gateway?.servingCA?.sha256Fingerprint).toBe(fingerprint(first.certificatePem));

    await core().replaceNamespacedConfigMap({
      namespace,
      name: 'gw-ca',
      body: { metadata: { name: 'gw-ca' }, data: { 'ca.crt': second.certificatePem } },
    });
    const reissued = await waitFor(
      () => getSecret(namespace, 'app-scb'),
      (secret) =>
        fingerprints(secretFile(secret, 'ca.crt').toString('utf8')).includes(
          fingerprint(second.certificatePem),
        ),
      'the bundle re-issued with the edited gateway CA',
      120_000,
    );
    expect(fingerprints(secretFile(reissued, 'ca.crt').toString('utf8'))).toEqual([
      fingerprint(serverCaPem),
      fingerprint(second.certificatePem),
    ]);
    const after = await getClusterRef(namespace, 'orders');
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.status?.gateway?.servingCA?.sha256Fingerprint).toBe(fingerprint(second.certificatePem));
  });
});
