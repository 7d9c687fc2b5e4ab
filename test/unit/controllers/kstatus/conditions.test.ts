import type { Condition } from '../../../../src/api/v1alpha1/index.js';
import {
  buildConditions,
  statusChanged,
  type ObservedConditions,
} from '../../../../src/controllers/kstatus/conditions.js';

const EARLIER = '2025-03-01T08:00:00Z';
const NOW = new Date('2025-03-02T09:30:15.750Z');
const NOW_TEXT = '2025-03-02T09:30:15Z';

const readyTrue: ObservedConditions = {
  ready: { status: 'True', reason: 'Issued', message: 'version 3 is published' },
};
const issuing: ObservedConditions = {
  ready: { status: 'False', reason: 'RenewalDue', message: 'issuing version 4' },
  reconciling: { reason: 'RenewalDue', message: 'issuing version 4' },
};
const stalled: ObservedConditions = {
  ready: {
    status: 'False',
    reason: 'NamespaceNotAllowed',
    message: 'add "orders" to spec.access.namespaces',
  },
  stalled: { reason: 'NamespaceNotAllowed', message: 'add "orders" to spec.access.namespaces' },
};

function condition(type: string, status: Condition['status'], lastTransitionTime = EARLIER): Condition {
  return { type, status, observedGeneration: 6, lastTransitionTime, reason: 'Old', message: 'old' };
}

describe('buildConditions', () => {
  it.each<[string, Condition[] | undefined, ObservedConditions, Array<[string, string, string]>]>([
    ['first status: Ready only, stamped now', undefined, readyTrue, [['Ready', 'True', NOW_TEXT]]],
    [
      'Ready stays True: its transition time is kept',
      [condition('Ready', 'True')],
      readyTrue,
      [['Ready', 'True', EARLIER]],
    ],
    [
      'Ready flips to False and Reconciling appears: both stamped now',
      [condition('Ready', 'True')],
      issuing,
      [
        ['Ready', 'False', NOW_TEXT],
        ['Reconciling', 'True', NOW_TEXT],
      ],
    ],
    [
      'still reconciling: Reconciling keeps its time',
      [condition('Ready', 'False'), condition('Reconciling', 'True')],
      issuing,
      [
        ['Ready', 'False', EARLIER],
        ['Reconciling', 'True', EARLIER],
      ],
    ],
    [
      'done reconciling: Reconciling disappears instead of turning False',
      [condition('Ready', 'False'), condition('Reconciling', 'True')],
      readyTrue,
      [['Ready', 'True', NOW_TEXT]],
    ],
    [
      'a stale Stalled=False written by someone else is dropped; Stalled=True is new',
      [condition('Ready', 'False'), condition('Stalled', 'False')],
      stalled,
      [
        ['Ready', 'False', EARLIER],
        ['Stalled', 'True', NOW_TEXT],
      ],
    ],
  ])('%s', (_name, previous, observed, expected) => {
    const conditions = buildConditions(previous, observed, 7, NOW);
    expect(conditions.map((c) => [c.type, c.status, c.lastTransitionTime])).toEqual(expected);
    expect(conditions.every((c) => c.observedGeneration === 7)).toBe(true);
  });

  it('a new reason or message alone is not a transition, but is written', () => {
    const [ready] = buildConditions([condition('Ready', 'False')], issuing, 7, NOW);
    expect(ready).toEqual({
      type: 'Ready',
      status: 'False',
      observedGeneration: 7,
      lastTransitionTime: EARLIER,
      reason: 'RenewalDue',
      message: 'issuing version 4',
    });
  });
});

describe('statusChanged', () => {
  const status = {
    observedGeneration: 7,
    currentVersion: 3,
    conditions: buildConditions(undefined, issuing, 7, NOW),
    versions: [{ version: 3, state: 'Active' }],
  };

  it.each<[string, boolean, unknown]>([
    ['the same status rebuilt', false, structuredClone(status)],
    [
      'keys in another order and undefined fields',
      false,
      {
        versions: status.versions,
        lastFailureReason: undefined,
        conditions: status.conditions,
        currentVersion: 3,
        observedGeneration: 7,
      },
    ],
    ['conditions in another order', false, { ...status, conditions: [...status.conditions].reverse() }],
    ['observedGeneration moved on', true, { ...status, observedGeneration: 8 }],
    [
      'a condition message changed',
      true,
      { ...status, conditions: [{ ...status.conditions[0], message: 'x' }, status.conditions[1]] },
    ],
    ['a condition went away', true, { ...status, conditions: status.conditions.slice(0, 1) }],
    [
      'a version was added',
      true,
      { ...status, versions: [{ version: 2, state: 'Deprecated' }, ...status.versions] },
    ],
    ['a field appeared', true, { ...status, failedIssuanceAttempts: 1 }],
  ])('%s: changed=%s', (_name, changed, next) => {
    expect(statusChanged(status, next)).toBe(changed);
  });

  it('no status yet versus an empty one is no change; versus a real one is', () => {
    expect(statusChanged(undefined, {})).toBe(false);
    expect(statusChanged(undefined, status)).toBe(true);
  });
});
