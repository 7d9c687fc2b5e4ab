/**
 * The GatewayReady condition of a cluster ref with spec.gateway, and when to probe again. Pure:
 * the prober (gateway-prober.ts) runs probeGateway and keeps the state.
 */
import type { GatewayProbeResult } from '../../gateway/probe.js';
import type { ConditionDetail } from '../kstatus/conditions.js';

export const GATEWAY_READY = 'GatewayReady';

export type GatewayReadyCondition = ConditionDetail & {
  type: typeof GATEWAY_READY;
  status: 'True' | 'False' | 'Unknown';
};

/** Before the first probe of this spec has answered. */
export const GATEWAY_NOT_PROBED: GatewayReadyCondition = {
  type: GATEWAY_READY,
  status: 'Unknown',
  reason: 'Probing',
  message: 'the operator has not probed the gateway for this spec yet',
};

/** Messages end up in status: long TLS error texts are cut, never anything longer. */
const MAX_MESSAGE = 1024;

export function gatewayReadyCondition(
  result: GatewayProbeResult,
  sniProxyAddress: string,
): GatewayReadyCondition {
  if (result.ok) {
    return {
      type: GATEWAY_READY,
      status: 'True',
      reason: 'GatewayReachable',
      message:
        `the metadata service answers a bundle identity and ${result.nodes.length} node(s) answer through the SNI proxy ${sniProxyAddress}: ${result.nodes.join(', ')}`.slice(
          0,
          MAX_MESSAGE,
        ),
    };
  }
  return {
    type: GATEWAY_READY,
    status: 'False',
    reason: result.reason,
    message: result.message.slice(0, MAX_MESSAGE),
  };
}

export interface ProbeSchedule {
  /** While True: a look every few minutes catches a node or certificate gone bad. */
  healthyMs: number;
  /** The first retry while False, doubled after each further failure up to maxFailingMs. */
  failingMs: number;
  maxFailingMs: number;
}

/**
 * The schedule for a healthy interval (the operator's --gateway-probe-interval): retries while
 * failing start at the interval or 60 s, whichever is shorter, and back off to ten intervals or
 * 10 minutes, whichever is shorter.
 */
export function probeSchedule(healthyMs: number): ProbeSchedule {
  const failingMs = Math.min(60_000, healthyMs);
  return { healthyMs, failingMs, maxFailingMs: Math.max(failingMs, Math.min(600_000, 10 * healthyMs)) };
}

export const DEFAULT_PROBE_SCHEDULE: ProbeSchedule = probeSchedule(180_000);

/** How long until the next probe, after `consecutiveFailures` failed probes in a row (0: it passed). */
export function nextProbeDelayMs(
  consecutiveFailures: number,
  schedule: ProbeSchedule = DEFAULT_PROBE_SCHEDULE,
): number {
  if (consecutiveFailures <= 0) return schedule.healthyMs;
  const exponent = Math.min(consecutiveFailures - 1, 16);
  return Math.min(schedule.maxFailingMs, schedule.failingMs * 2 ** exponent);
}

/**
 * What decides whether an earlier probe still speaks for the spec: a change in any of these
 * (the metadata address, the proxy address, the CAs a bundle trusts or is signed by) probes
 * again at once.
 */
export function probeSignature(parts: {
  generation: number | undefined;
  metadataAddress: string;
  sniProxyAddress: string;
  trustFingerprints: readonly string[];
  clientCaFingerprint: string;
}): string {
  return JSON.stringify([
    parts.generation,
    parts.metadataAddress,
    parts.sniProxyAddress,
    parts.trustFingerprints,
    parts.clientCaFingerprint,
  ]);
}
