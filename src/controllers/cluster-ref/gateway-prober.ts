/**
 * Probes the gateway of every cluster ref with spec.gateway the way drivers will use it
 * (probeGateway) and keeps the GatewayReady condition the cluster reconciler publishes. Probes run
 * on their own timers, never on the work queue: a slow or unreachable gateway holds no reconcile
 * worker. The reconciler hands over what to probe after each pass (watch); when a probe changes
 * the condition, onChange re-queues the cluster ref so the next pass writes it.
 *
 * The metadata address is tenant-written: every dial goes through the outbound guard (vettedDialer),
 * so a cluster ref cannot make the operator connect to cloud-metadata or private addresses the
 * operator's allow-list does not open.
 */
import type { CassandraClusterRef } from '../../api/v1alpha1/index.js';
import { refusalDetail, type OutboundGuard } from '../../distribution/outbound/index.js';
import type { GatewayProbeInput, GatewayProbeResult } from '../../gateway/probe.js';
import type { Logger } from '../../observability/logger.js';
import { secretValue, type SecretValue } from '../../observability/secret-value.js';
import { loadIssuingCa } from '../../pki/issuing-ca.js';
import { issueClientCertificate } from '../../pki/client-certificate.js';
import { encodePem } from '../../pki/pem.js';
import type { Clock } from '../../time/clock.js';
import type { TimerHandle, Timers } from '../../time/timers.js';
import type { KubeObjects } from '../../kube/kube-objects.js';
import { readClientCa, unsealCaPem } from './ca-sources.js';
import {
  DEFAULT_PROBE_SCHEDULE,
  GATEWAY_NOT_PROBED,
  gatewayReadyCondition,
  nextProbeDelayMs,
  type GatewayReadyCondition,
  type ProbeSchedule,
} from './gateway-readiness.js';

export interface GatewayProbeTarget {
  /** namespace/name of the cluster ref. */
  key: string;
  cluster: CassandraClusterRef;
  /** PEM CAs a bundle of this cluster trusts (server CA, then the metadata service's CA). */
  trustPem: string;
  /** probeSignature(...): a change probes again at once. */
  signature: string;
}

export interface ProbeIdentity {
  certPem: string;
  keyPem: SecretValue;
}

export interface GatewayProberDeps {
  clock: Clock;
  timers: Timers;
  logger: Logger;
  probe: (input: GatewayProbeInput) => Promise<GatewayProbeResult>;
  /** Client certificates of the cluster's client CA, as a bundle has (ProbeIdentities). */
  identities: Pick<ProbeIdentities, 'issue' | 'forget'>;
  /** The address to dial for name:port, vetted by the outbound policy. */
  resolve: (name: string, port: number) => Promise<string>;
  /** The condition of this cluster ref changed: reconcile it so status shows it. */
  onChange: (key: string) => void;
  /** Per step (metadata, each node); a whole probe is also cut off at 8 steps. */
  timeoutMs: number;
  schedule?: ProbeSchedule;
}

interface ProbeState {
  target: GatewayProbeTarget;
  condition: GatewayReadyCondition;
  failures: number;
  timer?: TimerHandle;
  running: boolean;
  /** The target changed while a probe ran: probe again when it ends. */
  again: boolean;
}

export class GatewayProber {
  private readonly states = new Map<string, ProbeState>();

  constructor(private readonly deps: GatewayProberDeps) {}

  /** The condition to publish for this cluster ref; undefined when it is not watched. */
  condition(key: string): GatewayReadyCondition | undefined {
    return this.states.get(key)?.condition;
  }

  /** Called by every pass of a cluster ref with spec.gateway: probes now when the target changed. */
  watch(target: GatewayProbeTarget): void {
    const state = this.states.get(target.key);
    if (!state) {
      const fresh: ProbeState = {
        target,
        condition: GATEWAY_NOT_PROBED,
        failures: 0,
        running: false,
        again: false,
      };
      this.states.set(target.key, fresh);
      this.schedule(fresh, 0);
      return;
    }
    const changed = state.target.signature !== target.signature;
    const newSpec = state.target.cluster.metadata.generation !== target.cluster.metadata.generation;
    state.target = target;
    if (!changed) return;
    // A result about an earlier spec says nothing about this one.
    if (newSpec) state.condition = GATEWAY_NOT_PROBED;
    state.failures = 0;
    if (state.running) state.again = true;
    else this.schedule(state, 0);
  }

  /** spec.gateway removed, or the cluster ref deleted. */
  forget(key: string): void {
    const state = this.states.get(key);
    if (state?.timer) this.deps.timers.clearTimeout(state.timer);
    this.states.delete(key);
    this.deps.identities.forget(key);
  }

  /** Leadership lost or shutting down: no more probes until watched again. */
  clear(): void {
    for (const key of [...this.states.keys()]) this.forget(key);
  }

  private schedule(state: ProbeState, delayMs: number): void {
    if (state.timer) this.deps.timers.clearTimeout(state.timer);
    state.timer = this.deps.timers.setTimeout(() => void this.run(state), delayMs);
  }

  private async run(state: ProbeState): Promise<void> {
    state.timer = undefined;
    state.running = true;
    state.again = false;
    const { target } = state;
    const result = await this.probe(target);
    state.running = false;
    if (this.states.get(target.key) !== state) return;
    if (state.again) {
      this.schedule(state, 0);
      return;
    }
    state.failures = result.ok ? 0 : state.failures + 1;
    const gateway = target.cluster.spec.gateway;
    const condition = gatewayReadyCondition(result, gateway?.sniProxyAddress ?? '');
    const before = state.condition;
    state.condition = condition;
    if (
      before.status !== condition.status ||
      before.reason !== condition.reason ||
      before.message !== condition.message
    ) {
      const level = condition.status === 'True' ? 'info' : 'warn';
      this.deps.logger.log(level, 'gateway probe', {
        cluster: target.key,
        status: condition.status,
        reason: condition.reason,
        detail: condition.message,
      });
      this.deps.onChange(target.key);
    }
    this.schedule(state, nextProbeDelayMs(state.failures, this.deps.schedule ?? DEFAULT_PROBE_SCHEDULE));
  }

  private async probe(target: GatewayProbeTarget): Promise<GatewayProbeResult> {
    const gateway = target.cluster.spec.gateway;
    const address = /^(.+):(\d+)$/.exec(gateway?.metadataAddress ?? '');
    if (!address) {
      return {
        ok: false,
        reason: 'MetadataUnreachable',
        message: 'spec.gateway.metadataAddress is not name:port',
      };
    }
    let identity: ProbeIdentity;
    try {
      identity = await this.deps.identities.issue(target.cluster);
    } catch (error) {
      return {
        ok: false,
        reason: 'MetadataUnreachable',
        message: `the operator could not make a probe identity from the client CA: ${String((error as Error)?.message ?? error)}`,
      };
    }
    const budgetMs = this.deps.timeoutMs * 8;
    let timer: TimerHandle | undefined;
    const cutOff = new Promise<GatewayProbeResult>((resolve) => {
      timer = this.deps.timers.setTimeout(
        () =>
          resolve({
            ok: false,
            reason: 'NodeUnreachable',
            message: `the probe did not finish in ${Math.round(budgetMs / 1000)} s (metadata and every node through the SNI proxy)`,
          }),
        budgetMs,
      );
    });
    try {
      return await Promise.race([
        this.deps.probe({
          metadataHost: address[1] as string,
          metadataPort: Number(address[2]),
          identity,
          trustPem: target.trustPem,
          timeoutMs: this.deps.timeoutMs,
          resolve: (name, port) =>
            this.deps.resolve(name, port).catch((error: unknown) => {
              const detail = refusalDetail(error);
              if (detail)
                this.deps.logger.warn('gateway probe refused by the outbound policy', {
                  cluster: target.key,
                  ...detail,
                });
              throw error;
            }),
        }),
        cutOff,
      ]);
    } catch (error) {
      // The gateway's answer is tenant-controlled: whatever it makes a TLS call throw is a result.
      return {
        ok: false,
        reason: 'MetadataUnreachable',
        message: `the probe failed: ${String((error as Error)?.message ?? error)}`,
      };
    } finally {
      if (timer) this.deps.timers.clearTimeout(timer);
    }
  }
}

/**
 * `resolve` for probeGateway through the outbound guard: the name (or the operator's
 * --gateway-resolve override for name:port, like curl's --resolve) is resolved once, every
 * address checked against the policy, and the first one dialled, so a DNS answer cannot change
 * between the check and the dial.
 */
export function vettedDialer(
  guard: Pick<OutboundGuard, 'vet'>,
  overrides: ReadonlyMap<string, string>,
): (name: string, port: number) => Promise<string> {
  return async (name, port) => {
    const host = overrides.get(`${name.toLowerCase()}:${port}`) ?? name;
    const [first] = await guard.vet(host);
    if (!first) throw new Error(`${name} has no address`);
    return first.address;
  };
}

/** Lifetime of a probe identity: short, and kept only in memory. */
const PROBE_IDENTITY_SECONDS = 900;
/** A kept identity is replaced this long before it expires. */
const PROBE_IDENTITY_MARGIN_MS = 300_000;

/**
 * Short-lived client certificates for the probe, issued in memory from the cluster's signing CA
 * (never stored, never logged): one per cluster ref, replaced when the CA changes or it nears
 * expiry, dropped when the cluster ref is forgotten.
 */
export class ProbeIdentities {
  private readonly kept = new Map<string, { caVersion: string; notAfter: Date; identity: ProbeIdentity }>();

  constructor(
    private readonly kube: KubeObjects,
    private readonly clock: Clock,
  ) {}

  async issue(cluster: CassandraClusterRef): Promise<ProbeIdentity> {
    const source = await readClientCa(this.kube, cluster);
    const key = `${cluster.metadata.namespace ?? ''}/${cluster.metadata.name ?? ''}`;
    const caVersion = `${source.secretName}@${source.resourceVersion}`;
    const held = this.kept.get(key);
    const fresh = (notAfter: Date) =>
      notAfter.getTime() - this.clock.now().getTime() > PROBE_IDENTITY_MARGIN_MS;
    if (held && held.caVersion === caVersion && fresh(held.notAfter)) return held.identity;
    const ca = loadIssuingCa(unsealCaPem(source.pem), this.clock);
    const issued = await issueClientCertificate(
      ca,
      {
        commonName: 'scb-operator gateway probe',
        privateKey: { algorithm: 'ECDSA', size: 256, encoding: 'PKCS8' },
        durationSeconds: PROBE_IDENTITY_SECONDS,
      },
      this.clock,
    );
    // The leaf and the CAs under the root, as a bundle's cert holds them: nodes may trust only the root.
    const intermediates = [ca.certificate, ...ca.chain].filter((issuer) => issuer.subject !== issuer.issuer);
    const identity: ProbeIdentity = {
      certPem:
        issued.certificatePem +
        intermediates.map((issuer) => encodePem('CERTIFICATE', new Uint8Array(issuer.rawData))).join(''),
      keyPem: secretValue(issued.privateKeyPem),
    };
    this.kept.set(key, { caVersion, notAfter: issued.notAfter, identity });
    return identity;
  }

  forget(key: string): void {
    this.kept.delete(key);
  }
}
