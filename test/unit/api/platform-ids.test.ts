// The platforms a user may list (the CRD enum) must be exactly the platforms the bundle builder
// has modules for, or a valid spec would ask for a folder nobody writes.
import { PLATFORM_IDS } from '../../../src/api/v1alpha1/index.js';
import { PLATFORMS } from '../../../src/bundle/platforms/index.js';

describe('platform ids', () => {
  it('every id in the CRD enum has a platform module, in the same order, and no module is extra', () => {
    expect(PLATFORMS.map((platform) => platform.id)).toEqual([...PLATFORM_IDS]);
  });
});
