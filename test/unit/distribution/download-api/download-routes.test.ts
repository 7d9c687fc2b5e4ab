import {
  downloadPath,
  linksPath,
  parseDownloadRoute,
} from '../../../../src/distribution/download-api/download-routes.js';

const orders = { namespace: 'shop', name: 'orders.v2-api' };

test.each([
  ['/v1/namespaces/shop/bundles/orders.v2-api', { kind: 'download', bundle: orders, version: undefined }],
  [
    '/v1/namespaces/shop/bundles/orders.v2-api/versions/12',
    { kind: 'download', bundle: orders, version: 12 },
  ],
  ['/v1/namespaces/shop/bundles/orders.v2-api/links', { kind: 'links', bundle: orders }],
])('%s is routed', (path, route) => {
  expect(parseDownloadRoute(path)).toEqual(route);
});

test.each([
  '/v1/namespaces/shop/bundles',
  '/v1/namespaces/shop/bundles/orders/versions/0',
  '/v1/namespaces/shop/bundles/orders/versions/x',
  '/v1/namespaces/Shop/bundles/orders',
  '/v1/namespaces/shop/bundles/../secrets',
  '/v1/namespaces/shop/bundles/orders/',
  '/v2/namespaces/shop/bundles/orders',
])('%s is not a route', (path) => {
  expect(parseDownloadRoute(path)).toBeUndefined();
});

test('paths built for links and clients parse back to the same route', () => {
  expect(parseDownloadRoute(downloadPath(orders, 3))).toEqual({
    kind: 'download',
    bundle: orders,
    version: 3,
  });
  expect(parseDownloadRoute(downloadPath(orders, undefined))).toEqual({
    kind: 'download',
    bundle: orders,
    version: undefined,
  });
  expect(parseDownloadRoute(linksPath(orders))).toEqual({ kind: 'links', bundle: orders });
});
