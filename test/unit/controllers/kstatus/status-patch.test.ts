import { patchChangesStatus } from '../../../../src/controllers/kstatus/status-patch.js';

const ready = {
  type: 'Ready',
  status: 'True',
  lastTransitionTime: '2025-03-01T08:00:00Z',
  reason: 'BundleReady',
  message: 'v1',
};
const stalled = {
  type: 'Stalled',
  status: 'True',
  lastTransitionTime: '2025-03-01T08:00:00Z',
  reason: 'Bad',
  message: 'fix it',
};
const previous = {
  observedGeneration: 3,
  currentVersion: 1,
  notAfter: '2025-06-01T00:00:00Z',
  lastFailureReason: 'HTTP503',
  conditions: [ready, stalled],
  identity: { commonName: 'app', spiffeID: 'spiffe://td/ns/a/scb/app', grantedBy: 'NamespaceDefault' },
};

describe('patchChangesStatus', () => {
  it.each<[string, object | undefined, object, boolean]>([
    ['an empty patch', previous, {}, false],
    ['the same values again', previous, { observedGeneration: 3, currentVersion: 1 }, false],
    ['the same conditions in another order', previous, { conditions: [stalled, ready] }, false],
    [
      'the same object with keys in another order',
      previous,
      { conditions: [{ ...ready, message: 'v1', type: 'Ready' }, stalled] },
      false,
    ],
    ['null for a field that is already absent', previous, { failedIssuanceAttempts: null }, false],
    ['undefined leaves a field as it is', previous, { currentVersion: undefined }, false],
    ['a new value', previous, { currentVersion: 2 }, true],
    ['a newer generation observed', previous, { observedGeneration: 4 }, true],
    ['a field added', previous, { renewalTime: '2025-05-01T00:00:00Z' }, true],
    ['null removes a recorded failure', previous, { lastFailureReason: null }, true],
    ['a condition dropped (the list is replaced whole)', previous, { conditions: [ready] }, true],
    [
      'only a condition message changed',
      previous,
      { conditions: [{ ...ready, message: 'v2' }, stalled] },
      true,
    ],
    [
      'only a transition time changed',
      previous,
      { conditions: [{ ...ready, lastTransitionTime: '2025-03-02T00:00:00Z' }, stalled] },
      true,
    ],
    ['first status of a new object', undefined, { observedGeneration: 1 }, true],
    ['nothing to write on a new object', undefined, { lastFailureReason: null }, false],
    [
      'a nested object merged with the same values, null for an absent nested field',
      previous,
      { identity: { commonName: 'app', organizations: null, grantedBy: 'NamespaceDefault' } },
      false,
    ],
    [
      'null removes a nested field (merge patch, as the API server applies it)',
      previous,
      { identity: { commonName: 'app', spiffeID: null, grantedBy: 'NamespaceDefault' } },
      true,
    ],
  ])('%s', (_name, before, patch, changes) => {
    expect(patchChangesStatus(before, patch)).toBe(changes);
  });
});
