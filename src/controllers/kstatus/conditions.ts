import type { Condition } from '../../api/v1alpha1/index.js';
import { canonicalJson } from '../canonical-json.js';
import { statusTime } from '../status-time.js';

/**
 * kstatus conditions, the way Flux and `kubectl wait` read them: Ready is always present;
 * Reconciling and Stalled appear only while they are true (an absent one means False, so a
 * stale "Stalled=False" never confuses a reader). Every condition carries observedGeneration.
 */
export type ConditionType = 'Ready' | 'Reconciling' | 'Stalled';

export interface ConditionDetail {
  /** CamelCase, e.g. Issued, RenewalDue, NamespaceNotAllowed. */
  reason: string;
  /** Names the field to fix when there is one; never key material or passwords. */
  message: string;
}

/** What the reconcile decided about the object; the builder turns it into conditions. */
export interface ObservedConditions {
  ready: ConditionDetail & { status: Condition['status'] };
  /** Set while the operator is still working towards the desired state. */
  reconciling?: ConditionDetail;
  /** Set when progress needs someone to change something. */
  stalled?: ConditionDetail;
  /** Conditions of a part of the object (e.g. ObjectStoreSynced), listed after the kstatus ones. */
  extra?: ReadonlyArray<ConditionDetail & { type: string; status: Condition['status'] }>;
}

/**
 * The next conditions list, in the fixed order Ready, Reconciling, Stalled.
 * lastTransitionTime is carried over from `previous` unless the status flipped (metav1.Condition's
 * rule): a changed reason or message alone is not a transition, so the time keeps saying how long
 * the object has been in that state.
 */
export function buildConditions(
  previous: readonly Condition[] | undefined,
  observed: ObservedConditions,
  generation: number,
  now: Date,
): Condition[] {
  const wanted: Array<[string, Condition['status'], ConditionDetail]> = [
    ['Ready', observed.ready.status, observed.ready],
  ];
  if (observed.reconciling) wanted.push(['Reconciling', 'True', observed.reconciling]);
  if (observed.stalled) wanted.push(['Stalled', 'True', observed.stalled]);
  for (const extra of observed.extra ?? []) wanted.push([extra.type, extra.status, extra]);
  return wanted.map(([type, status, detail]) => {
    const before = previous?.find((condition) => condition.type === type);
    return {
      type,
      status,
      observedGeneration: generation,
      lastTransitionTime: before && before.status === status ? before.lastTransitionTime : statusTime(now),
      reason: detail.reason,
      message: detail.message,
    };
  });
}

/**
 * True when `next` differs from `previous` in anything a reader could see, so status is written
 * only then. Absent and `undefined` fields count as the same (JSON drops undefined), object key
 * order is ignored, and conditions are compared by type rather than position, since their order
 * carries no meaning. Everything else, timestamps and observedGeneration included, counts.
 */
export function statusChanged(previous: unknown, next: unknown): boolean {
  return canonicalJson(previous ?? {}, conditionsByType) !== canonicalJson(next ?? {}, conditionsByType);
}

function conditionsByType(key: string, items: unknown[]): unknown[] {
  if (key !== 'conditions') return items;
  const typeOf = (item: unknown): string =>
    typeof item === 'object' && item !== null ? String((item as { type?: unknown }).type) : '';
  return [...items].sort((a, b) => (typeOf(a) < typeOf(b) ? -1 : typeOf(a) > typeOf(b) ? 1 : 0));
}
