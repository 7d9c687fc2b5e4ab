// The scb-operator.io/v1alpha1 API: constants that address it, the types generated from the CRDs
// (generated.ts) and pure accessors for the defaults that depend on other fields.
export * from './generated.js';
export * from './defaults.js';
export * from './derived-fields.js';

export const API_GROUP = 'scb-operator.io';
export const API_VERSION_NAME = 'v1alpha1';
export const API_VERSION = `${API_GROUP}/${API_VERSION_NAME}` as const;

export const SECURE_CONNECTION_BUNDLE = {
  kind: 'SecureConnectionBundle',
  plural: 'secureconnectionbundles',
  shortName: 'scb',
} as const;

export const CASSANDRA_CLUSTER_REF = {
  kind: 'CassandraClusterRef',
  plural: 'cassandraclusterrefs',
  shortName: 'ccr',
} as const;
