import { BUNDLE_FILES, type PlatformContext } from '../../../src/bundle/platforms/platform.js';

/**
 * Contexts whose every value is distinctive (no driver default such as 9042 or datacenter1), so a
 * value that shows up in a generated file can only have come from the context. Passwords carry the
 * characters each config format must escape.
 */
export function contextWith(overrides: Partial<PlatformContext> = {}): PlatformContext {
  return {
    bundleName: 'orders-app',
    zipFileName: 'secure-connect-orders-app.zip',
    cluster: {
      contactPoints: ['cass-0.db.internal', '10.20.30.41'],
      port: 19142,
      localDatacenter: 'eu-west-7',
      datacenters: [{ name: 'us-east-3', contactPoints: ['cass-us-0.db.internal'] }],
      keyspace: 'orders_ks',
      tlsServerName: 'cassandra.db.internal',
      hostnameVerification: true,
    },
    identity: { commonName: 'orders-app', spiffeId: 'spiffe://db.internal/ns/shop/sa/orders' },
    keyAlgorithm: 'ECDSA',
    files: BUNDLE_FILES,
    passwords: {
      keyStore: 'Ks-p@ss "w\\rd" ${HOME} #1=:!',
      trustStore: 'Ts-sec ret:=#2',
      pfxCert: 'Pfx-7Qz9e3',
    },
    ...overrides,
  };
}

export const CREDENTIALS = { username: 'orders_role', password: 'Cred-pa$$ ${x} "q" \\ #=:' };

/** The minimal shape: one contact point, no keyspace, no server name, verification off. */
export function plainContext(): PlatformContext {
  const ctx = contextWith();
  return {
    ...ctx,
    cluster: {
      contactPoints: ['cass-0.db.internal'],
      port: 19142,
      localDatacenter: 'eu-west-7',
      datacenters: [],
      hostnameVerification: false,
    },
  };
}
