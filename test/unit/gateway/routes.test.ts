import { RouteTable } from '../../../src/gateway/routes.js';
import { splitHostAddress } from '../../../src/gateway/topology.js';

const A = '0f4a3c1e-6a52-4d0e-9a7b-1c2d3e4f5a6b';

describe('RouteTable', () => {
  const table = new RouteTable([
    { hostId: A, address: '10.0.0.1', port: 9142, datacenter: 'dc1', up: false },
  ]);

  it('routes a known host_id even while the node is down (the node refuses, as it would directly)', () => {
    expect(table.route(A)).toMatchObject({ address: '10.0.0.1', port: 9142 });
  });

  it('routes nothing else: other UUIDs, upper case, names, nothing', () => {
    for (const name of [
      undefined,
      '',
      A.toUpperCase(),
      `${A}.example`,
      'localhost',
      '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    ]) {
      expect(table.route(name)).toBeUndefined();
    }
  });
});

describe('splitHostAddress', () => {
  it("splits the driver's ip:port and [ip6]:port", () => {
    expect(splitHostAddress('127.0.0.2:9142')).toEqual({ address: '127.0.0.2', port: 9142 });
    expect(splitHostAddress('[::1]:9142')).toEqual({ address: '::1', port: 9142 });
  });
});
