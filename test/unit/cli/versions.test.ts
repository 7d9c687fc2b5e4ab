import type { SecureConnectionBundle } from '../../../src/api/v1alpha1/index.js';
import { parseVersionOption } from '../../../src/cli/cluster-access.js';
import { versionsTable } from '../../../src/cli/versions.js';

const bundle = (status: SecureConnectionBundle['status']): SecureConnectionBundle => ({
  apiVersion: 'scb-operator.io/v1alpha1',
  kind: 'SecureConnectionBundle',
  metadata: { name: 'orders', namespace: 'shop' },
  spec: { clusterRef: { name: 'main' } },
  status,
});

test('versions are listed newest first in aligned columns, the current one marked', () => {
  const table = versionsTable(
    bundle({
      currentVersion: 10,
      versions: [
        {
          version: 9,
          state: 'Deprecated',
          createdAt: '2026-01-01T00:00:00Z',
          expiresAt: '2026-04-01T00:00:00Z',
          bundleSHA256: 'b'.repeat(64),
          size: 9000,
          secretName: 'orders-scb-v9',
        },
        {
          version: 10,
          state: 'Active',
          createdAt: '2026-02-01T00:00:00Z',
          expiresAt: '2026-05-01T00:00:00Z',
          bundleSHA256: 'a'.repeat(64),
          size: 10_500,
          secretName: 'orders-scb-v10',
        },
        { version: 3, state: 'Archived', objectKey: 'prod/shop/orders/v3/secure-connect-orders.zip' },
      ],
    }),
  );
  expect(table).toBe(
    [
      'VERSION  STATE       CREATED               EXPIRES               SHA256        SIZE   SECRET',
      '10*      Active      2026-02-01T00:00:00Z  2026-05-01T00:00:00Z  aaaaaaaaaaaa  10500  orders-scb-v10',
      '9        Deprecated  2026-01-01T00:00:00Z  2026-04-01T00:00:00Z  bbbbbbbbbbbb  9000   orders-scb-v9',
      '3        Archived    -                     -                     -             -      prod/shop/orders/v3/secure-connect-orders.zip',
      '',
    ].join('\n'),
  );
});

test('a bundle without versions says so', () => {
  expect(versionsTable(bundle(undefined))).toBe('SecureConnectionBundle shop/orders has no versions yet\n');
});

test('--version takes a positive whole number and names itself otherwise', () => {
  expect(parseVersionOption(undefined)).toBeUndefined();
  expect(parseVersionOption('12')).toBe(12);
  for (const bad of ['0', '-1', '1.5', 'latest', '01']) {
    expect(() => parseVersionOption(bad)).toThrow(
      expect.objectContaining({ reason: 'InvalidVersion', field: '--version' }),
    );
  }
});
