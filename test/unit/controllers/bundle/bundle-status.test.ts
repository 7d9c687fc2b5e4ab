import type { BundleVersion, Condition, SecureConnectionBundle } from '../../../../src/api/v1alpha1/index.js';
import type { VersionRecord } from '../../../../src/controllers/bundle/bundle-secrets.js';
import {
  failedStatus,
  publishedStatus,
  suspendedStatus,
  type PublishedVersion,
} from '../../../../src/controllers/bundle/bundle-status.js';
import {
  recordIssuanceFailure,
  type CountedFailure,
} from '../../../../src/controllers/bundle/failure-backoff.js';
import { patchChangesStatus } from '../../../../src/controllers/kstatus/status-patch.js';
import { fixedClock } from '../../../../src/time/clock.js';

const EARLIER = '2025-03-01T08:00:00Z';
// Milliseconds on purpose: status times are whole seconds.
const clock = fixedClock(new Date('2025-03-02T09:30:15.750Z'));
const NOW_TEXT = '2025-03-02T09:30:15Z';

function bundle(conditions?: Condition[]): SecureConnectionBundle {
  return {
    apiVersion: 'scb-operator.io/v1alpha1',
    kind: 'SecureConnectionBundle',
    metadata: { name: 'orders', namespace: 'shop', uid: 'u1', generation: 5 },
    spec: { clusterRef: { name: 'cassandra' } },
    ...(conditions ? { status: { conditions } } : {}),
  };
}

const ready = (status: Condition['status'], at = EARLIER): Condition => ({
  type: 'Ready',
  status,
  observedGeneration: 4,
  lastTransitionTime: at,
  reason: 'Earlier',
  message: 'earlier',
});

const record: VersionRecord = {
  version: 2,
  bundleSHA256: 'b'.repeat(64),
  certificateSHA256: 'c'.repeat(64),
  serialNumber: '0a1b',
  notBefore: new Date('2025-03-02T09:00:00Z'),
  notAfter: new Date('2025-05-31T09:00:00Z'),
  createdAt: new Date('2025-03-02T09:00:01Z'),
  size: 20_000,
  inputsHash: undefined,
  issuerFingerprint: 'f'.repeat(64),
  rotateTokenDigest: undefined,
};
const published: PublishedVersion = {
  record,
  secretName: 'orders-scb',
  renewalTime: new Date('2025-05-01T09:00:00Z'),
};
const versions: BundleVersion[] = [
  { version: 2, state: 'Active', createdAt: '2025-03-02T09:00:01Z', expiresAt: '2025-05-31T09:00:00Z' },
  { version: 1, state: 'Deprecated', createdAt: '2025-01-01T09:00:00Z', expiresAt: '2025-04-01T09:00:00Z' },
];
const versionFields = {
  currentVersion: 2,
  secretName: 'orders-scb',
  notBefore: '2025-03-02T09:00:00Z',
  notAfter: '2025-05-31T09:00:00Z',
  renewalTime: '2025-05-01T09:00:00Z',
};

const failure = (cls: CountedFailure['class'], reason: string, message: string): CountedFailure => ({
  class: cls,
  reason,
  message,
});
const types = (conditions: Condition[] | null | undefined): string[] =>
  (conditions ?? []).map((c) => `${c.type}=${c.status}:${c.reason}`);

describe('publishedStatus', () => {
  it('reports Ready with the version, its times and history, and clears a recorded failure', () => {
    const status = publishedStatus(bundle(), published, versions, clock.now());
    expect(status).toEqual({
      observedGeneration: 5,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          observedGeneration: 5,
          lastTransitionTime: NOW_TEXT,
          reason: 'BundleReady',
          message:
            'version 2 is published in Secret orders-scb; valid until 2025-05-31T09:00:00Z, renews at 2025-05-01T09:00:00Z',
        },
      ],
      ...versionFields,
      versions,
      // null, not absent: in a merge patch only null removes what a failed pass recorded.
      failedIssuanceAttempts: null,
      lastFailureReason: null,
      lastFailureTime: null,
    });
  });

  it.each<[string, Condition[] | undefined, string]>([
    ['first status: transition now', undefined, NOW_TEXT],
    ['was Ready: transition time kept', [ready('True')], EARLIER],
    ['was not Ready: transition now', [ready('False')], NOW_TEXT],
    ['was Unknown: transition now', [ready('Unknown')], NOW_TEXT],
  ])('%s', (_name, previous, transition) => {
    const [condition] = publishedStatus(bundle(previous), published, versions, clock.now()).conditions ?? [];
    expect(condition?.lastTransitionTime).toBe(transition);
  });

  it('drops Reconciling and Stalled left from a failed pass (absent means False)', () => {
    const failing = failedStatus(
      bundle(),
      recordIssuanceFailure(
        1,
        failure('InvalidSpec', 'InvalidDuration', 'spec.duration: "x"'),
        clock.now(),
        () => 0,
      ),
      clock.now(),
    );
    const next = publishedStatus(bundle(failing.conditions ?? []), published, versions, clock.now());
    expect(types(next.conditions)).toEqual(['Ready=True:BundleReady']);
  });
});

describe('suspendedStatus', () => {
  it('keeps Ready=True while a version is published, says what is on hold, and keeps the version fields', () => {
    const status = suspendedStatus(
      bundle([ready('True')]),
      published,
      { reason: 'RenewalDue', message: 'renewal time 2025-05-01T09:00:00Z has passed' },
      clock.now(),
    );
    expect(status).toEqual({
      observedGeneration: 5,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          observedGeneration: 5,
          lastTransitionTime: EARLIER,
          reason: 'Suspended',
          message:
            'spec.suspend is true, so no version is issued or published; on hold: renewal time 2025-05-01T09:00:00Z has passed',
        },
      ],
      ...versionFields,
    });
  });

  it('is Ready=False with no version fields when nothing was ever published', () => {
    const status = suspendedStatus(bundle(), undefined, undefined, clock.now());
    expect(status).toEqual({
      observedGeneration: 5,
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          observedGeneration: 5,
          lastTransitionTime: NOW_TEXT,
          reason: 'Suspended',
          message: 'spec.suspend is true, so no version is issued or published',
        },
      ],
    });
  });
});

describe('failedStatus', () => {
  it.each<[string, CountedFailure, string[]]>([
    [
      'a bad spec is Stalled (only an edit helps)',
      failure('InvalidSpec', 'InvalidDuration', 'spec.duration: "ten days" is not a duration'),
      ['Ready=False:InvalidDuration', 'Stalled=True:InvalidDuration'],
    ],
    [
      'a refused namespace is Stalled',
      failure('AccessDenied', 'NamespaceNotAllowed', 'add "shop" to spec.access.namespaces'),
      ['Ready=False:NamespaceNotAllowed', 'Stalled=True:NamespaceNotAllowed'],
    ],
    [
      'a missing reference is Reconciling (retried)',
      failure('MissingReference', 'ServerCANotFound', 'Secret shop/ca does not exist'),
      ['Ready=False:ServerCANotFound', 'Reconciling=True:ServerCANotFound'],
    ],
    [
      'an API server hiccup is Reconciling (retried)',
      failure('Transient', 'HTTP503', 'service unavailable'),
      ['Ready=False:HTTP503', 'Reconciling=True:HTTP503'],
    ],
  ])('%s', (_name, cause, conditions) => {
    const outcome = recordIssuanceFailure(2, cause, clock.now(), () => 0);
    const status = failedStatus(bundle([ready('True')]), outcome, clock.now());
    expect(types(status.conditions)).toEqual(conditions);
    for (const condition of status.conditions ?? []) {
      expect(condition).toMatchObject({ message: cause.message, observedGeneration: 5 });
    }
    // Ready flipped True -> False: that is a transition.
    expect(status.conditions?.[0]?.lastTransitionTime).toBe(NOW_TEXT);
    expect(status).toMatchObject({
      observedGeneration: 5,
      failedIssuanceAttempts: 3,
      lastFailureReason: cause.reason,
      lastFailureTime: NOW_TEXT,
    });
  });

  it('leaves the published version fields alone (a merge patch keeps what is not named)', () => {
    const outcome = recordIssuanceFailure(
      0,
      failure('Transient', 'HTTP503', 'unavailable'),
      clock.now(),
      () => 0,
    );
    const status = failedStatus(bundle(), outcome, clock.now());
    for (const field of ['currentVersion', 'secretName', 'notAfter', 'renewalTime', 'versions']) {
      expect(status).not.toHaveProperty(field);
    }
  });

  it('keeps the Stalled transition time across repeated failures with the same cause', () => {
    const cause = failure('InvalidSpec', 'InvalidDuration', 'spec.duration: "x"');
    const first = failedStatus(
      bundle(),
      recordIssuanceFailure(0, cause, clock.now(), () => 0),
      clock.now(),
    );
    const later = new Date(clock.now().getTime() + 600_000);
    const second = failedStatus(
      bundle(first.conditions ?? []),
      recordIssuanceFailure(1, cause, later, () => 0),
      later,
    );
    expect(second.conditions?.map((c) => c.lastTransitionTime)).toEqual([NOW_TEXT, NOW_TEXT]);
  });
});

describe('a settled bundle writes no status', () => {
  it('recomputing the published status an hour later changes nothing a reader sees', () => {
    const first = publishedStatus(bundle(), published, versions, clock.now());
    // What the API server stores: the merge patch applied to an empty status (nulls removed).
    const stored = Object.fromEntries(Object.entries(first).filter(([, value]) => value !== null));
    const later = new Date(clock.now().getTime() + 3_600_000);
    const again = publishedStatus(
      { ...bundle(), status: stored as SecureConnectionBundle['status'] },
      published,
      versions,
      later,
    );
    expect(patchChangesStatus(stored, again)).toBe(false);
  });
});
