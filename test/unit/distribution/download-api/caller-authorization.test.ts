import type {
  V1SubjectAccessReviewSpec,
  V1SubjectAccessReviewStatus,
  V1TokenReviewStatus,
} from '@kubernetes/client-node';
import {
  CallerAuthorization,
  type AccessReviewer,
} from '../../../../src/distribution/download-api/caller-authorization.js';
import { ManualTime } from '../../kube/manual-time.js';

/** An apiserver twin: knows tokens, and which users may download which bundles. */
class InMemoryReviewer implements AccessReviewer {
  tokenReviews = 0;
  accessReviews: V1SubjectAccessReviewSpec[] = [];
  constructor(
    private readonly users: Record<string, { username: string; groups: string[] }>,
    private readonly allowed: Set<string>,
  ) {}

  async reviewToken(token: string): Promise<V1TokenReviewStatus> {
    this.tokenReviews += 1;
    const user = this.users[token];
    return user
      ? { authenticated: true, user: { ...user, uid: `uid-${user.username}` } }
      : { authenticated: false };
  }

  async reviewAccess(spec: V1SubjectAccessReviewSpec): Promise<V1SubjectAccessReviewStatus> {
    this.accessReviews.push(spec);
    const attributes = spec.resourceAttributes;
    return { allowed: this.allowed.has(`${spec.user}:${attributes?.namespace}/${attributes?.name}`) };
  }
}

const orders = { namespace: 'shop', name: 'orders' };

function setup(ttlMs?: number) {
  const time = new ManualTime();
  const reviewer = new InMemoryReviewer(
    { 'token-a': { username: 'alice', groups: ['devs'] }, 'token-b': { username: 'bob', groups: [] } },
    new Set(['alice:shop/orders']),
  );
  return { time, reviewer, callers: new CallerAuthorization(reviewer, time, ttlMs) };
}

test('an allowed caller is asked for get on secureconnectionbundles/download of exactly that bundle', async () => {
  const { reviewer, callers } = setup();
  expect(await callers.authorize('token-a', orders)).toEqual({ outcome: 'allowed', username: 'alice' });
  expect(reviewer.accessReviews).toEqual([
    {
      user: 'alice',
      uid: 'uid-alice',
      groups: ['devs'],
      resourceAttributes: {
        verb: 'get',
        group: 'scb-operator.io',
        resource: 'secureconnectionbundles',
        subresource: 'download',
        namespace: 'shop',
        name: 'orders',
      },
    },
  ]);
});

test('an unknown token is unauthenticated; a known user without the grant is forbidden with the fix', async () => {
  const { callers } = setup();
  expect(await callers.authorize('token-x', orders)).toMatchObject({ outcome: 'unauthenticated' });
  const bob = await callers.authorize('token-b', orders);
  expect(bob).toMatchObject({ outcome: 'forbidden', username: 'bob' });
  expect(bob.outcome === 'forbidden' && bob.reason).toContain(
    'bob may not get secureconnectionbundles/download "orders" in namespace "shop": grant verb get',
  );
  expect(await callers.authorize('token-a', { namespace: 'shop', name: 'payments' })).toMatchObject({
    outcome: 'forbidden',
  });
});

test('answers are reused for up to 10 seconds, then asked again', async () => {
  const { time, reviewer, callers } = setup();
  await callers.authorize('token-a', orders);
  await time.advance(9_999);
  await callers.authorize('token-a', orders);
  expect(reviewer.tokenReviews).toBe(1);
  expect(reviewer.accessReviews).toHaveLength(1);
  await time.advance(1);
  await callers.authorize('token-a', orders);
  expect(reviewer.tokenReviews).toBe(2);
  expect(reviewer.accessReviews).toHaveLength(2);
});

test('a longer configured lifetime is capped at 10 seconds; 0 turns the cache off', async () => {
  const capped = setup(60_000);
  await capped.callers.authorize('token-a', orders);
  await capped.time.advance(10_000);
  await capped.callers.authorize('token-a', orders);
  expect(capped.reviewer.tokenReviews).toBe(2);

  const off = setup(0);
  await off.callers.authorize('token-a', orders);
  await off.callers.authorize('token-a', orders);
  expect(off.reviewer.tokenReviews).toBe(2);
  expect(off.reviewer.accessReviews).toHaveLength(2);
});

test('an access decision is cached per bundle, not per user alone', async () => {
  const { reviewer, callers } = setup();
  await callers.authorize('token-a', orders);
  await callers.authorize('token-a', { namespace: 'shop', name: 'payments' });
  expect(reviewer.tokenReviews).toBe(1);
  expect(reviewer.accessReviews.map((spec) => spec.resourceAttributes?.name)).toEqual(['orders', 'payments']);
});

test('an apiserver failure propagates and is not cached', async () => {
  const time = new ManualTime();
  let failing = true;
  const reviewer: AccessReviewer = {
    reviewToken: async () => {
      if (failing) throw new Error('connect ECONNREFUSED');
      return { authenticated: true, user: { username: 'alice' } };
    },
    reviewAccess: async () => ({ allowed: true }),
  };
  const callers = new CallerAuthorization(reviewer, time);
  await expect(callers.authorize('token-a', orders)).rejects.toThrow('ECONNREFUSED');
  failing = false;
  expect(await callers.authorize('token-a', orders)).toEqual({ outcome: 'allowed', username: 'alice' });
});

test('concurrent first requests with one token share a single TokenReview', async () => {
  const { reviewer, callers } = setup();
  const decisions = await Promise.all([1, 2, 3, 4].map(() => callers.authorize('token-a', orders)));
  expect(decisions.every((decision) => decision.outcome === 'allowed')).toBe(true);
  expect(reviewer.tokenReviews).toBe(1);
});
