import type { BundleVersion } from '../../../../src/api/v1alpha1/index.js';
import { versionsToPush, warnsAgain } from '../../../../src/distribution/oci/oci-sync.js';

const entry = (version: number, state: BundleVersion['state'], ociDigest?: string): BundleVersion => ({
  version,
  state,
  ...(ociDigest ? { ociDigest } : {}),
});

describe('versionsToPush', () => {
  it('pushes kept versions the registry lacks, oldest first, within keepTags', () => {
    const versions = [
      entry(5, 'Active'),
      entry(4, 'Deprecated'),
      entry(3, 'Deprecated'),
      entry(2, 'Archived'),
      entry(1, 'Expired'),
    ];
    expect(versionsToPush(versions, 2, () => true)).toEqual([4, 5]);
    expect(versionsToPush(versions, 5, () => true)).toEqual([3, 4, 5]);
  });

  it('skips pushed versions and versions whose Secret is gone', () => {
    const versions = [entry(3, 'Active'), entry(2, 'Deprecated', 'sha256:x'), entry(1, 'Deprecated')];
    expect(versionsToPush(versions, 5, (version) => version !== 1)).toEqual([3]);
  });
});

describe('warnsAgain', () => {
  const condition = (status: 'True' | 'False', reason: string) => ({
    type: 'OciRepositorySynced',
    status,
    reason,
    message: '',
    lastTransitionTime: '2026-12-04T10:00:00Z',
  });

  it('warns when the registry starts failing or fails for a new reason, not on every retry', () => {
    expect(warnsAgain(undefined, { status: 'False', reason: 'OciAccessDenied' })).toBe(true);
    expect(
      warnsAgain(condition('True', 'OciRepositorySynced'), { status: 'False', reason: 'OciAccessDenied' }),
    ).toBe(true);
    expect(
      warnsAgain(condition('False', 'OciRegistryUnavailable'), {
        status: 'False',
        reason: 'OciAccessDenied',
      }),
    ).toBe(true);
    expect(
      warnsAgain(condition('False', 'OciAccessDenied'), { status: 'False', reason: 'OciAccessDenied' }),
    ).toBe(false);
    expect(
      warnsAgain(condition('False', 'OciAccessDenied'), { status: 'True', reason: 'OciRepositorySynced' }),
    ).toBe(false);
  });
});
