import {
  decideObjectStoreCleanup,
  type CleanupInputs,
  type CleanupStep,
} from '../../../../src/controllers/bundle/object-store-cleanup.js';

describe('decideObjectStoreCleanup', () => {
  it.each<[string, CleanupInputs, CleanupStep]>([
    // A live bundle: the finalizer is there exactly while deleting would delete objects.
    [
      'live, store with Delete, no finalizer: add it before the first upload',
      { deleting: false, hasFinalizer: false, retainPolicy: 'Delete' },
      'AddFinalizer',
    ],
    [
      'live, store with Delete, finalizer on: nothing',
      { deleting: false, hasFinalizer: true, retainPolicy: 'Delete' },
      'None',
    ],
    [
      'live, store with Retain, finalizer on: remove it, objects stay',
      { deleting: false, hasFinalizer: true, retainPolicy: 'Retain' },
      'RemoveFinalizer',
    ],
    [
      'live, store with Retain, no finalizer: nothing',
      { deleting: false, hasFinalizer: false, retainPolicy: 'Retain' },
      'None',
    ],
    [
      'live, store removed from the spec, finalizer on: remove it, objects stay',
      { deleting: false, hasFinalizer: true, retainPolicy: undefined },
      'RemoveFinalizer',
    ],
    [
      'live, no store, no finalizer: nothing',
      { deleting: false, hasFinalizer: false, retainPolicy: undefined },
      'None',
    ],
    // A deleted bundle: objects go only under Delete, and only while our finalizer holds it.
    [
      'deleted, Delete, finalizer on: delete the objects',
      { deleting: true, hasFinalizer: true, retainPolicy: 'Delete' },
      'DeleteObjects',
    ],
    [
      'deleted, Retain, finalizer on (set while stuck): let it go, objects stay',
      { deleting: true, hasFinalizer: true, retainPolicy: 'Retain' },
      'RemoveFinalizer',
    ],
    [
      'deleted, store removed, finalizer on: let it go, objects stay',
      { deleting: true, hasFinalizer: true, retainPolicy: undefined },
      'RemoveFinalizer',
    ],
    [
      'deleted, Delete, finalizer already gone: nothing (never re-added)',
      { deleting: true, hasFinalizer: false, retainPolicy: 'Delete' },
      'None',
    ],
    [
      'deleted, Retain, no finalizer: nothing',
      { deleting: true, hasFinalizer: false, retainPolicy: 'Retain' },
      'None',
    ],
    [
      'deleted, no store, no finalizer: nothing',
      { deleting: true, hasFinalizer: false, retainPolicy: undefined },
      'None',
    ],
  ])('%s', (_name, inputs, step) => {
    expect(decideObjectStoreCleanup(inputs)).toBe(step);
  });
});
