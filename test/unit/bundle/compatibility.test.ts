import { checkCompatibility, type CompatibilityVerdict } from '../../../src/bundle/compatibility.js';
import type { BundleManifest } from '../../../src/bundle/manifest.js';
import { driverVersionsFor } from '../../../src/bundle/platforms/driver-versions.js';

type Manifest = Pick<BundleManifest, 'formatVersion' | 'platforms' | 'compatibility'>;

const current: Manifest = {
  formatVersion: 2,
  platforms: ['nodejs', 'go-gocql', 'csharp'],
  compatibility: driverVersionsFor(['nodejs', 'go-gocql', 'csharp']),
};
// Written before formatVersion existed: no format, no compatibility.
const formatOne: Manifest = { platforms: ['nodejs'] };

const cases: [string, Manifest, string, string, CompatibilityVerdict][] = [
  [
    'the version the e2e tests run',
    current,
    'nodejs',
    '4.10.0',
    {
      outcome: 'usable',
      reason:
        "nodejs cassandra-driver (npm) 4.10.0 can use this bundle: scb-operator's end-to-end tests connect with exactly this version",
    },
  ],
  [
    'another version within the range',
    current,
    'nodejs',
    '4.12.0',
    {
      outcome: 'usable',
      reason:
        'nodejs cassandra-driver (npm) 4.12.0 can use this bundle: it is within >=4.0.0 <5.0.0 (the end-to-end tests run 4.10.0)',
    },
  ],
  [
    'a version older than the range',
    current,
    'nodejs',
    '3.6.0',
    {
      outcome: 'unusable',
      reason:
        'nodejs cassandra-driver (npm) 3.6.0 is older than 4.0.0, the first version that reads localDataCenter from the client options',
    },
  ],
  [
    'a newer major version',
    current,
    'nodejs',
    '5.0.0',
    {
      outcome: 'unusable',
      reason:
        'nodejs cassandra-driver (npm) 5.0.0 is outside >=4.0.0 <5.0.0, the versions this configuration is written for ' +
        '(a new major version may rename the options it uses)',
    },
  ],
  [
    'a pre-release of the next major',
    current,
    'nodejs',
    '5.0.0-beta.1',
    expect.objectContaining({ outcome: 'unusable' }) as CompatibilityVerdict,
  ],
  [
    'a Go module version with its v',
    current,
    'go-gocql',
    'v2.1.2',
    expect.objectContaining({
      outcome: 'usable',
      reason: expect.stringContaining('exactly this version'),
    }) as CompatibilityVerdict,
  ],
  [
    'a platform no test runs',
    current,
    'csharp',
    '3.2.0',
    {
      outcome: 'usable',
      reason:
        'csharp CassandraCSharpDriver (NuGet) 3.2.0 can use this bundle: it is within >=3.0.0 <4.0.0 (no scb-operator test runs this platform)',
    },
  ],
  [
    'an unknown platform',
    current,
    'cobol',
    '1.0.0',
    expect.objectContaining({
      outcome: 'no-platform',
      reason: expect.stringMatching(/^unknown platform "cobol"; platforms are java-driver-4, python, nodejs/),
    }) as CompatibilityVerdict,
  ],
  [
    'a platform the bundle does not carry',
    current,
    'rust',
    '1.9.0',
    {
      outcome: 'no-platform',
      reason: 'the bundle has no configuration for rust; it has nodejs, go-gocql, csharp',
    },
  ],
  [
    'a format 1 bundle',
    formatOne,
    'nodejs',
    '4.10.0',
    {
      outcome: 'unanswerable',
      reason:
        'the bundle is format version 1 (unrecorded), which records no driver versions; issue a new version of it to have them recorded',
    },
  ],
  [
    'a format newer than this scbctl',
    { ...current, formatVersion: 3 },
    'nodejs',
    '4.10.0',
    {
      outcome: 'unanswerable',
      reason: 'the bundle is format version 3; this scbctl understands up to 2: use a newer scbctl',
    },
  ],
  [
    'a version that is not one',
    current,
    'nodejs',
    'latest',
    { outcome: 'bad-version', reason: '--driver-version "latest" is not a version such as 4.10.0' },
  ],
  [
    'a two-part version',
    current,
    'nodejs',
    '4.10',
    expect.objectContaining({ outcome: 'bad-version' }) as CompatibilityVerdict,
  ],
  [
    'a record whose range is not one',
    { ...current, compatibility: { nodejs: { driver: 'x', versions: 'soon', since: 'y', e2eTested: [] } } },
    'nodejs',
    '4.10.0',
    { outcome: 'unanswerable', reason: "the bundle's compatibility record for nodejs is unreadable" },
  ],
  [
    'a record missing the platform',
    { ...current, compatibility: {} },
    'nodejs',
    '4.10.0',
    { outcome: 'unanswerable', reason: "the bundle's compatibility record for nodejs is unreadable" },
  ],
];

describe('checkCompatibility', () => {
  it.each(cases)('%s', (_name, manifest, platform, version, verdict) => {
    expect(checkCompatibility(manifest, platform, version)).toEqual(verdict);
  });
});
