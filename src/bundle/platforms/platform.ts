/**
 * The contract between the bundle builder and the per-platform modules. A platform turns the
 * bundle's connection settings into its own configuration files and example program; it never
 * touches key material beyond the passwords config.json already carries.
 */
import { PLATFORM_IDS, type PlatformId } from '../../api/v1alpha1/generated.js';

// The CRD's `platforms` enum is the one list of platform ids; the registry test holds every id to
// a module under this folder.
export { PLATFORM_IDS, type PlatformId };

export function isPlatformId(value: string): value is PlatformId {
  return (PLATFORM_IDS as readonly string[]).includes(value);
}

/** The flat Astra file names at the bundle root; drivers' loaders look them up by exactly these names. */
export interface BundleFileNames {
  caCert: 'ca.crt';
  cert: 'cert';
  key: 'key';
  pfx: 'cert.pfx';
  identityKeyStore: 'identity.jks';
  trustStore: 'trustStore.jks';
  config: 'config.json';
  cqlshrc: 'cqlshrc';
}

export const BUNDLE_FILES: BundleFileNames = {
  caCert: 'ca.crt',
  cert: 'cert',
  key: 'key',
  pfx: 'cert.pfx',
  identityKeyStore: 'identity.jks',
  trustStore: 'trustStore.jks',
  config: 'config.json',
  cqlshrc: 'cqlshrc',
};

export interface ClusterConnection {
  contactPoints: string[];
  port: number;
  localDatacenter: string;
  /** Extra datacenters only; the local datacenter's contact points are `contactPoints`. */
  datacenters: { name: string; contactPoints: string[] }[];
  keyspace?: string;
  tlsServerName?: string;
  hostnameVerification: boolean;
  /**
   * The cloud-mode gateway's metadata service (spec.gateway.metadataAddress): when set,
   * config.json's host/port name it, so drivers' secure-connect-bundle mode works; every other
   * setting keeps connecting directly.
   */
  metadataService?: { host: string; port: number };
}

export interface KeystorePasswords {
  keyStore: string;
  trustStore: string;
  pfxCert: string;
}

/** CQL username and password, from the Secret spec.credentials.secretRef names. */
export interface CqlCredentials {
  username: string;
  password: string;
}

/** Everything a platform may put in its configuration. All file paths are relative to the bundle root. */
export interface PlatformContext {
  /** metadata.name of the bundle (or the CLI's --name). */
  bundleName: string;
  /** secure-connect-<name>.zip */
  zipFileName: string;
  cluster: ClusterConnection;
  identity: { commonName: string; spiffeId?: string };
  keyAlgorithm: 'ECDSA' | 'RSA';
  files: BundleFileNames;
  passwords: KeystorePasswords;
  credentials?: CqlCredentials;
}

/** One file of a platform; `path` is relative to `platforms/<id>/`. */
export interface PlatformFile {
  path: string;
  content: string;
}

/**
 * One module per platform: `src/bundle/platforms/<id>.ts` exports `platform: Platform` with that
 * id; `./index.ts` registers them in PLATFORM_IDS order.
 */
export interface Platform {
  id: PlatformId;
  /** Human title, e.g. "Java driver 4.x". */
  title: string;
  /** Pure and deterministic: the same context gives the same files. */
  files(ctx: PlatformContext): PlatformFile[];
  /** Markdown section for the bundle README: what the files are, how to run the example. */
  readme(ctx: PlatformContext): string;
}
