import { mergeDownloads, type ServedDownload } from '../../../../src/distribution/usage/download-records.js';

const served = (
  version: number,
  second: number,
  identity = 'system:serviceaccount:shop:ci',
): ServedDownload => ({
  namespace: 'shop',
  name: 'orders-app',
  version,
  identity,
  via: 'Token',
  time: `2026-03-01T00:00:${String(second).padStart(2, '0')}Z`,
});

describe('mergeDownloads', () => {
  it('counts every download and keeps the newest 10 per version, newest first', () => {
    const first = mergeDownloads(
      [],
      Array.from({ length: 8 }, (_, i) => served(3, i)),
      new Set([3]),
    );
    const next = mergeDownloads(
      first,
      Array.from({ length: 5 }, (_, i) => served(3, 20 + i)),
      new Set([3]),
    );
    expect(next).toHaveLength(1);
    expect(next[0]?.count).toBe(13);
    expect(next[0]?.recent?.map((r) => r.time.slice(-3, -1))).toEqual([
      '24',
      '23',
      '22',
      '21',
      '20',
      '07',
      '06',
      '05',
      '04',
      '03',
    ]);
  });

  it('keeps versions apart, newest version first, and drops versions no longer listed', () => {
    const recorded = [{ version: 1, count: 4, recent: [] }];
    const next = mergeDownloads(recorded, [served(2, 1), served(3, 2, 'alice')], new Set([2, 3]));
    expect(next.map((entry) => [entry.version, entry.count, entry.recent?.[0]?.identity])).toEqual([
      [3, 1, 'alice'],
      [2, 1, 'system:serviceaccount:shop:ci'],
    ]);
  });

  it('records a signed link with its id, and cuts an over-long identity instead of failing', () => {
    const [entry] = mergeDownloads(
      [],
      [{ ...served(1, 1, 'x'.repeat(400)), via: 'SignedLink', linkId: 'abcdefghijklmnop' }],
      new Set([1]),
    );
    expect(entry?.recent?.[0]).toEqual({
      identity: 'x'.repeat(256),
      time: '2026-03-01T00:00:01Z',
      via: 'SignedLink',
      linkId: 'abcdefghijklmnop',
    });
  });
});
