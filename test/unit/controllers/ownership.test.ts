import type { KubernetesObject, V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import {
  MANAGED_BY,
  MANAGED_BY_LABEL,
  OWNED_SELECTOR,
  ROLE_LABEL,
  controllerOf,
  controllerReference,
  isControlledBy,
  ownedLabels,
  roleOf,
  type OwnedRole,
} from '../../../src/controllers/ownership.js';

const OURS = 'scb-operator.io/v1alpha1';
const ref = (apiVersion: string, uid: string, controller: boolean | undefined): V1OwnerReference => ({
  apiVersion,
  kind: 'Thing',
  name: uid,
  uid,
  ...(controller === undefined ? {} : { controller }),
});

describe('ownedLabels', () => {
  it('adds ours to the user labels, ours winning a clash and unset values dropped', () => {
    expect(
      ownedLabels('published-bundle', {
        team: 'payments',
        [MANAGED_BY_LABEL]: 'helm',
        [ROLE_LABEL]: 'signing-key',
        unset: undefined,
      }),
    ).toEqual({ team: 'payments', [MANAGED_BY_LABEL]: MANAGED_BY, [ROLE_LABEL]: 'published-bundle' });
  });

  it('matches the label selector the informers watch with', () => {
    const [key, value] = OWNED_SELECTOR.split('=');
    expect(ownedLabels('trust-bundle')[key ?? '']).toBe(value);
  });

  it.each<OwnedRole>([
    'published-bundle',
    'bundle-version',
    'managed-client-ca',
    'trust-bundle',
    'signing-key',
  ])('roleOf reads back role %s', (role) => {
    expect(roleOf({ labels: ownedLabels(role) })).toBe(role);
  });

  it.each<[string, V1ObjectMeta | undefined]>([
    ['an unknown role', { labels: { [ROLE_LABEL]: 'admin' } }],
    ['no role label', { labels: { [MANAGED_BY_LABEL]: MANAGED_BY } }],
    ['no labels', {}],
    ['no metadata', undefined],
  ])('roleOf is undefined for %s', (_name, metadata) => {
    expect(roleOf(metadata)).toBeUndefined();
  });
});

describe('controllerReference', () => {
  it('makes a blocking controller reference in our API group', () => {
    const owner = { kind: 'SecureConnectionBundle', metadata: { name: 'orders', uid: 'u-1' } };
    expect(controllerReference(owner)).toEqual({
      apiVersion: OURS,
      kind: 'SecureConnectionBundle',
      name: 'orders',
      uid: 'u-1',
      controller: true,
      blockOwnerDeletion: true,
    });
  });
});

describe('controllerOf', () => {
  it.each<[string, V1OwnerReference[] | undefined, string | undefined]>([
    ['our controller', [ref(OURS, 'ours', true)], 'ours'],
    [
      'ours among others',
      [ref('apps/v1', 'rs', true), ref(OURS, 'plain-owner', false), ref(OURS, 'ours', true)],
      'ours',
    ],
    ['another group controls it', [ref('cert-manager.io/v1', 'cm', true)], undefined],
    [
      'ours owns it but does not control it',
      [ref(OURS, 'ours', false), ref(OURS, 'x', undefined)],
      undefined,
    ],
    ['no owners', [], undefined],
    ['no ownerReferences', undefined, undefined],
  ])('%s', (_name, ownerReferences, uid) => {
    const metadata = ownerReferences ? { ownerReferences } : {};
    expect(controllerOf(metadata)?.uid).toBe(uid);
  });
});

describe('isControlledBy', () => {
  const owned = (refs: V1OwnerReference[]): KubernetesObject => ({ metadata: { ownerReferences: refs } });
  const owner = (uid?: string): KubernetesObject => ({
    metadata: { name: 'orders', ...(uid ? { uid } : {}) },
  });

  it.each<[string, KubernetesObject, KubernetesObject, boolean]>([
    ['our controller with the same uid', owned([ref(OURS, 'u-1', true)]), owner('u-1'), true],
    // A bundle deleted and recreated under the same name has a new uid: the old Secret is not its own.
    ['same name, other uid', owned([ref(OURS, 'u-old', true)]), owner('u-1'), false],
    ['same uid from another group', owned([ref('apps/v1', 'u-1', true)]), owner('u-1'), false],
    ['owner without a uid', owned([ref(OURS, '', true)]), owner(), false],
  ])('%s', (_name, object, by, expected) => {
    expect(isControlledBy(object, by)).toBe(expected);
  });
});
