import { X509Certificate } from 'node:crypto';
import type { CassandraClusterRef } from '../../../../src/api/v1alpha1/index.js';
import {
  gatewayServingCaSecretName,
  gatewayServingSecretName,
  managedServingSettings,
  planServingCertificate,
  servingCertificateFacts,
  servingDnsName,
} from '../../../../src/controllers/cluster-ref/gateway-serving.js';
import { InvalidInputError } from '../../../../src/errors.js';
import { createRootCa } from '../../../../src/pki/certificate-authority.js';
import { issueServingCertificate } from '../../../../src/pki/serving-certificate.js';
import { fixedClock } from '../../../../src/time/clock.js';

const HOUR = 3_600_000;
const start = new Date('2026-01-01T00:00:00Z');
const clock = fixedClock(start);

function cluster(name = 'orders', managed: Record<string, string> = {}): CassandraClusterRef {
  return {
    apiVersion: 'scb-operator.io/v1alpha1',
    kind: 'CassandraClusterRef',
    metadata: { name, namespace: 'db', uid: 'u1' },
    spec: {
      connection: { contactPoints: ['db-0'], localDatacenter: 'dc1' },
      gateway: {
        metadataAddress: 'gw.example.test:29080',
        sniProxyAddress: 'gw.example.test:29042',
        servingCertificate: { managed },
      },
      serverCA: { configMapRef: { name: 'node-ca' } },
      clientCA: { managed: {} },
    },
  };
}

describe('names of the managed serving Secrets', () => {
  it('derive from the cluster ref name', () => {
    expect(gatewayServingCaSecretName(cluster())).toBe('orders-gateway-serving-ca');
    expect(gatewayServingSecretName(cluster())).toBe('orders-gateway-tls');
  });

  it('refuse a name that would pass 253 characters, naming metadata.name', () => {
    expect(gatewayServingSecretName(cluster('a'.repeat(234)))).toHaveLength(246);
    expect(gatewayServingCaSecretName(cluster('a'.repeat(234)))).toHaveLength(253);
    const tooLong = () => gatewayServingCaSecretName(cluster('a'.repeat(235)));
    expect(tooLong).toThrow(InvalidInputError);
    expect(tooLong).toThrow(/longer than 253 characters.*spec\.gateway\.servingCA/);
  });
});

describe('servingDnsName', () => {
  it('is the host of metadataAddress, lower-case', () => {
    expect(servingDnsName('CQL-GW.Example.com:29080')).toBe('cql-gw.example.com');
  });

  it.each([
    `${'a'.repeat(64)}.example.com:29080`,
    `${'a.'.repeat(127)}ab:29080`,
    'gw_1.example.com:29080',
    ':29080',
  ])('refuses %s (a label over 63 characters, a name over 253, a character no DNS name has)', (address) => {
    expect(() => servingDnsName(address)).toThrow(
      /spec\.gateway\.metadataAddress .* must be a DNS name and port/,
    );
  });
});

describe('managedServingSettings', () => {
  it('defaults to 90-day certificates, renewal by the one-third rule, a 10-year CA', () => {
    expect(managedServingSettings(cluster())).toEqual({
      durationSeconds: 2160 * 3600,
      renewBeforeSeconds: undefined,
      caDurationSeconds: 87600 * 3600,
    });
  });

  it('reads the durations given', () => {
    expect(
      managedServingSettings(cluster('orders', { duration: '1h', renewBefore: '59m50s', caDuration: '48h' })),
    ).toEqual({ durationSeconds: 3600, renewBeforeSeconds: 3590, caDurationSeconds: 48 * 3600 });
  });
});

describe('planServingCertificate', () => {
  const current = {
    notBefore: start,
    notAfter: new Date(start.getTime() + 90 * 24 * HOUR),
    dnsNames: ['gw.example.test'],
    signedByCa: true,
  };
  const plan = (overrides: Partial<typeof current> | undefined, now = start, renewBeforeSeconds?: number) =>
    planServingCertificate({
      current: overrides === undefined ? undefined : { ...current, ...overrides },
      dnsName: 'gw.example.test',
      renewBeforeSeconds,
      now,
    });

  it('issues when there is none, it names another host, or another CA signed it', () => {
    expect(plan(undefined)).toEqual({ issueNow: true, why: 'Missing' });
    expect(plan({ dnsNames: ['old.example.test'] })).toEqual({ issueNow: true, why: 'NameChanged' });
    expect(plan({ dnsNames: ['gw.example.test', 'other.test'] })).toEqual({
      issueNow: true,
      why: 'NameChanged',
    });
    expect(plan({ signedByCa: false })).toEqual({ issueNow: true, why: 'CAChanged' });
  });

  it('keeps a current certificate until two thirds of its life, then renews', () => {
    const kept = plan({});
    expect(kept).toMatchObject({ issueNow: false, notAfter: current.notAfter });
    expect(kept.issueNow ? undefined : kept.renewal.renewalTime).toEqual(
      new Date(start.getTime() + 60 * 24 * HOUR),
    );
    expect(plan({}, new Date(start.getTime() + 60 * 24 * HOUR))).toEqual({
      issueNow: true,
      why: 'RenewalDue',
    });
  });

  it('renews renewBefore ahead of expiry when given', () => {
    const kept = plan({}, start, 24 * 3600);
    expect(kept.issueNow ? undefined : kept.renewal.renewalTime).toEqual(
      new Date(start.getTime() + 89 * 24 * HOUR),
    );
  });
});

describe('servingCertificateFacts and issueServingCertificate', () => {
  it('reads the name, validity and issuer of a certificate the serving CA issued', async () => {
    const root = await createRootCa(
      { commonName: 'orders gateway', durationSeconds: 87600 * 3600, pathLength: 0 },
      clock,
    );
    const other = await createRootCa(
      { commonName: 'other gateway', durationSeconds: 87600 * 3600, pathLength: 0 },
      clock,
    );
    const issued = await issueServingCertificate(
      root.ca,
      {
        commonName: 'scb-operator gateway metadata service',
        dnsName: 'gw.example.test',
        durationSeconds: 3600,
      },
      clock,
    );
    const caCertificate = new X509Certificate(root.pem.certificatePem);
    expect(servingCertificateFacts(issued.certificatePem, caCertificate)).toEqual({
      notBefore: start,
      notAfter: new Date(start.getTime() + HOUR),
      dnsNames: ['gw.example.test'],
      signedByCa: true,
    });
    expect(
      servingCertificateFacts(issued.certificatePem, new X509Certificate(other.pem.certificatePem))
        ?.signedByCa,
    ).toBe(false);
    // A server certificate: TLS clients (the drivers) accept it for the name.
    const leaf = new X509Certificate(issued.certificatePem);
    expect(leaf.checkHost('gw.example.test')).toBe('gw.example.test');
    expect(leaf.ca).toBe(false);
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(servingCertificateFacts('not a certificate', caCertificate)).toBeUndefined();
    expect(servingCertificateFacts(undefined, caCertificate)).toBeUndefined();
  });
});
