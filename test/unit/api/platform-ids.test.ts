// The platforms a user may list (the CRD enum) must be exactly the platforms the bundle builder
// knows, or a valid spec would ask for a folder nobody writes.
import { PLATFORM_IDS as CRD_PLATFORM_IDS } from '../../../src/api/v1alpha1/index.js';
import { PLATFORM_IDS as BUNDLE_PLATFORM_IDS } from '../../../src/bundle/platforms/platform.js';

describe('platform ids', () => {
  it('are the same in the CRD and in the bundle builder', () => {
    expect([...CRD_PLATFORM_IDS].sort()).toEqual([...BUNDLE_PLATFORM_IDS].sort());
  });
});
