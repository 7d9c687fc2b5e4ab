/**
 * The operator-issued serving certificate of the cloud-mode gateway's metadata service
 * (spec.gateway.servingCertificate.managed): a root CA the operator keeps (its key in
 * `<name>-gateway-serving-ca`, read by nobody else) and a kubernetes.io/tls Secret
 * `<name>-gateway-tls` the gateway mounts, whose certificate names the host of
 * spec.gateway.metadataAddress and is issued again before it expires. The planning is pure; the
 * last function reads and writes the two Secrets.
 */
import { X509Certificate } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { CASSANDRA_CLUSTER_REF, type CassandraClusterRef } from '../../api/v1alpha1/index.js';
import { InvalidInputError } from '../../errors.js';
import type { KubeObjects } from '../../kube/kube-objects.js';
import {
  createRootCa,
  loadCertificateAuthority,
  type CertificateAuthority,
} from '../../pki/certificate-authority.js';
import { sha256Hex } from '../../pki/fingerprint.js';
import { issueServingCertificate } from '../../pki/serving-certificate.js';
import type { Clock } from '../../time/clock.js';
import { parseDuration } from '../../time/duration.js';
import { planRenewal, type RenewalPlan } from '../certificate-renewal.js';
import { controllerReference, isControlledBy, ownedLabels } from '../ownership.js';
import { gatewayServingNameConflict } from './name-conflicts.js';

const CA_SUFFIX = '-gateway-serving-ca';
const TLS_SUFFIX = '-gateway-tls';
/** Secret names are DNS subdomains of at most 253 characters (the CRD holds metadata.name to 234). */
const MAX_SECRET_NAME = 253;
const FIELD = 'spec.gateway.servingCertificate.managed';

export function gatewayServingCaSecretName(cluster: CassandraClusterRef): string {
  return checkedName(`${cluster.metadata.name ?? ''}${CA_SUFFIX}`);
}

/** The kubernetes.io/tls Secret the gateway mounts (the chart's default for gateway.clusterRef). */
export function gatewayServingSecretName(cluster: CassandraClusterRef): string {
  return checkedName(`${cluster.metadata.name ?? ''}${TLS_SUFFIX}`);
}

function checkedName(name: string): string {
  if (name.length > MAX_SECRET_NAME) {
    throw new InvalidInputError(
      'GatewayServingInvalid',
      `Secret name ${name.slice(0, 40)}… would be longer than ${MAX_SECRET_NAME} characters: use a CassandraClusterRef name of at most ${MAX_SECRET_NAME - CA_SUFFIX.length} characters or give the serving certificate yourself (spec.gateway.servingCA)`,
      'metadata.name',
    );
  }
  return name;
}

const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * The DNS name the certificate must carry: the host of spec.gateway.metadataAddress, lower-case
 * (names compare without case; certificates carry them lower-case). Each label at most 63
 * characters, the name at most 253: a certificate with a longer one matches no real name.
 */
export function servingDnsName(metadataAddress: string): string {
  const host = (/^(.+):\d+$/.exec(metadataAddress)?.[1] ?? '').toLowerCase();
  if (host.length === 0 || host.length > 253 || !host.split('.').every((label) => DNS_LABEL.test(label))) {
    throw new InvalidInputError(
      'GatewayAddressInvalid',
      `spec.gateway.metadataAddress "${metadataAddress.slice(0, 300)}" must be a DNS name and port (labels of 1 to 63 letters, digits and "-", at most 253 characters), e.g. cql-gw.example.com:29080`,
      'spec.gateway.metadataAddress',
    );
  }
  return host;
}

export interface ManagedServingSettings {
  durationSeconds: number;
  renewBeforeSeconds: number | undefined;
  caDurationSeconds: number;
}

export function managedServingSettings(cluster: CassandraClusterRef): ManagedServingSettings {
  const managed = cluster.spec.gateway?.servingCertificate?.managed ?? {};
  return {
    durationSeconds: parseDuration(managed.duration ?? '2160h', `${FIELD}.duration`),
    renewBeforeSeconds:
      managed.renewBefore === undefined
        ? undefined
        : parseDuration(managed.renewBefore, `${FIELD}.renewBefore`),
    caDurationSeconds: parseDuration(managed.caDuration ?? '87600h', `${FIELD}.caDuration`),
  };
}

/** What the Secret's certificate says, as far as the plan cares. */
export interface ServingCertificateFacts {
  notBefore: Date;
  notAfter: Date;
  dnsNames: string[];
  /** Whether the current serving CA signed it. */
  signedByCa: boolean;
}

export type ServingIssueReason = 'Missing' | 'NameChanged' | 'CAChanged' | 'RenewalDue';

export type ServingPlan =
  { issueNow: true; why: ServingIssueReason } | { issueNow: false; renewal: RenewalPlan; notAfter: Date };

/** Issue when there is none, it names another host, another CA signed it, or renewal is due. */
export function planServingCertificate(input: {
  current: ServingCertificateFacts | undefined;
  dnsName: string;
  renewBeforeSeconds: number | undefined;
  now: Date;
}): ServingPlan {
  const { current } = input;
  if (!current) return { issueNow: true, why: 'Missing' };
  if (current.dnsNames.length !== 1 || current.dnsNames[0] !== input.dnsName)
    return { issueNow: true, why: 'NameChanged' };
  if (!current.signedByCa) return { issueNow: true, why: 'CAChanged' };
  const renewal = planRenewal(
    current,
    input.renewBeforeSeconds === undefined
      ? undefined
      : { renewBeforeSeconds: input.renewBeforeSeconds, basis: 'RenewBefore' },
  );
  if (input.now.getTime() >= renewal.renewalTime.getTime()) return { issueNow: true, why: 'RenewalDue' };
  return { issueNow: false, renewal, notAfter: current.notAfter };
}

/** The facts of a PEM serving certificate, or undefined when it is not one we can read. */
export function servingCertificateFacts(
  certificatePem: string | undefined,
  ca: X509Certificate,
): ServingCertificateFacts | undefined {
  if (certificatePem === undefined) return undefined;
  try {
    const certificate = new X509Certificate(certificatePem);
    const dnsNames = (certificate.subjectAltName ?? '')
      .split(', ')
      .filter((entry) => entry.startsWith('DNS:'))
      .map((entry) => entry.slice(4));
    return {
      notBefore: new Date(certificate.validFrom),
      notAfter: new Date(certificate.validTo),
      dnsNames,
      signedByCa: certificate.checkIssued(ca) && certificate.verify(ca.publicKey),
    };
  } catch {
    return undefined;
  }
}

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const decoded = (secret: V1Secret | undefined, key: string) => {
  const value = secret?.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
};

function ownedMetadata(
  cluster: CassandraClusterRef,
  name: string,
  role: 'gateway-serving-ca' | 'gateway-serving',
) {
  return {
    name,
    namespace: cluster.metadata.namespace,
    labels: ownedLabels(role),
    ownerReferences: [controllerReference({ ...cluster, kind: CASSANDRA_CLUSTER_REF.kind })],
  };
}

/** What the pass made or found, for status, events and the bundles' ca.crt. */
export interface ManagedServing {
  /** PEM of the serving CA: bundles ship it after the server CA. */
  caPem: string;
  caSha256Fingerprint: string;
  caSubject: string;
  caNotAfter: Date;
  secretName: string;
  dnsName: string;
  notAfter: Date;
  renewalTime: Date;
  caCreated: boolean;
  /** Set when this pass issued a serving certificate. */
  issued?: ServingIssueReason;
}

/**
 * Makes sure the serving CA and a current serving certificate exist. Either Secret held by
 * anything but this cluster ref stops here with a NameConflict (never read nor written). Writes
 * are a create (409 when another pass made it first: the retry reads theirs) or a replace over the
 * resourceVersion read.
 */
export async function ensureManagedServing(
  kube: KubeObjects,
  cluster: CassandraClusterRef,
  clock: Clock,
): Promise<ManagedServing> {
  const namespace = cluster.metadata.namespace ?? '';
  const settings = managedServingSettings(cluster);
  const dnsName = servingDnsName(cluster.spec.gateway?.metadataAddress ?? '');
  const caName = gatewayServingCaSecretName(cluster);
  const tlsName = gatewayServingSecretName(cluster);

  const caSecret = await kube.getSecret(namespace, caName);
  if (caSecret && !isControlledBy(caSecret, cluster))
    throw gatewayServingNameConflict(cluster, caName, caSecret);
  const tlsSecret = await kube.getSecret(namespace, tlsName);
  if (tlsSecret && !isControlledBy(tlsSecret, cluster))
    throw gatewayServingNameConflict(cluster, tlsName, tlsSecret);

  let ca: CertificateAuthority;
  let caPem: string;
  const caCreated = caSecret === undefined;
  if (caCreated) {
    const root = await createRootCa(
      {
        commonName: `${(cluster.metadata.name ?? '').slice(0, 40)} gateway`,
        durationSeconds: settings.caDurationSeconds,
        pathLength: 0,
      },
      clock,
    );
    await kube.createSecret(namespace, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: ownedMetadata(cluster, caName, 'gateway-serving-ca'),
      type: 'Opaque',
      data: { 'tls.crt': base64(root.pem.certificatePem), 'tls.key': base64(root.pem.privateKeyPem) },
    });
    ca = root.ca;
    caPem = root.pem.certificatePem;
  } else {
    const certificatePem = decoded(caSecret, 'tls.crt');
    const privateKeyPem = decoded(caSecret, 'tls.key');
    if (certificatePem === undefined || privateKeyPem === undefined) {
      throw new InvalidInputError(
        'GatewayServingInvalid',
        `the managed gateway serving CA Secret ${namespace}/${caName} lacks tls.crt or tls.key; delete it to have a new CA made (bundles are then re-issued)`,
        FIELD,
      );
    }
    ca = await loadCertificateAuthority({ certificatePem, privateKeyPem }, clock);
    caPem = certificatePem;
  }
  const caNode = new X509Certificate(Buffer.from(ca.certificate.rawData));

  const now = clock.now();
  const plan = planServingCertificate({
    current: servingCertificateFacts(decoded(tlsSecret, 'tls.crt'), caNode),
    dnsName,
    renewBeforeSeconds: settings.renewBeforeSeconds,
    now,
  });
  let notAfter: Date;
  let renewalTime: Date;
  if (plan.issueNow) {
    const issued = await issueServingCertificate(
      ca,
      {
        commonName: 'scb-operator gateway metadata service',
        dnsName,
        durationSeconds: settings.durationSeconds,
      },
      clock,
    );
    const body: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        ...ownedMetadata(cluster, tlsName, 'gateway-serving'),
        ...(tlsSecret ? { resourceVersion: tlsSecret.metadata?.resourceVersion } : {}),
      },
      type: 'kubernetes.io/tls',
      data: {
        'tls.crt': base64(issued.certificatePem),
        'tls.key': base64(issued.privateKeyPem),
        'ca.crt': base64(caPem),
      },
    };
    if (tlsSecret) await kube.replaceSecret(namespace, body);
    else await kube.createSecret(namespace, body);
    notAfter = issued.notAfter;
    renewalTime = planRenewal(
      issued,
      settings.renewBeforeSeconds === undefined
        ? undefined
        : { renewBeforeSeconds: settings.renewBeforeSeconds, basis: 'RenewBefore' },
    ).renewalTime;
  } else {
    notAfter = plan.notAfter;
    renewalTime = plan.renewal.renewalTime;
  }
  return {
    caPem,
    caSha256Fingerprint: sha256Hex(ca.certificate.rawData),
    caSubject: ca.certificate.subject,
    caNotAfter: ca.certificate.notAfter,
    secretName: tlsName,
    dnsName,
    notAfter,
    renewalTime,
    caCreated,
    ...(plan.issueNow ? { issued: plan.why } : {}),
  };
}
