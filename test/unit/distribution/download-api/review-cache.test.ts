import { ReviewCache } from '../../../../src/distribution/download-api/review-cache.js';
import { UsedLinks } from '../../../../src/distribution/download-api/used-links.js';
import { ManualTime } from '../../kube/manual-time.js';

test('the review cache holds at most maxEntries, dropping the oldest first', () => {
  const cache = new ReviewCache<number>(new ManualTime(), 10_000, 3);
  for (const [index, key] of ['a', 'b', 'c', 'd'].entries()) cache.set(key, index);
  expect(cache.size).toBe(3);
  expect(cache.get('a')).toBeUndefined();
  expect([cache.get('b'), cache.get('c'), cache.get('d')]).toEqual([1, 2, 3]);
});

test('a single-use link id is claimed once, and the memory refuses rather than forgets when full', async () => {
  const time = new ManualTime();
  const used = new UsedLinks(time, 2);
  const soon = new Date(time.now().getTime() + 60_000);
  expect(used.claim('one', soon)).toBe('claimed');
  expect(used.claim('one', soon)).toBe('spent');
  expect(used.claim('two', soon)).toBe('claimed');
  expect(used.claim('three', soon)).toBe('full');
  // Once the first links have expired (their signature check refuses them anyway), room returns.
  await time.advance(60_000);
  expect(used.claim('three', new Date(time.now().getTime() + 60_000))).toBe('claimed');
});
