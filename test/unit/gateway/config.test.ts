import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readGatewayConfig } from '../../../src/gateway/config.js';

const required = [
  '--sni-proxy-address=cql.example.test:29042',
  '--local-dc=dc1',
  '--contact-points=10.0.0.1, 10.0.0.2',
  '--serving-cert=/m/tls.crt',
  '--serving-key=/m/tls.key',
  '--client-ca=/ca/ca.crt',
  '--gateway-cert=/g/tls.crt',
  '--gateway-key=/g/tls.key',
  '--server-ca=/s/ca.crt',
];

describe('readGatewayConfig', () => {
  it('reads the proxy name node certificates must hold from the advertised address', () => {
    const config = readGatewayConfig(required);
    expect(config.nodeServerName).toBe('cql.example.test');
    expect(config.contactPoints).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(config.limits).toEqual({
      maxConnections: 10_000,
      maxClientHelloBytes: 16_384,
      helloTimeoutMs: 10_000,
      nodeConnectTimeoutMs: 5_000,
    });
  });

  it('refuses an SNI proxy address without a port or with an IP (drivers need name:port)', () => {
    const without = () => required.filter((arg) => !arg.startsWith('--sni-proxy-address'));
    for (const address of ['cql.example.test', '10.0.0.1:29042', 'cql.example.test:']) {
      expect(() => readGatewayConfig([...without(), `--sni-proxy-address=${address}`])).toThrow(
        /DNS name with a port/,
      );
    }
  });

  it('names a missing flag', () => {
    expect(() => readGatewayConfig(required.filter((arg) => !arg.startsWith('--client-ca')))).toThrow(
      '--client-ca is required',
    );
  });
});

describe('cassandra-driver stays out of the operator', () => {
  it("is imported by src/gateway/topology.ts alone, and dynamically (the bundle's Node.js example only names it)", () => {
    const root = path.resolve('src');
    const importers: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (
          file.endsWith('.ts') &&
          /(from |import\()'cassandra-driver'/.test(readFileSync(file, 'utf8'))
        ) {
          importers.push(path.relative(root, file));
        }
      }
    };
    walk(root);
    expect(importers).toEqual(['gateway/topology.ts']);
    expect(readFileSync(path.join(root, 'gateway/topology.ts'), 'utf8')).not.toMatch(
      /^import .*'cassandra-driver'/m,
    );
  });
});
