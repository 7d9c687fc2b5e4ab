import {
  CASSANDRA_CLUSTER_REF,
  trustBundleConfigMapName,
  type CassandraClusterRef,
  type CassandraClusterRefStatus,
} from '../../api/v1alpha1/index.js';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { InvalidInputError } from '../../errors.js';
import { classifyError } from '../../kube/errors.js';
import type { KubeObjects, NullableFields } from '../../kube/kube-objects.js';
import { parseObjectKey } from '../../kube/object-key.js';
import type { ReconcileResult } from '../../kube/work-queue.js';
import { reconcileLogger, type Logger } from '../../observability/logger.js';
import type { OperatorMetrics } from '../../observability/metrics.js';
import {
  createManagedCaHierarchy,
  issueIntermediateCa,
  loadCertificateAuthority,
  parseCertificatesPem,
  type CertificateAuthority,
} from '../../pki/certificate-authority.js';
import type { X509Certificate } from '../../pki/x509.js';
import type { Clock } from '../../time/clock.js';
import { rotateTokenDigest } from '../bundle/bundle-secrets.js';
import { classifyIssuanceError } from '../bundle/failure-backoff.js';
import { ROTATE_ANNOTATION } from '../bundle/issuance-policy.js';
import type { EventRecorder } from '../events.js';
import { buildConditions, type ObservedConditions } from '../kstatus/conditions.js';
import { patchChangesStatus } from '../kstatus/status-patch.js';
import { statusTime } from '../status-time.js';
import { isControlledBy } from '../ownership.js';
import { certificateSummary, planClientCaRotation } from './ca-rotation.js';
import {
  MANAGED_ROOT_KEY,
  readClientCa,
  readGatewayCaPem,
  readServerCaPem,
  unsealCaPem,
  type ClientCaSource,
} from './ca-sources.js';
import { clusterRefRetryMs } from './failure-retry.js';
import { managedCaOptions, managedCaSecret } from './managed-client-ca.js';
import {
  caFacts,
  foundCertificates,
  planTrustBundle,
  TRUST_BUNDLE_KEY,
  trustBundleConfigMap,
} from './trust-bundle.js';
import { trustBundleNameConflict } from './name-conflicts.js';
import type { GatewayProber } from './gateway-prober.js';
import { probeSignature, type GatewayReadyCondition } from './gateway-readiness.js';
import { ensureManagedServing } from './gateway-serving.js';

export interface ClusterRefReconcilerDeps {
  kube: KubeObjects;
  clock: Clock;
  metrics: OperatorMetrics;
  events: EventRecorder;
  logger: Logger;
  /**
   * How often a cluster ref is looked at even without events: bring-your-own CA Secrets are not
   * watched (only our own objects are), so this bounds how long a replaced CA goes unnoticed.
   */
  resyncMs: number;
  /** Probes the cloud-mode gateway of cluster refs with spec.gateway (GatewayReady). */
  gatewayProber: GatewayProber;
}

const CONTROLLER = 'cassandraclusterref';

/** What a pass read or made for spec.gateway. */
interface GatewayServing {
  /** The metadata service's CA that bundles ship; undefined when the server CA signed it. */
  caPem: string | undefined;
  /** When the managed serving certificate is due for renewal. */
  renewAt?: Date;
  /** For a merge patch: null removes what an earlier setting wrote (e.g. managed, then yours). */
  status: NullableFields<NonNullable<CassandraClusterRefStatus['gateway']>>;
}

/** The work-queue key, which the gateway prober also uses. */
function clusterKey(cluster: CassandraClusterRef): string {
  return `${cluster.metadata.namespace ?? ''}/${cluster.metadata.name ?? ''}`;
}

function caSummary(certificate: X509Certificate) {
  return {
    subject: certificate.subject,
    sha256Fingerprint: caFacts(certificate).sha256Fingerprint,
    notAfter: statusTime(certificate.notAfter),
  };
}

interface ActiveClientCa {
  ca: CertificateAuthority;
  /** The CA this pass rotated out (a managed rotation): trusted until it expires. */
  replaced: X509Certificate[];
  /** Next time the managed intermediate needs a look (its renewal), if managed. */
  rotateAt?: Date;
}

/**
 * CassandraClusterRef reconciler: validates both CAs, creates and rotates a managed client CA,
 * publishes the client-CA trust bundle, keeps the cloud-mode gateway's serving certificate (when
 * managed), publishes the gateway prober's GatewayReady, and reports it all in status. Bundles
 * that use the cluster are re-queued by the operator when this status changes.
 */
export class ClusterRefReconciler {
  constructor(private readonly deps: ClusterRefReconcilerDeps) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace = '', name } = parseObjectKey(key);
    const cluster = await this.deps.kube.getClusterRef(namespace, name);
    if (!cluster || cluster.metadata.deletionTimestamp) {
      this.deps.metrics.forgetObject({ namespace, name });
      this.deps.gatewayProber.forget(key);
      return;
    }
    const log = reconcileLogger(this.deps.logger, { controller: CONTROLLER, namespace, name });
    const now = this.deps.clock.now();
    try {
      return await this.pass(cluster, now, log);
    } catch (error) {
      return this.failed(cluster, error, now, log);
    }
  }

  private async pass(cluster: CassandraClusterRef, now: Date, log: Logger): Promise<ReconcileResult> {
    const { kube } = this.deps;
    const namespace = cluster.metadata.namespace ?? '';
    const serverCaPem = await readServerCaPem(kube, cluster);
    const serverCas = this.serverCertificates(serverCaPem, cluster, now);
    // Before any CA is made: a trust-bundle name held by something else stops the pass here.
    const trust = await this.ownTrustBundle(cluster);
    const active = await this.activeClientCa(cluster, log);
    const gateway = await this.gatewayServing(cluster, log);

    const plan = planTrustBundle({
      active: active.ca.certificate,
      issuers: active.ca.chain,
      recorded: { clientCA: cluster.status?.clientCA, previousClientCAs: cluster.status?.previousClientCAs },
      replaced: active.replaced,
      found: foundCertificates(trust.existing?.data?.[TRUST_BUNDLE_KEY]),
      now,
    });
    const trusted = plan.certificates;
    await this.publishTrustBundle(cluster, trust.existing, trustBundleConfigMap(cluster, trusted));
    if (plan.foreign > 0) {
      this.event(
        cluster,
        'Warning',
        'TrustBundleRestored',
        `removed ${plan.foreign} certificates from ConfigMap ${trust.name} that are not in the operator's record of client CAs (the active CA, its issuers, status.clientCA and status.previousClientCAs)`,
      );
      log.warn('removed certificates the operator did not publish from the trust bundle', {
        configMap: trust.name,
        certificates: plan.foreign,
      });
    }
    const current = caFacts(active.ca.certificate);
    const configMapName = trust.name;
    const serverCa = serverCas[0];
    const caExpiry = new Date(
      Math.min(...[active.ca.certificate, ...active.ca.chain].map((c) => c.notAfter.getTime())),
    );
    const gatewayReady = this.watchGateway(cluster, serverCaPem, gateway, current.sha256Fingerprint);
    const status: NullableFields<CassandraClusterRefStatus> = {
      ...this.common(cluster, now, {
        ready: {
          status: 'True',
          reason: 'CAsReady',
          message: `client CA "${current.subject}" valid until ${statusTime(current.notAfter)}; trust bundle in ConfigMap ${configMapName} (${trusted.length} certificates)`,
        },
        ...(gatewayReady ? { extra: [gatewayReady] } : {}),
      }),
      clientCA: certificateSummary(current),
      previousClientCAs: plan.previous.map((certificate) => certificateSummary(caFacts(certificate))),
      serverCA: serverCa
        ? {
            subject: serverCa.subject,
            sha256Fingerprint: caFacts(serverCa).sha256Fingerprint,
            notAfter: statusTime(serverCa.notAfter),
          }
        : null,
      trustBundle: { configMapName, certificates: trusted.length },
      // A merge patch: its nested nulls remove fields, which the status type cannot say.
      gateway: (gateway?.status ?? null) as CassandraClusterRefStatus['gateway'] | null,
    };
    await this.writeStatus(cluster, status);
    this.deps.metrics.setCaExpiry({ namespace, name: cluster.metadata.name ?? '' }, caExpiry);

    const wakeAt = Math.min(
      now.getTime() + this.deps.resyncMs,
      active.rotateAt?.getTime() ?? Number.POSITIVE_INFINITY,
      ...plan.previous.map((certificate) => certificate.notAfter.getTime()),
      caExpiry.getTime(),
      gateway?.renewAt?.getTime() ?? Number.POSITIVE_INFINITY,
    );
    return { requeueAfterMs: Math.max(1000, Math.ceil((wakeAt - now.getTime()) / 1000) * 1000) };
  }

  /**
   * The metadata service's serving material: the managed CA and certificate (made or renewed
   * here), or the CA the user names. Its fingerprint in status is what re-issues bundles when it
   * changes (an edited servingCA ConfigMap is seen at the next resync, as an edited server CA is).
   */
  private async gatewayServing(
    cluster: CassandraClusterRef,
    log: Logger,
  ): Promise<GatewayServing | undefined> {
    const { kube, clock } = this.deps;
    if (cluster.spec.gateway === undefined) return undefined;
    if (cluster.spec.gateway.servingCertificate?.managed === undefined) {
      const pem = await readGatewayCaPem(kube, cluster);
      const [first] =
        pem === undefined ? [] : parseCertificatesPem(pem, 'the gateway CA (spec.gateway.servingCA)');
      return {
        caPem: pem,
        status: { servingCA: first ? caSummary(first) : null, servingCertificate: null },
      };
    }
    const managed = await ensureManagedServing(kube, cluster, clock);
    if (managed.caCreated) {
      this.event(
        cluster,
        'Normal',
        'GatewayServingCACreated',
        `created the gateway serving CA "${managed.caSubject}"`,
      );
      log.info('created gateway serving CA', { subject: managed.caSubject });
    }
    if (managed.issued) {
      this.event(
        cluster,
        'Normal',
        'GatewayServingCertificateIssued',
        `issued the metadata service's certificate for ${managed.dnsName} into Secret ${managed.secretName} (${managed.issued}); valid until ${statusTime(managed.notAfter)}`,
      );
      log.info('issued gateway serving certificate', {
        secret: managed.secretName,
        why: managed.issued,
        notAfter: statusTime(managed.notAfter),
      });
    }
    return {
      caPem: managed.caPem,
      renewAt: managed.renewalTime,
      status: {
        servingCA: {
          subject: managed.caSubject,
          sha256Fingerprint: managed.caSha256Fingerprint,
          notAfter: statusTime(managed.caNotAfter),
        },
        servingCertificate: {
          secretName: managed.secretName,
          dnsName: managed.dnsName,
          notAfter: statusTime(managed.notAfter),
          renewalTime: statusTime(managed.renewalTime),
        },
      },
    };
  }

  /** Hands the gateway to the prober and returns the GatewayReady condition to publish. */
  private watchGateway(
    cluster: CassandraClusterRef,
    serverCaPem: string,
    gateway: GatewayServing | undefined,
    clientCaFingerprint: string,
  ): GatewayReadyCondition | undefined {
    const key = clusterKey(cluster);
    const spec = cluster.spec.gateway;
    if (spec === undefined || gateway === undefined) {
      this.deps.gatewayProber.forget(key);
      return undefined;
    }
    const trustPem =
      gateway.caPem === undefined ? serverCaPem : `${serverCaPem.trim()}\n${gateway.caPem.trim()}\n`;
    this.deps.gatewayProber.watch({
      key,
      cluster,
      trustPem,
      signature: probeSignature({
        generation: cluster.metadata.generation,
        metadataAddress: spec.metadataAddress,
        sniProxyAddress: spec.sniProxyAddress,
        trustFingerprints: parseCertificatesPem(trustPem, 'the trusted CAs').map(
          (c) => caFacts(c).sha256Fingerprint,
        ),
        clientCaFingerprint,
      }),
    });
    return this.deps.gatewayProber.condition(key);
  }

  /**
   * The trust-bundle ConfigMap as it stands, if this cluster ref controls it. Its name is chosen
   * in the spec (it could be kube-root-ca.crt or another cluster's trust bundle): one held by
   * anything else is never read as ours nor written.
   */
  private async ownTrustBundle(
    cluster: CassandraClusterRef,
  ): Promise<{ name: string; existing?: V1ConfigMap }> {
    const name = trustBundleConfigMapName(cluster);
    const existing = await this.deps.kube.getConfigMap(cluster.metadata.namespace ?? '', name);
    if (existing && !isControlledBy(existing, cluster)) throw trustBundleNameConflict(cluster, existing);
    return existing ? { name, existing } : { name };
  }

  /**
   * Creates the ConfigMap, or applies over the version ownTrustBundle checked: a ConfigMap made
   * or replaced by someone else in between fails with 409 (retried, then a NameConflict).
   */
  private async publishTrustBundle(
    cluster: CassandraClusterRef,
    existing: V1ConfigMap | undefined,
    body: V1ConfigMap,
  ): Promise<void> {
    const namespace = cluster.metadata.namespace ?? '';
    if (!existing) {
      await this.deps.kube.createConfigMap(namespace, body);
      return;
    }
    const resourceVersion = existing.metadata?.resourceVersion;
    await this.deps.kube.applyConfigMap(namespace, {
      ...body,
      metadata: { ...body.metadata, resourceVersion },
    });
  }

  private serverCertificates(pem: string, cluster: CassandraClusterRef, now: Date): X509Certificate[] {
    const field = cluster.spec.serverCA.secretRef ? 'spec.serverCA.secretRef' : 'spec.serverCA.configMapRef';
    const certificates = parseCertificatesPem(pem, `the server CA (${field})`);
    const expired = certificates.find((certificate) => certificate.notAfter <= now);
    if (expired) {
      throw new InvalidInputError(
        'ServerCAExpired',
        `server CA "${expired.subject}" (${field}) expired at ${statusTime(expired.notAfter)}: put the Cassandra nodes' current CA there`,
        field,
      );
    }
    return certificates;
  }

  /** The CA that signs bundles now: the user's, or the managed one (created or rotated here). */
  private async activeClientCa(cluster: CassandraClusterRef, log: Logger): Promise<ActiveClientCa> {
    const { kube, clock } = this.deps;
    const namespace = cluster.metadata.namespace ?? '';
    if (!cluster.spec.clientCA.managed) {
      const source = await readClientCa(kube, cluster);
      return { ca: await loadCertificateAuthority(unsealCaPem(source.pem), clock), replaced: [] };
    }
    const source = await readClientCa(kube, cluster).catch((error: unknown) => {
      if (error instanceof InvalidInputError && error.reason === 'ClientCANotFound') return undefined;
      throw error;
    });
    const token = rotateTokenDigest(cluster.metadata.annotations?.[ROTATE_ANNOTATION]);
    if (!source) {
      const hierarchy = await createManagedCaHierarchy(managedCaOptions(cluster), clock);
      // A 409 means another pass created it first: the retry reads theirs.
      await kube.createSecret(
        namespace,
        managedCaSecret(cluster, hierarchy.rootPem, hierarchy.intermediatePem, token),
      );
      this.event(
        cluster,
        'Normal',
        'ClientCACreated',
        `created managed client CA "${hierarchy.intermediate.certificate.subject}"`,
      );
      log.info('created managed client CA', { subject: hierarchy.intermediate.certificate.subject });
      return this.withRotation(cluster, hierarchy.intermediate, [], clock.now());
    }
    const ca = await loadCertificateAuthority(unsealCaPem(source.pem), clock);
    const now = clock.now();
    const rotation = this.withRotation(cluster, ca, [], now);
    const tokenChanged = token !== undefined && token !== source.handledRotateToken;
    if (!tokenChanged && (rotation.rotateAt?.getTime() ?? Infinity) > now.getTime()) return rotation;
    return this.rotate(cluster, source, ca, token, tokenChanged ? 'annotation' : 'renewal', log);
  }

  private async rotate(
    cluster: CassandraClusterRef,
    source: ClientCaSource,
    previous: CertificateAuthority,
    token: string | undefined,
    why: 'annotation' | 'renewal',
    log: Logger,
  ): Promise<ActiveClientCa> {
    const { kube, clock } = this.deps;
    const namespace = cluster.metadata.namespace ?? '';
    if (source.rootKeyPem === undefined || source.pem.chainPem === undefined) {
      throw new InvalidInputError(
        'ClientCAInvalid',
        `the managed client CA Secret ${namespace}/${source.secretName} lacks ca.crt or ${MANAGED_ROOT_KEY}; delete it to have a new CA made (bundles are then re-issued)`,
        'spec.clientCA.managed',
      );
    }
    const rootPem = { certificatePem: source.pem.chainPem, privateKeyPem: source.rootKeyPem.reveal() };
    const root = await loadCertificateAuthority(rootPem, clock);
    const next = await issueIntermediateCa(root, managedCaOptions(cluster), clock);
    const body = managedCaSecret(cluster, rootPem, next.pem, token);
    body.metadata = { ...body.metadata, resourceVersion: source.resourceVersion };
    await kube.replaceSecret(namespace, body);
    const subject = next.ca.certificate.subject;
    const note =
      why === 'annotation'
        ? `rotated the managed intermediate CA on request (annotation ${ROTATE_ANNOTATION}); bundles are re-issued`
        : `rotated the managed intermediate CA before it expires; bundles are re-issued`;
    this.event(cluster, 'Normal', 'ClientCARotated', note);
    log.info('rotated managed client CA', { subject, why, serialNumber: next.ca.certificate.serialNumber });
    return this.withRotation(cluster, next.ca, [previous.certificate], clock.now());
  }

  private withRotation(
    cluster: CassandraClusterRef,
    ca: CertificateAuthority,
    replaced: X509Certificate[],
    now: Date,
  ): ActiveClientCa {
    const plan = planClientCaRotation({
      current: caFacts(ca.certificate),
      managed: { renewBefore: cluster.spec.clientCA.managed?.renewBefore },
      now,
    });
    return { ca, replaced, rotateAt: plan.renewal.renewalTime };
  }

  private async failed(
    cluster: CassandraClusterRef,
    error: unknown,
    now: Date,
    log: Logger,
  ): Promise<ReconcileResult> {
    const failure = classifyIssuanceError(error);
    if (failure.class === 'Conflict') throw error;
    const detail = { reason: failure.reason, message: failure.message };
    const waiting = failure.class === 'MissingReference' || failure.class === 'Transient';
    const previous = cluster.status?.conditions?.find((condition) => condition.type === 'Ready');
    if (previous?.reason !== failure.reason || previous.message !== failure.message) {
      this.event(cluster, 'Warning', failure.reason, failure.message);
      if (failure.reason === 'InternalError') {
        log.error('unexpected error while reconciling', { error: classifyError(error).message });
      } else {
        log.warn('cluster ref not ready', { reason: failure.reason, detail: failure.message });
      }
    }
    // The last probe result stands while the pass fails (the prober keeps its schedule).
    const gatewayReady =
      cluster.spec.gateway === undefined ? undefined : this.deps.gatewayProber.condition(clusterKey(cluster));
    await this.writeStatus(
      cluster,
      this.common(cluster, now, {
        ready: { status: 'False', ...detail },
        ...(waiting ? { reconciling: detail } : { stalled: detail }),
        ...(gatewayReady ? { extra: [gatewayReady] } : {}),
      }),
    );
    return { requeueAfterMs: clusterRefRetryMs(failure.class, previous, now, this.deps.resyncMs) };
  }

  private common(cluster: CassandraClusterRef, now: Date, observed: ObservedConditions) {
    const generation = cluster.metadata.generation ?? 0;
    return {
      observedGeneration: generation,
      conditions: buildConditions(cluster.status?.conditions, observed, generation, now),
    };
  }

  private async writeStatus(
    cluster: CassandraClusterRef,
    next: NullableFields<CassandraClusterRefStatus>,
  ): Promise<void> {
    if (!patchChangesStatus(cluster.status, next)) return;
    await this.deps.kube.patchClusterRefStatus(
      cluster.metadata.namespace ?? '',
      cluster.metadata.name ?? '',
      next,
    );
  }

  private event(
    cluster: CassandraClusterRef,
    type: 'Normal' | 'Warning',
    reason: string,
    note: string,
  ): void {
    this.deps.events.record({ ...cluster, kind: CASSANDRA_CLUSTER_REF.kind }, type, reason, note);
  }
}
