import { shouldMoveLatestTag, tagsToRemove } from '../../../../src/distribution/oci/tag-policy.js';

describe('tagsToRemove', () => {
  it('keeps the newest keepTags versions and removes the rest, oldest first', () => {
    expect(tagsToRemove(['v1', 'v2', 'v3', 'v4', 'latest'], 2, 4)).toEqual({
      remove: ['v1', 'v2'],
      keep: ['v4', 'v3'],
    });
  });

  it('never touches latest or tags that do not name a version', () => {
    const { remove } = tagsToRemove(['latest', 'stable', 'v1-old', 'sha256-abc', 'v1', 'v9'], 1, 9);
    expect(remove).toEqual(['v1']);
  });

  it('keeps the version latest points at even outside the newest', () => {
    expect(tagsToRemove(['v1', 'v2', 'v3'], 1, 1)).toEqual({ remove: ['v2'], keep: ['v3', 'v1'] });
  });

  it('orders by number, not text', () => {
    expect(tagsToRemove(['v10', 'v9', 'v2'], 2, 10).remove).toEqual(['v2']);
  });

  it('keeps at least one', () => {
    expect(tagsToRemove(['v1', 'v2'], 0, 2).keep).toEqual(['v2']);
  });
});

describe('shouldMoveLatestTag', () => {
  it('moves forward only', () => {
    expect(shouldMoveLatestTag(undefined, 1)).toBe(true);
    expect(shouldMoveLatestTag(1, 2)).toBe(true);
    expect(shouldMoveLatestTag(2, 2)).toBe(false);
    expect(shouldMoveLatestTag(3, 2)).toBe(false);
  });
});
