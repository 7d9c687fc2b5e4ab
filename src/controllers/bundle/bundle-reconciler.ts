import { performance } from 'node:perf_hooks';
import type { V1Secret } from '@kubernetes/client-node';
import {
  SECURE_CONNECTION_BUNDLE,
  bundleSecretName,
  clusterRefNamespace,
  privateKeySize,
  selectedPlatforms,
  type BundleVersion,
  type CassandraClusterRef,
  type SecureConnectionBundle,
  type SecureConnectionBundleStatus,
} from '../../api/v1alpha1/index.js';
import { buildBundle, type BuiltBundle } from '../../bundle/build-bundle.js';
import { DEFAULT_CQL_TLS_PORT, DEFAULT_DURATION, dnsNameAndPort } from '../../bundle/bundle-spec.js';
import type { GeneratorInfo } from '../../bundle/generator.js';
import { bundleZipFileName, MANIFEST_FILE } from '../../bundle/layout.js';
import type { CqlCredentials, KeystorePasswords, Platform } from '../../bundle/platforms/platform.js';
import type { ManifestSigningKey } from '../../bundle/signing.js';
import { readZip } from '../../bundle/zip-reader.js';
import { InvalidInputError, NameConflictError } from '../../errors.js';
import { classifyError } from '../../kube/errors.js';
import type { KubeObjects, NullableFields } from '../../kube/kube-objects.js';
import { parseObjectKey } from '../../kube/object-key.js';
import type { ReconcileResult } from '../../kube/work-queue.js';
import { reconcileLogger, type Logger } from '../../observability/logger.js';
import { secretValue, type SecretValue } from '../../observability/secret-value.js';
import type { OperatorMetrics } from '../../observability/metrics.js';
import type { Clock } from '../../time/clock.js';
import { parseDuration } from '../../time/duration.js';
import { evaluateAccess } from '../cluster-ref/access-policy.js';
import type { EventRecorder } from '../events.js';
import { VersionEvents } from './version-events.js';
import { patchChangesStatus } from '../kstatus/status-patch.js';
import { CONTROLLER_UID_INDEX, controllerOf, describeHolder, isControlledBy, roleOf } from '../ownership.js';
import { parseStatusTime } from '../status-time.js';
import {
  claimedVersion,
  observeSecret,
  publishedSecret,
  readVersionRecord,
  secretZip,
  rotateTokenDigest,
  versionEntry,
  versionSecret,
  versionSecretName,
  type ObservedSecret,
  type VersionRecord,
} from './bundle-secrets.js';
import { failedStatus, publishedStatus, suspendedStatus, type PublishedVersion } from './bundle-status.js';
import {
  classifyIssuanceError,
  issuanceRetryAt,
  recordIssuanceFailure,
  type CountedFailure,
} from './failure-backoff.js';
import {
  admitIdentity,
  COMMON_NAME_CLAIM_INDEX,
  identityNeedsNamespaceLabels,
  identityStatus,
  type AdmittedIdentity,
} from './bundle-identity.js';
import type { NamespaceLabels } from './namespace-labels.js';
import { bundleInputsHash, secretValuesDigest, type InputsHash } from './inputs-hash.js';
import { issuanceRateDecision } from './issuance-rate.js';
import { decideIssuance, ROTATE_ANNOTATION, type IssuanceDecision } from './issuance-policy.js';
import { bundleRenewal } from './renewal.js';
import { nextRequeue } from './requeue.js';
import type { ClusterMaterialCache, SigningCa } from './cluster-material-cache.js';
import { nextVersionHistory } from './version-history.js';
import type { ObjectStoreSync } from './object-store-sync.js';
import type { ObjectStoreCleanup } from './object-store-cleanup.js';
import type { WebhookNotifier } from '../../distribution/notifications/index.js';
import type { OciRepositorySync } from '../../distribution/oci/index.js';
import { rolloutConsumers, type RolloutRateLimiter } from '../../distribution/rollouts/index.js';
import type { UsageTracker } from '../../distribution/usage/index.js';

/** Read access to an informer's cache. */
export interface ObjectCache<T> {
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): readonly T[];
  /** Objects filed under `value` in the named index the cache keeps. */
  byIndex(name: string, value: string): readonly T[];
}

export interface BundleReconcilerDeps {
  kube: KubeObjects;
  /** Every watched bundle: whose common names other namespaces hold. */
  bundles: ObjectCache<SecureConnectionBundle>;
  clusterRefs: ObjectCache<CassandraClusterRef>;
  /** Labels of a bundle's Namespace, for cross-namespace access and identity grants. */
  namespaceLabels: Pick<NamespaceLabels, 'of'>;
  /** Only Secrets we own, as observeSecret keeps them (no data). */
  secrets: ObjectCache<ObservedSecret>;
  clusterMaterial: ClusterMaterialCache;
  signingKey: ManifestSigningKey;
  generator: GeneratorInfo;
  platforms: readonly Platform[];
  clock: Clock;
  random: () => number;
  metrics: OperatorMetrics;
  events: EventRecorder;
  logger: Logger;
  /** Keeps spec.target.objectStore in step with the versions. */
  objectStore: ObjectStoreSync;
  /** The object-store finalizer: deletes the bundle's objects when it is deleted. */
  objectStoreCleanup: Pick<ObjectStoreCleanup, 'reconcile'>;
  /** Keeps spec.target.ociRepository in step with the versions (absent in tests that need none). */
  ociRepository?: Pick<OciRepositorySync, 'sync'>;
  /** Posts each new version to the bundle's webhooks, in the background. */
  notifier: Pick<WebhookNotifier, 'enqueue'>;
  /** Spaces out restarts of spec.consumers (shared by all bundles). */
  rolloutLimiter: RolloutRateLimiter;
  /** Which pods use which version (src/distribution/usage): pruning never takes a mounted Secret. */
  usage?: Pick<UsageTracker, 'mountedBy' | 'consumersObserved'>;
}

/** Everything a pass reads before it decides; nothing here is written back as is. */
interface Gathered {
  cluster: CassandraClusterRef;
  identity: AdmittedIdentity;
  signingCa: SigningCa;
  serverCaPem: string;
  /** Read from the bundle's Secrets; revealed only to digest them and to build the bundle. */
  passwords: SecretValue<KeystorePasswords> | undefined;
  credentials: SecretValue<CqlCredentials> | undefined;
  desiredInputs: InputsHash;
  /** Version Secrets this bundle controls, by claimed number. */
  versionSecrets: Map<number, ObservedSecret>;
  published: ObservedSecret | undefined;
}

/** What is known of status.currentVersion: status fields, plus its Secret's record when readable. */
interface CurrentVersion {
  entry: BundleVersion;
  record: VersionRecord | undefined;
  secret: ObservedSecret | undefined;
  renewalTime: Date;
  notBefore: Date;
  notAfter: Date;
}

const CONTROLLER = 'secureconnectionbundle';
/** Version numbers whose Secret names are taken by others, skipped in one pass before giving up. */
const MAX_TAKEN_VERSION_NAMES = 5;
/** A consumer rollout the apiserver refused is tried again this much later. */
const CONSUMER_RETRY_MS = 30_000;

/**
 * SecureConnectionBundle reconciler: gather (informer caches and a few reads), decide (the pure
 * policies in this folder), act (Secrets first, status last). Status never points at anything
 * not yet persisted, and a version number is claimed by creating its immutable Secret, so a
 * crash at any step leaves either the old state or an unreferenced version Secret that the next
 * pass skips past and removes.
 */
export class BundleReconciler {
  private readonly versionEvents: VersionEvents;

  constructor(private readonly deps: BundleReconcilerDeps) {
    this.versionEvents = new VersionEvents(deps.events, deps.logger);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace = '', name } = parseObjectKey(key);
    // Read fresh, not from the informer: its copy may predate the status this controller just
    // wrote, and deciding on that would issue the same version twice.
    const bundle = await this.deps.kube.getBundle(namespace, name);
    // The object-store finalizer first: it is on before the first upload, and on delete it holds
    // the bundle until its objects are gone.
    if (bundle) await this.deps.objectStoreCleanup.reconcile(bundle);
    if (!bundle || bundle.metadata.deletionTimestamp) {
      // Owned Secrets follow through their owner references.
      this.deps.metrics.forgetObject({ namespace, name });
      this.versionEvents.forget(key);
      return;
    }
    // A pass that issued this version may have died before its Event.
    await this.versionEvents.ensureCurrent(bundle);
    const log = reconcileLogger(this.deps.logger, { controller: CONTROLLER, namespace, name });
    const now = this.deps.clock.now();
    try {
      return await this.decideAndAct(bundle, await this.gather(bundle), now, log);
    } catch (error) {
      return this.failed(bundle, error, now, log);
    }
  }

  private async gather(bundle: SecureConnectionBundle): Promise<Gathered> {
    const namespace = bundle.metadata.namespace ?? '';
    let labels: Promise<Readonly<Record<string, string>>> | undefined;
    const namespaceLabels = () => (labels ??= this.deps.namespaceLabels.of(namespace));
    const cluster = await this.usableCluster(bundle, namespaceLabels);
    const knownLabels = identityNeedsNamespaceLabels(cluster) ? await namespaceLabels() : {};
    const identity = admitIdentity(bundle, cluster, {
      bundlesClaiming: (claim) => this.deps.bundles.byIndex(COMMON_NAME_CLAIM_INDEX, claim),
      namespaceLabels: () => knownLabels,
    });
    const { signingCa, serverCaPem, serverCAFingerprints } = await this.deps.clusterMaterial.load(cluster);
    const passwords = await this.keystorePasswords(bundle);
    const credentials = await this.credentials(bundle);
    const uid = bundle.metadata.uid ?? '';
    const desiredInputs = bundleInputsHash(bundle, cluster, {
      serverCAFingerprints,
      clientCAFingerprint: signingCa.fingerprint,
      ...(passwords ? { keystorePasswordsDigest: secretValuesDigest(uid, { ...passwords.reveal() }) } : {}),
      ...(credentials ? { credentialsDigest: secretValuesDigest(uid, { ...credentials.reveal() }) } : {}),
    });

    const versionSecrets = new Map<number, ObservedSecret>();
    let published: ObservedSecret | undefined;
    const publishedName = bundleSecretName(bundle);
    this.refuseForeignHolder(bundle, this.deps.secrets.get(publishedName, namespace));
    for (const secret of this.deps.secrets.byIndex(CONTROLLER_UID_INDEX, bundle.metadata.uid ?? '')) {
      if (secret.metadata?.namespace !== namespace || !isControlledBy(secret, bundle)) continue;
      const role = roleOf(secret.metadata);
      if (role === 'published-bundle' && secret.metadata?.name === publishedName) published = secret;
      const version = role === 'bundle-version' ? claimedVersion(secret.metadata) : undefined;
      if (version !== undefined) versionSecrets.set(version, secret);
    }
    return {
      cluster,
      identity,
      signingCa,
      serverCaPem,
      passwords,
      credentials,
      desiredInputs,
      versionSecrets,
      published,
    };
  }

  /** The referenced CassandraClusterRef, when it exists, admits this namespace and is Ready. */
  private async usableCluster(
    bundle: SecureConnectionBundle,
    namespaceLabels: () => Promise<Readonly<Record<string, string>>>,
  ): Promise<CassandraClusterRef> {
    const namespace = bundle.metadata.namespace ?? '';
    const clusterNamespace = clusterRefNamespace(bundle);
    const clusterName = bundle.spec.clusterRef.name;
    const cluster = this.deps.clusterRefs.get(clusterName, clusterNamespace);
    const ref = `CassandraClusterRef ${clusterNamespace}/${clusterName}`;
    if (!cluster) {
      throw new InvalidInputError(
        'ClusterRefNotFound',
        `${ref} (spec.clusterRef) does not exist: create it, or point spec.clusterRef at an existing one`,
        'spec.clusterRef.name',
      );
    }
    if (clusterNamespace !== namespace) {
      const access = evaluateAccess({
        bundleNamespace: namespace,
        namespaceLabels: await namespaceLabels(),
        cluster: { name: clusterName, namespace: clusterNamespace, access: cluster.spec.access },
      });
      if (!access.allowed) throw new InvalidInputError(access.reason, access.message, 'spec.clusterRef');
    }
    const ready = cluster.status?.conditions?.find((condition) => condition.type === 'Ready');
    const current = cluster.status?.observedGeneration === cluster.metadata.generation;
    if (ready?.status !== 'True' || !current) {
      const why = ready && current ? `${ready.reason}: ${ready.message}` : 'it has not been reconciled yet';
      throw new InvalidInputError(
        'ClusterRefNotReady',
        `${ref} is not Ready (${why}); the bundle is issued once it is`,
        'spec.clusterRef',
      );
    }
    return cluster;
  }

  /**
   * The published Secret's name must be free or this bundle's: a Secret held by anything else
   * (another bundle's, a cluster ref's CA, one made by hand) is never written over, and no
   * version is minted while the name is taken, so a colliding bundle costs nothing but a status.
   */
  private refuseForeignHolder(bundle: SecureConnectionBundle, holder: ObservedSecret | undefined): void {
    if (!holder || isControlledBy(holder, bundle)) return;
    const namespace = bundle.metadata.namespace ?? '';
    const name = holder.metadata?.name ?? '';
    const owner = controllerOf(holder.metadata);
    const predecessor = owner?.kind === SECURE_CONNECTION_BUNDLE.kind && owner.name === bundle.metadata.name;
    const who = predecessor
      ? `an earlier SecureConnectionBundle ${namespace}/${owner.name} (deleted; the garbage collector removes its Secrets shortly, then this bundle is issued)`
      : describeHolder(holder.metadata);
    throw new NameConflictError(
      'Secret',
      name,
      who,
      `Secret ${namespace}/${name} (spec.target.secret.name) is held by ${who}, so this bundle cannot publish there${predecessor ? '' : ': set spec.target.secret.name to a free name'}`,
      'spec.target.secret.name',
    );
  }

  private async keystorePasswords(
    bundle: SecureConnectionBundle,
  ): Promise<SecretValue<KeystorePasswords> | undefined> {
    const ref = bundle.spec.keystores?.passwordSecretRef;
    if (!ref) return undefined;
    const values = await this.secretValues(bundle, ref.name, 'spec.keystores.passwordSecretRef.name', [
      'keyStorePassword',
      'trustStorePassword',
      'pfxCertPassword',
    ]);
    return values.map(([keyStore, trustStore, pfxCert]) => ({ keyStore, trustStore, pfxCert }));
  }

  private async credentials(
    bundle: SecureConnectionBundle,
  ): Promise<SecretValue<CqlCredentials> | undefined> {
    const ref = bundle.spec.credentials?.secretRef;
    if (!ref) return undefined;
    const values = await this.secretValues(bundle, ref.name, 'spec.credentials.secretRef.name', [
      ref.usernameKey ?? 'username',
      ref.passwordKey ?? 'password',
    ]);
    return values.map(([username, password]) => ({ username, password }));
  }

  /**
   * Values of the given keys, wrapped as they leave the Secret; the error names the Secret, the
   * key and the field, never a value.
   */
  private async secretValues<const K extends readonly string[]>(
    bundle: SecureConnectionBundle,
    name: string,
    field: string,
    keys: K,
  ): Promise<SecretValue<{ [I in keyof K]: string }>> {
    const namespace = bundle.metadata.namespace ?? '';
    const secret = await this.deps.kube.getSecret(namespace, name);
    if (!secret) {
      throw new InvalidInputError(
        'ReferencedSecretNotFound',
        `Secret ${namespace}/${name} (${field}) does not exist: create it with the keys ${keys.join(', ')}`,
        field,
      );
    }
    const values = keys.map((key) => {
      const value = secret.data?.[key];
      if (value === undefined || value === '') {
        throw new InvalidInputError(
          'ReferencedSecretInvalid',
          `Secret ${namespace}/${name} (${field}) has no non-empty key "${key}": add it`,
          field,
        );
      }
      return Buffer.from(value, 'base64').toString('utf8');
    }) as { [I in keyof K]: string };
    return secretValue(values);
  }

  private async decideAndAct(
    bundle: SecureConnectionBundle,
    gathered: Gathered,
    now: Date,
    log: Logger,
  ): Promise<ReconcileResult> {
    const current = this.currentVersion(bundle, gathered);
    const highestVersion = Math.max(
      0,
      ...(bundle.status?.versions ?? []).map((entry) => entry.version),
      ...gathered.versionSecrets.keys(),
    );
    const decision = decideIssuance(
      {
        suspended: bundle.spec.suspend === true,
        highestVersion,
        current: current && {
          version: current.entry.version,
          inputsHash: current.record?.inputsHash,
          issuerFingerprint: current.record?.issuerFingerprint ?? '',
          renewalTime: current.renewalTime,
          bundleSHA256: current.entry.bundleSHA256 ?? '',
        },
        desiredInputs: gathered.desiredInputs,
        activeClientCAFingerprint: gathered.signingCa.fingerprint,
        rotateToken: rotateTokenDigest(bundle.metadata.annotations?.[ROTATE_ANNOTATION]),
        handledRotateToken: current?.record?.rotateTokenDigest,
        publishedSecret: gathered.published && { bundleSHA256: gathered.published.zipSHA256 },
        currentVersionSecret: current?.secret && { bundleSHA256: current.secret.zipSHA256 },
      },
      now,
    );
    const retryAt = this.issueRetryAt(bundle);
    if (decision.action === 'Issue' && retryAt && retryAt > now) {
      log.debug('issuance waits for its retry time', { retryAt: retryAt.toISOString() });
      return { requeueAfterMs: retryAt.getTime() - now.getTime() };
    }
    if (decision.action === 'Issue') {
      const rate = issuanceRateDecision(issuedTimes(bundle, gathered), now);
      if (!rate.allowed) {
        this.deps.metrics.countIssuanceDeferred();
        log.info('issuance rate limit reached; the next version waits', {
          version: decision.version,
          trigger: decision.trigger.reason,
          retryAt: rate.retryAt.toISOString(),
        });
        return { requeueAfterMs: rate.retryAt.getTime() - now.getTime() };
      }
    }
    switch (decision.action) {
      case 'Suspended':
        return this.suspended(bundle, current, decision.pending, now);
      case 'Issue':
        return this.issue(bundle, gathered, current, decision, now, log);
      case 'Republish':
        return this.republish(bundle, gathered, current, decision, now, log);
      case 'None':
        return this.settle(bundle, gathered, current, now);
    }
  }

  private currentVersion(bundle: SecureConnectionBundle, gathered: Gathered): CurrentVersion | undefined {
    const number = bundle.status?.currentVersion;
    const entry = bundle.status?.versions?.find((candidate) => candidate.version === number);
    if (number === undefined || !entry) return undefined;
    const secret = gathered.versionSecrets.get(number);
    const record = secret ? readVersionRecord(secret.metadata) : undefined;
    const usable = record && record.certificateSHA256 === entry.certificateSHA256 ? record : undefined;
    const notBefore = usable?.notBefore ?? timeOrEpoch(bundle.status?.notBefore, 'status.notBefore');
    const notAfter = usable?.notAfter ?? timeOrEpoch(bundle.status?.notAfter, 'status.notAfter');
    const renewalTime = bundleRenewal({ notBefore, notAfter }, bundle.spec).renewalTime;
    return { entry, record: usable, secret, renewalTime, notBefore, notAfter };
  }

  /**
   * When issuing may be tried again after a transient failure while issuing (the API server or
   * network failed mid-way). Failures found while gathering — a missing or unready reference, a
   * refused namespace, an invalid spec — do not hold issuing back: this pass got past them, so
   * their cause is gone (a cluster ref that just turned Ready issues at once, not after backoff).
   */
  private issueRetryAt(bundle: SecureConnectionBundle): Date | undefined {
    const status = bundle.status;
    if (waitsForEdit(bundle) || /(NotFound|NotReady)$/.test(status?.lastFailureReason ?? ''))
      return undefined;
    return this.pendingRetry(bundle);
  }

  /** When a failed issuance may be tried again; undefined when the last pass did not fail. */
  private pendingRetry(bundle: SecureConnectionBundle): Date | undefined {
    const status = bundle.status;
    if (!status?.failedIssuanceAttempts || !status.lastFailureTime) return undefined;
    const stalled = waitsForEdit(bundle);
    const specChanged = status.observedGeneration !== bundle.metadata.generation;
    return issuanceRetryAt(
      {
        failedIssuanceAttempts: status.failedIssuanceAttempts,
        lastFailureTime: parseStatusTime(status.lastFailureTime, 'status.lastFailureTime'),
        stalled,
      },
      specChanged,
    );
  }

  private async issue(
    bundle: SecureConnectionBundle,
    gathered: Gathered,
    current: CurrentVersion | undefined,
    decision: Extract<IssuanceDecision, { action: 'Issue' }>,
    now: Date,
    log: Logger,
  ): Promise<ReconcileResult> {
    const { kube } = this.deps;
    const namespace = bundle.metadata.namespace ?? '';
    if (!gathered.published) {
      // Our cache holds only Secrets we label: one made by anyone else under this name is
      // invisible there, and must be found before a version is minted for a place we cannot fill.
      this.refuseForeignHolder(bundle, await kube.getSecret(namespace, bundleSecretName(bundle)));
    }
    const keepKey = bundle.spec.privateKey?.rotationPolicy === 'Never' && current?.secret !== undefined;
    const reusePrivateKeyPem =
      keepKey && current?.secret
        ? await this.versionFile(namespace, current.secret, current.entry.bundleSHA256 ?? '', 'key')
        : undefined;
    if (keepKey && reusePrivateKeyPem === undefined) {
      // Gone, or not the zip status recorded (deleted and re-created by someone): its key is
      // not one the operator made, so it is not carried over.
      this.deps.events.record(
        { ...bundle, kind: SECURE_CONNECTION_BUNDLE.kind },
        'Warning',
        'KeyNotReused',
        `Secret ${current?.secret?.metadata?.name} does not hold the bundle recorded for version ${current?.entry.version}, so version ${decision.version} gets a new private key despite spec.privateKey.rotationPolicy: Never`,
      );
      log.warn('current version Secret does not hold the recorded bundle; a new key is made', {
        version: current?.entry.version,
      });
    }
    const { built, record } = await this.claimVersion(bundle, gathered, decision, reusePrivateKeyPem, now);
    const zip = { fileName: built.fileName, content: built.zip };
    await this.publish(bundle, gathered, publishedSecret(bundle, record, zip, built.files));

    const secretName = versionSecretName(bundle, record.version);
    const history = nextVersionHistory({
      versions: bundle.status?.versions ?? [],
      issued: versionEntry(record, secretName),
      revisionHistoryLimit: bundle.spec.revisionHistoryLimit ?? 3,
      now,
      ...this.mountedBy(bundle),
    });
    const published = this.publishedVersion(bundle, record);
    const manifest = built.files.find((file) => file.path === MANIFEST_FILE)?.content ?? Buffer.alloc(0);
    const hasSecret = (version: number) => version === record.version || gathered.versionSecrets.has(version);
    const store = await this.deps.objectStore.sync(
      bundle,
      history.versions,
      { version: record.version, zip: built.zip, manifest },
      hasSecret,
    );
    const oci = await this.deps.ociRepository?.sync(
      bundle,
      store?.versions ?? history.versions,
      { version: record.version, zip: built.zip },
      hasSecret,
    );
    const versions = oci?.versions ?? store?.versions ?? history.versions;
    await this.writeStatus(bundle, {
      ...publishedStatus(bundle, published, versions, now, store?.condition, oci?.condition),
      identity: identityStatus(gathered.identity),
    });
    await this.removeUnlisted(bundle, gathered, versions, history.secretsToDelete, store !== undefined);
    this.deps.notifier.enqueue(bundle, record);

    const first = current === undefined && decision.trigger.reason === 'Initial';
    this.versionEvents.published(
      bundle,
      record.version,
      first ? 'Issued' : 'Rotated',
      `version ${record.version} published in Secret ${bundleSecretName(bundle)} (${decision.trigger.reason}: ${decision.trigger.message}); valid until ${record.notAfter.toISOString()}`,
    );
    log.info('issued bundle version', {
      version: record.version,
      trigger: decision.trigger.reason,
      serialNumber: record.serialNumber,
      notAfter: record.notAfter.toISOString(),
      sizeBytes: record.size,
    });
    this.recordMetrics(bundle, published, true);
    const rolloutRetryMs = await this.rollout(bundle, record.version, log);
    return this.requeue(
      published,
      versions,
      now,
      earliest(rolloutRetryMs, store?.retryAfterMs, oci?.retryAfterMs),
    );
  }

  /**
   * Rolls spec.consumers to `version` (a no-op for workloads already there, so every pass may
   * call it); returns when to look again if a rollout was deferred or failed.
   */
  private async rollout(
    bundle: SecureConnectionBundle,
    version: number,
    log: Logger,
  ): Promise<number | undefined> {
    if (!bundle.spec.consumers?.length) return undefined;
    const results = await rolloutConsumers(this.deps.kube, bundle, version, {
      limiter: this.deps.rolloutLimiter,
    });
    this.deps.usage?.consumersObserved(bundle, results);
    let retryMs: number | undefined;
    const later = (ms: number) => (retryMs = Math.min(retryMs ?? ms, ms));
    const regarding = { ...bundle, kind: SECURE_CONNECTION_BUNDLE.kind };
    for (const result of results) {
      const workload = `${result.kind} ${result.name}`;
      if (result.outcome === 'Restarted') {
        this.deps.events.record(
          regarding,
          'Normal',
          'ConsumerRestarted',
          `${workload} rolled to version ${version}`,
        );
      } else if (result.outcome === 'Missing') {
        this.deps.events.record(regarding, 'Warning', 'ConsumerMissing', result.message);
      } else if (result.outcome === 'Deferred') {
        later(result.retryAfterMs);
      } else if (result.outcome === 'Failed') {
        log.warn('consumer rollout failed', { workload, detail: result.message });
        later(CONSUMER_RETRY_MS);
      }
    }
    return retryMs;
  }

  private build(
    bundle: SecureConnectionBundle,
    gathered: Gathered,
    version: number,
    reusePrivateKeyPem: string | undefined,
  ): Promise<BuiltBundle> {
    const { cluster } = gathered;
    const connection = cluster.spec.connection;
    const spec = bundle.spec;
    const { identity } = gathered;
    return buildBundle(
      {
        name: bundle.metadata.name ?? '',
        namespace: bundle.metadata.namespace ?? '',
        version,
        clusterRef: { name: cluster.metadata.name ?? '', namespace: cluster.metadata.namespace ?? '' },
        cluster: {
          contactPoints: connection.contactPoints,
          port: connection.port ?? DEFAULT_CQL_TLS_PORT,
          localDatacenter: connection.localDatacenter,
          datacenters: connection.datacenters ?? [],
          ...(connection.keyspace !== undefined ? { keyspace: connection.keyspace } : {}),
          ...(connection.tlsServerName !== undefined ? { tlsServerName: connection.tlsServerName } : {}),
          hostnameVerification: connection.hostnameVerification ?? true,
          ...(cluster.spec.gateway !== undefined
            ? {
                metadataService: dnsNameAndPort(
                  cluster.spec.gateway.metadataAddress,
                  'spec.gateway.metadataAddress',
                ),
              }
            : {}),
        },
        serverCaPem: gathered.serverCaPem,
        clientCa: gathered.signingCa.ca,
        identity: {
          commonName: identity.commonName,
          organizations: [...identity.organizations],
          ...(identity.spiffeID !== undefined ? { spiffeId: identity.spiffeID } : {}),
          dnsNames: [...identity.dnsNames],
        },
        privateKey: {
          algorithm: spec.privateKey?.algorithm ?? 'ECDSA',
          size: privateKeySize(spec.privateKey),
          encoding: spec.privateKey?.encoding ?? 'PKCS8',
        },
        ...(reusePrivateKeyPem !== undefined ? { reusePrivateKeyPem } : {}),
        durationSeconds: parseDuration(spec.duration ?? DEFAULT_DURATION, 'spec.duration'),
        platforms: selectedPlatforms(spec),
        keystoreProfile: spec.keystores?.profile ?? 'Modern',
        ...(gathered.passwords ? { passwords: gathered.passwords.reveal() } : {}),
        ...(gathered.credentials ? { credentials: gathered.credentials.reveal() } : {}),
        signingKey: this.deps.signingKey,
        generator: this.deps.generator,
      },
      { clock: this.deps.clock, platforms: this.deps.platforms },
    );
  }

  /**
   * Builds version N and claims N by creating its immutable Secret. A name `<secret>-vN` held by
   * an object this bundle does not control (made by hand, or left from an older install) costs
   * that number, not the bundle: N is skipped with a Warning and N+1 tried, a few times at most.
   */
  private async claimVersion(
    bundle: SecureConnectionBundle,
    gathered: Gathered,
    decision: Extract<IssuanceDecision, { action: 'Issue' }>,
    reusePrivateKeyPem: string | undefined,
    now: Date,
  ): Promise<{ built: BuiltBundle; record: VersionRecord }> {
    const { kube, metrics } = this.deps;
    const namespace = bundle.metadata.namespace ?? '';
    for (let version = decision.version; ; version += 1) {
      const started = performance.now();
      const built = await this.build(bundle, gathered, version, reusePrivateKeyPem);
      metrics.observeBundleGeneration(performance.now() - started);
      const record: VersionRecord = {
        version,
        bundleSHA256: built.sha256,
        certificateSHA256: built.certificate.sha256Fingerprint,
        serialNumber: built.certificate.serialNumber,
        notBefore: built.certificate.notBefore,
        notAfter: built.certificate.notAfter,
        createdAt: now,
        size: built.size,
        inputsHash: gathered.desiredInputs,
        issuerFingerprint: gathered.signingCa.fingerprint,
        rotateTokenDigest: decision.rotateToken,
      };
      const secret = versionSecret(bundle, record, { fileName: built.fileName, content: built.zip });
      try {
        await kube.createSecret(namespace, secret);
        return { built, record };
      } catch (error) {
        if (classifyError(error).reason !== 'AlreadyExists') throw error;
        const name = secret.metadata?.name ?? '';
        const holder = await kube.getSecret(namespace, name);
        // Ours (another pass got there first), or gone again: the next pass decides afresh.
        if (!holder || isControlledBy(holder, bundle)) throw error;
        const who = describeHolder(holder.metadata);
        if (version - decision.version + 1 >= MAX_TAKEN_VERSION_NAMES) {
          throw new NameConflictError(
            'Secret',
            name,
            who,
            `version Secrets ${versionSecretName(bundle, decision.version)} to ${name} are held by objects this bundle does not control (the last by ${who}): remove them, or set spec.target.secret.name to a free name`,
            'spec.target.secret.name',
          );
        }
        this.deps.events.record(
          { ...bundle, kind: SECURE_CONNECTION_BUNDLE.kind },
          'Warning',
          'VersionNameTaken',
          `Secret ${name} is held by ${who}; version ${version} is skipped`,
        );
      }
    }
  }

  /** Copies the current version's own Secret back to the published Secret (no new number). */
  private async republish(
    bundle: SecureConnectionBundle,
    gathered: Gathered,
    current: CurrentVersion | undefined,
    decision: Extract<IssuanceDecision, { action: 'Republish' }>,
    now: Date,
    log: Logger,
  ): Promise<ReconcileResult> {
    const namespace = bundle.metadata.namespace ?? '';
    const name = current?.secret?.metadata?.name;
    const record = current?.record;
    const content = name
      ? secretZip(await this.deps.kube.getSecret(namespace, name), current?.entry.bundleSHA256 ?? '')
      : undefined;
    if (!current || !record || content === undefined) {
      // The copy vanished between the cache and this read: the next pass issues a new version.
      return { requeueAfterMs: 0 };
    }
    // The Secret cache can lag a publish this controller just made; only a fresh read is proof.
    const live = await this.deps.kube.getSecret(namespace, bundleSecretName(bundle));
    if (live && observeSecret(live).zipSHA256 === record.bundleSHA256) {
      return this.settle(bundle, gathered, current, now);
    }
    const files = readZip(content, `Secret ${namespace}/${name}`).map((entry) => ({
      path: entry.path,
      content: entry.content,
    }));
    await this.publish(
      bundle,
      gathered,
      publishedSecret(
        bundle,
        record,
        { fileName: bundleZipFileName(bundle.metadata.name ?? ''), content },
        files,
      ),
    );
    this.deps.events.record(
      { ...bundle, kind: SECURE_CONNECTION_BUNDLE.kind },
      'Warning',
      'Republished',
      `${decision.trigger.message}; restored version ${decision.version} from Secret ${name}`,
    );
    log.warn('republished bundle version', { version: decision.version, reason: decision.trigger.reason });
    return this.settle(bundle, gathered, current, now);
  }

  /**
   * Creates or replaces the published Secret. A plain replace with the cached resourceVersion,
   * not a server-side apply: the apiserver decodes a 60 KB apply body as YAML, which was a
   * quarter of its CPU at 1,000 bundles. A stale resourceVersion fails with 409 and is retried.
   */
  private async publish(bundle: SecureConnectionBundle, gathered: Gathered, secret: V1Secret): Promise<void> {
    const namespace = bundle.metadata.namespace ?? '';
    const resourceVersion = gathered.published?.metadata?.resourceVersion;
    if (resourceVersion === undefined) {
      try {
        await this.deps.kube.createSecret(namespace, secret);
      } catch (error) {
        if (classifyError(error).reason !== 'AlreadyExists') throw error;
        // Taken since this pass looked: by us (a retry sorts it out) or by someone else.
        this.refuseForeignHolder(bundle, await this.deps.kube.getSecret(namespace, bundleSecretName(bundle)));
        throw error;
      }
      return;
    }
    await this.deps.kube.replaceSecret(namespace, {
      ...secret,
      metadata: { ...secret.metadata, resourceVersion },
    });
  }

  /** Nothing to issue: keep status, history and the cluster in line with what is published. */
  private async settle(
    bundle: SecureConnectionBundle,
    gathered: Gathered,
    current: CurrentVersion | undefined,
    now: Date,
  ): Promise<ReconcileResult> {
    if (!current) return;
    const history = nextVersionHistory({
      versions: bundle.status?.versions ?? [],
      issued: undefined,
      revisionHistoryLimit: bundle.spec.revisionHistoryLimit ?? 3,
      now,
      ...this.mountedBy(bundle),
    });
    const published = this.currentPublished(bundle, current);
    const hasSecret = (version: number) => gathered.versionSecrets.has(version);
    const store = await this.deps.objectStore.sync(bundle, history.versions, undefined, hasSecret);
    const oci = await this.deps.ociRepository?.sync(
      bundle,
      store?.versions ?? history.versions,
      undefined,
      hasSecret,
    );
    const versions = oci?.versions ?? store?.versions ?? history.versions;
    await this.writeStatus(bundle, {
      ...publishedStatus(bundle, published, versions, now, store?.condition, oci?.condition),
      identity: identityStatus(gathered.identity),
    });
    await this.removeUnlisted(bundle, gathered, versions, history.secretsToDelete, store !== undefined);
    this.recordMetrics(bundle, published, true);
    const rolloutRetryMs = await this.rollout(bundle, published.record.version, this.deps.logger);
    return this.requeue(
      published,
      versions,
      now,
      earliest(rolloutRetryMs, store?.retryAfterMs, oci?.retryAfterMs),
    );
  }

  private async suspended(
    bundle: SecureConnectionBundle,
    current: CurrentVersion | undefined,
    pending: Extract<IssuanceDecision, { action: 'Suspended' }>['pending'],
    now: Date,
  ): Promise<ReconcileResult> {
    const published = current && this.currentPublished(bundle, current);
    await this.writeStatus(bundle, suspendedStatus(bundle, published, pending, now));
    if (published) this.recordMetrics(bundle, published, true);
  }

  private async failed(
    bundle: SecureConnectionBundle,
    error: unknown,
    now: Date,
    log: Logger,
  ): Promise<ReconcileResult> {
    const failure = classifyIssuanceError(error);
    // Someone wrote first (or our cache lags our own write): the work queue retries at once a
    // few times, then backs off, so a lagging cache cannot spin this key.
    if (failure.class === 'Conflict') throw error;
    const counted = failure as CountedFailure;
    const status = bundle.status;
    const retryAt = this.pendingRetry(bundle);
    // The same failure again before its retry time (a watch event, our own status write) is not
    // another attempt: count it once, and wait. A new message (the cause moved on) is recorded.
    const shown = status?.conditions?.find((c) => c.type === 'Ready')?.message;
    if (
      status?.lastFailureReason === counted.reason &&
      shown === counted.message &&
      retryAt &&
      retryAt > now
    ) {
      return { requeueAfterMs: retryAt.getTime() - now.getTime() };
    }
    const outcome = recordIssuanceFailure(status?.failedIssuanceAttempts, counted, now, this.deps.random);
    if (failure.reason === 'InternalError') {
      log.error('unexpected error while reconciling', { error: classifyError(error).message });
    } else {
      log.warn('bundle not issued', {
        reason: failure.reason,
        class: failure.class,
        detail: failure.message,
      });
    }
    await this.writeStatus(bundle, failedStatus(bundle, outcome, now));
    this.deps.events.record(
      { ...bundle, kind: SECURE_CONNECTION_BUNDLE.kind },
      'Warning',
      status?.currentVersion !== undefined && this.renewalOverdue(bundle, now)
        ? 'Expiring'
        : 'IssuanceFailed',
      `${failure.reason}: ${failure.message}`,
    );
    this.deps.metrics.setBundleReady(objectLabels(bundle), false);
    return { requeueAfterMs: outcome.retryAfterMs };
  }

  private mountedBy(bundle: SecureConnectionBundle) {
    return this.deps.usage ? { mountedBy: this.deps.usage.mountedBy(bundle) } : {};
  }

  private renewalOverdue(bundle: SecureConnectionBundle, now: Date): boolean {
    const renewalTime = bundle.status?.renewalTime;
    return renewalTime !== undefined && parseStatusTime(renewalTime, 'status.renewalTime') <= now;
  }

  private publishedVersion(bundle: SecureConnectionBundle, record: VersionRecord): PublishedVersion {
    return {
      record,
      secretName: bundleSecretName(bundle),
      renewalTime: bundleRenewal(record, bundle.spec).renewalTime,
    };
  }

  /** The current version as status knows it, when its Secret's record is gone. */
  private currentPublished(bundle: SecureConnectionBundle, current: CurrentVersion): PublishedVersion {
    if (current.record) return this.publishedVersion(bundle, current.record);
    const entry = current.entry;
    return {
      record: {
        version: entry.version,
        bundleSHA256: entry.bundleSHA256 ?? '',
        certificateSHA256: entry.certificateSHA256 ?? '',
        serialNumber: entry.serialNumber ?? '',
        notBefore: current.notBefore,
        notAfter: current.notAfter,
        createdAt: current.notBefore,
        size: entry.size ?? 0,
        inputsHash: undefined,
        issuerFingerprint: '',
        rotateTokenDigest: undefined,
      },
      secretName: bundleSecretName(bundle),
      renewalTime: current.renewalTime,
    };
  }

  /**
   * Deletes the Secrets of versions that were archived, and version Secrets status does not
   * list at all: numbers claimed by a pass that crashed before it wrote status. Such a number
   * stays used (it is below currentVersion now), so it is never handed out again.
   */
  private async removeUnlisted(
    bundle: SecureConnectionBundle,
    gathered: Gathered,
    versions: readonly BundleVersion[],
    secretsToDelete: readonly string[],
    storeConfigured: boolean,
  ): Promise<void> {
    const namespace = bundle.metadata.namespace ?? '';
    const listed = new Set(versions.filter((v) => v.secretName).map((v) => v.secretName));
    // With an object store, a pruned version's Secret stays until the store holds that version:
    // it is the only copy left to upload from.
    const awaitingStore = new Set(
      storeConfigured
        ? versions
            .filter((v) => v.state === 'Archived' && v.objectKey === undefined)
            .map((v) => versionSecretName(bundle, v.version))
        : [],
    );
    const doomed = new Map<string, string | undefined>();
    for (const name of secretsToDelete) doomed.set(name, undefined);
    for (const secret of gathered.versionSecrets.values()) {
      const name = secret.metadata?.name ?? '';
      if (!listed.has(name)) doomed.set(name, secret.metadata?.uid);
    }
    for (const [name, uid] of doomed) {
      if (!awaitingStore.has(name)) await this.deps.kube.deleteSecret(namespace, name, uid);
    }
  }

  /** A file of a version's zip, when its Secret still holds the zip status recorded. */
  private async versionFile(
    namespace: string,
    secret: ObservedSecret,
    recordedSHA256: string,
    path: string,
  ): Promise<string | undefined> {
    const zip = secretZip(
      await this.deps.kube.getSecret(namespace, secret.metadata?.name ?? ''),
      recordedSHA256,
    );
    if (zip === undefined) return undefined;
    const entry = readZip(zip, `Secret ${namespace}/${secret.metadata?.name}`).find(
      (candidate) => candidate.path === path,
    );
    return entry?.content.toString('utf8');
  }

  private async writeStatus(
    bundle: SecureConnectionBundle,
    next: NullableFields<SecureConnectionBundleStatus>,
  ): Promise<void> {
    if (!patchChangesStatus(bundle.status, next)) return;
    await this.deps.kube.patchBundleStatus(bundle.metadata.namespace ?? '', bundle.metadata.name ?? '', next);
  }

  private recordMetrics(bundle: SecureConnectionBundle, published: PublishedVersion, ready: boolean): void {
    const labels = objectLabels(bundle);
    this.deps.metrics.setBundleTimes(labels, {
      expiresAt: published.record.notAfter,
      renewsAt: published.renewalTime,
    });
    this.deps.metrics.setBundleReady(labels, ready);
  }

  private requeue(
    published: PublishedVersion,
    versions: readonly BundleVersion[],
    now: Date,
    retryInMs: number | undefined,
  ): ReconcileResult {
    const retryAt = retryInMs === undefined ? undefined : new Date(now.getTime() + retryInMs);
    const next = nextRequeue({ now, renewalTime: published.renewalTime, versions, retryAt });
    return { requeueAfterMs: next.delayMs };
  }
}

/**
 * When this bundle's versions were minted, as far as its own records tell: status entries, and
 * the version Secrets it controls (a pass that crashed before status counts too).
 */
function issuedTimes(bundle: SecureConnectionBundle, gathered: Gathered): Date[] {
  const byVersion = new Map<number, Date>();
  for (const entry of bundle.status?.versions ?? []) {
    if (entry.createdAt) byVersion.set(entry.version, new Date(entry.createdAt));
  }
  for (const [version, secret] of gathered.versionSecrets) {
    const created = secret.metadata?.creationTimestamp as unknown as string | Date | undefined;
    if (!byVersion.has(version) && created !== undefined) byVersion.set(version, new Date(created));
  }
  return [...byVersion.values()].filter((at) => !Number.isNaN(at.getTime()));
}

/**
 * Stalled on something only an edit fixes. A taken name is Stalled for readers too, but retried
 * on the backoff schedule: its holder going away is not an event this operator sees.
 */
function waitsForEdit(bundle: SecureConnectionBundle): boolean {
  const stalled =
    bundle.status?.conditions?.some((c) => c.type === 'Stalled' && c.status === 'True') ?? false;
  return stalled && bundle.status?.lastFailureReason !== 'NameConflict';
}

function earliest(...delays: Array<number | undefined>): number | undefined {
  const known = delays.filter((delay): delay is number => delay !== undefined);
  return known.length === 0 ? undefined : Math.min(...known);
}

function objectLabels(bundle: SecureConnectionBundle) {
  return { namespace: bundle.metadata.namespace ?? '', name: bundle.metadata.name ?? '' };
}

function timeOrEpoch(text: string | undefined, field: string): Date {
  return text === undefined ? new Date(0) : parseStatusTime(text, field);
}
