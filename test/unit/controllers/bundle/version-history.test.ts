import type { BundleVersion } from '../../../../src/api/v1alpha1/index.js';
import {
  MAX_VERSION_ENTRIES,
  nextVersionHistory,
} from '../../../../src/controllers/bundle/version-history.js';

// 90-day certificates renewed at day 60: version n is issued on day 60*(n-1) after 2025-01-01.
const START = Date.parse('2025-01-01T00:00:00Z');
const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

function version(n: number, state: BundleVersion['state']): BundleVersion {
  const created = START + 60 * DAY * (n - 1);
  return {
    version: n,
    state,
    certificateSHA256: `cert-${n}`,
    createdAt: iso(created),
    expiresAt: iso(created + 90 * DAY),
    ...(state === 'Archived' ? {} : { secretName: `orders-scb-v${n}` }),
    objectKey: `shop/orders/v${n}.zip`,
  };
}
const dayOf = (n: number): Date => new Date(START + 60 * DAY * (n - 1));
const states = (list: BundleVersion[]): string[] => list.map((v) => `${v.version}:${v.state}`);

describe('nextVersionHistory', () => {
  it.each<[string, BundleVersion[], number | undefined, number, Date, string[], string[]]>([
    ['first version', [], 1, 3, dayOf(1), ['1:Active'], []],
    [
      'v2 supersedes v1, still valid: Deprecated',
      [version(1, 'Active')],
      2,
      3,
      dayOf(2),
      ['2:Active', '1:Deprecated'],
      [],
    ],
    [
      'a Deprecated version turns Expired at its expiresAt, keeping its Secret',
      [version(2, 'Active'), version(1, 'Deprecated')],
      undefined,
      3,
      new Date(START + 90 * DAY),
      ['2:Active', '1:Expired'],
      [],
    ],
    [
      'the limit of 2 archives the oldest superseded version and deletes its Secret',
      [version(3, 'Active'), version(2, 'Deprecated'), version(1, 'Expired')],
      4,
      2,
      dayOf(4),
      ['4:Active', '3:Deprecated', '2:Expired', '1:Archived'],
      ['orders-scb-v1'],
    ],
    [
      'revisionHistoryLimit 0 keeps no superseded version in the cluster',
      [version(1, 'Active')],
      2,
      0,
      dayOf(2),
      ['2:Active', '1:Archived'],
      ['orders-scb-v1'],
    ],
    [
      'a lowered limit archives on the next pass without a new version',
      [version(3, 'Active'), version(2, 'Deprecated'), version(1, 'Deprecated')],
      undefined,
      1,
      dayOf(3),
      ['3:Active', '2:Deprecated', '1:Archived'],
      ['orders-scb-v1'],
    ],
    [
      'an Archived entry whose Secret delete never happened is repaired',
      [version(3, 'Active'), { ...version(1, 'Archived'), secretName: 'orders-scb-v1' }],
      undefined,
      3,
      dayOf(3),
      ['3:Active', '1:Archived'],
      ['orders-scb-v1'],
    ],
    [
      'any order in, newest first out; a number listed twice appears once',
      [version(1, 'Deprecated'), version(3, 'Active'), version(2, 'Deprecated'), version(1, 'Deprecated')],
      undefined,
      3,
      dayOf(3),
      ['3:Active', '2:Deprecated', '1:Expired'],
      [],
    ],
    [
      'the Active version stays Active after expiry (it is still what is published)',
      [version(1, 'Active')],
      undefined,
      3,
      new Date(START + 100 * DAY),
      ['1:Active'],
      [],
    ],
  ])('%s', (_name, versions, issued, limit, now, expected, deleted) => {
    const next = nextVersionHistory({
      versions,
      issued: issued === undefined ? undefined : { ...version(issued, 'Deprecated') },
      revisionHistoryLimit: limit,
      now,
    });
    expect(states(next.versions)).toEqual(expected);
    expect(next.secretsToDelete).toEqual(deleted);
    for (const entry of next.versions.filter((v) => v.state === 'Archived')) {
      expect(entry.secretName).toBeUndefined();
      expect(entry.objectKey).toBe(`shop/orders/v${entry.version}.zip`);
    }
  });

  it('re-running with the version already recorded (same certificate) changes nothing', () => {
    const once = nextVersionHistory({
      versions: [version(1, 'Active')],
      issued: version(2, 'Active'),
      revisionHistoryLimit: 3,
      now: dayOf(2),
    });
    const twice = nextVersionHistory({
      versions: once.versions,
      issued: version(2, 'Active'),
      revisionHistoryLimit: 3,
      now: dayOf(2),
    });
    expect(twice).toEqual(once);
  });

  it.each<[string, number, string]>([
    ['a number already used for another certificate', 2, 'cert-other'],
    ['a number below the highest recorded', 1, 'cert-new'],
  ])('refuses %s', (_name, n, certificate) => {
    expect(() =>
      nextVersionHistory({
        versions: [version(3, 'Active'), version(2, 'Deprecated')],
        issued: { ...version(n, 'Active'), certificateSHA256: certificate },
        revisionHistoryLimit: 3,
        now: dayOf(3),
      }),
    ).toThrow(RangeError);
  });

  it('keeps at most 100 entries by dropping the oldest Archived ones', () => {
    const versions = [
      version(120, 'Active'),
      ...Array.from({ length: 119 }, (_, i) => version(119 - i, 'Archived')),
    ];
    const next = nextVersionHistory({
      versions,
      issued: version(121, 'Active'),
      revisionHistoryLimit: 3,
      now: dayOf(121),
    });
    expect(next.versions).toHaveLength(MAX_VERSION_ENTRIES);
    expect(states(next.versions.slice(0, 2))).toEqual(['121:Active', '120:Deprecated']);
    expect(next.versions.at(-1)?.version).toBe(22);
    expect(next.secretsToDelete).toEqual([]);
  });
});

describe('nextVersionHistory: versions that running pods mount are retained', () => {
  const history = (mountedBy: ReadonlyMap<number, readonly string[]>) =>
    nextVersionHistory({
      versions: [version(3, 'Active'), version(2, 'Deprecated'), version(1, 'Deprecated')],
      issued: undefined,
      revisionHistoryLimit: 1,
      now: dayOf(3),
      mountedBy,
    });

  it('keeps a mounted version past the limit with its Secret, state and who mounts it', () => {
    const next = history(new Map([[1, ['StatefulSet/legacy', 'Deployment/billing']]]));
    // Day 120: version 1's certificate expired at day 90; its pods still need the Secret to restart.
    expect(states(next.versions)).toEqual(['3:Active', '2:Deprecated', '1:Expired']);
    expect(next.versions[2]).toMatchObject({
      secretName: 'orders-scb-v1',
      retainedBy: ['Deployment/billing', 'StatefulSet/legacy'],
    });
    expect(next.secretsToDelete).toEqual([]);
  });

  it('prunes it once no pod mounts it, and drops retainedBy', () => {
    const retained = history(new Map([[1, ['Deployment/billing']]])).versions;
    const next = nextVersionHistory({
      versions: retained,
      issued: undefined,
      revisionHistoryLimit: 1,
      now: dayOf(3),
      mountedBy: new Map(),
    });
    expect(states(next.versions)).toEqual(['3:Active', '2:Deprecated', '1:Archived']);
    expect(next.versions[2]?.retainedBy).toBeUndefined();
    expect(next.versions[2]?.secretName).toBeUndefined();
    expect(next.secretsToDelete).toEqual(['orders-scb-v1']);
  });

  it('a version within the limit carries no retainedBy even while mounted', () => {
    const next = history(new Map([[2, ['Deployment/billing']]]));
    expect(next.versions[1]?.retainedBy).toBeUndefined();
    expect(next.secretsToDelete).toEqual(['orders-scb-v1']);
  });

  it('a valid superseded version stays Deprecated while retained, with revisionHistoryLimit 0', () => {
    const next = nextVersionHistory({
      versions: [version(2, 'Active'), version(1, 'Deprecated')],
      issued: undefined,
      revisionHistoryLimit: 0,
      now: dayOf(2),
      mountedBy: new Map([[1, ['Pod/debug']]]),
    });
    expect(states(next.versions)).toEqual(['2:Active', '1:Deprecated']);
    expect(next.versions[1]?.retainedBy).toEqual(['Pod/debug']);
    expect(next.secretsToDelete).toEqual([]);
  });

  it('lists at most 10 workloads', () => {
    const many = Array.from({ length: 14 }, (_, i) => `Deployment/app-${String(i).padStart(2, '0')}`);
    const next = history(new Map([[1, many]]));
    expect(next.versions[2]?.retainedBy).toHaveLength(10);
  });
});
