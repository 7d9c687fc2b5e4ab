/**
 * The gateway's flags. Every file is a mount (Secret or ConfigMap) the chart or the test
 * provides; addresses that clients use are DNS names with ports.
 */
import { parseArgs } from 'node:util';
import { InvalidInputError } from '../errors.js';
import { parseDuration } from '../time/duration.js';
import type { SniProxyLimits } from './sni-proxy.js';
import type { TlsFiles } from './tls-files.js';

export interface GatewayConfig {
  bindAddress: string;
  metadataPort: number;
  sniPort: number;
  healthPort: number;
  /** `name:port` as clients dial it; the metadata service advertises it. */
  sniProxyAddress: string;
  /** The DNS name node certificates must hold (the host part of sniProxyAddress). */
  nodeServerName: string;
  localDatacenter: string;
  contactPoints: string[];
  cqlPort: number;
  /** The metadata service: its serving certificate, key, and the client-CA trust bundle. */
  metadataTls: TlsFiles;
  /** The control connection: the gateway's client certificate, key, and the nodes' CA. */
  controlTls: TlsFiles;
  limits: SniProxyLimits;
  drainTimeoutMs: number;
  reloadIntervalMs: number;
  logLevel: string;
}

const HOST_PORT = /^([A-Za-z0-9.-]{1,253}):(\d{1,5})$/;

export function readGatewayConfig(argv: string[]): GatewayConfig {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      bind: { type: 'string', default: '0.0.0.0' },
      'metadata-port': { type: 'string', default: '29080' },
      'sni-port': { type: 'string', default: '29042' },
      'health-port': { type: 'string', default: '8081' },
      'sni-proxy-address': { type: 'string' },
      'local-dc': { type: 'string' },
      'contact-points': { type: 'string' },
      'cql-port': { type: 'string', default: '9042' },
      'serving-cert': { type: 'string' },
      'serving-key': { type: 'string' },
      'client-ca': { type: 'string' },
      'gateway-cert': { type: 'string' },
      'gateway-key': { type: 'string' },
      'server-ca': { type: 'string' },
      'max-connections': { type: 'string', default: '10000' },
      'max-client-hello-bytes': { type: 'string', default: '16384' },
      'hello-timeout': { type: 'string', default: '10s' },
      'node-connect-timeout': { type: 'string', default: '5s' },
      'drain-timeout': { type: 'string', default: '20s' },
      'reload-interval': { type: 'string', default: '10s' },
      'log-level': { type: 'string', default: 'info' },
    },
  });
  const required = (name: keyof typeof values): string => {
    const value = values[name];
    if (typeof value !== 'string' || value === '') {
      throw new InvalidInputError('MissingFlag', `--${name} is required`, name);
    }
    return value;
  };
  const sniProxyAddress = required('sni-proxy-address');
  const match = HOST_PORT.exec(sniProxyAddress);
  if (!match || /^[\d.]+$/.test(match[1]!)) {
    throw new InvalidInputError(
      'InvalidSniProxyAddress',
      '--sni-proxy-address must be a DNS name with a port (name:port): drivers check node certificates against the name',
      'sni-proxy-address',
    );
  }
  return {
    bindAddress: required('bind'),
    metadataPort: port(required('metadata-port'), 'metadata-port'),
    sniPort: port(required('sni-port'), 'sni-port'),
    healthPort: port(required('health-port'), 'health-port'),
    sniProxyAddress,
    nodeServerName: match[1]!,
    localDatacenter: required('local-dc'),
    contactPoints: required('contact-points')
      .split(',')
      .map((point) => point.trim())
      .filter((point) => point !== ''),
    cqlPort: port(required('cql-port'), 'cql-port'),
    metadataTls: {
      cert: required('serving-cert'),
      key: required('serving-key'),
      trust: required('client-ca'),
    },
    controlTls: {
      cert: required('gateway-cert'),
      key: required('gateway-key'),
      trust: required('server-ca'),
    },
    limits: {
      maxConnections: positive(required('max-connections'), 'max-connections'),
      maxClientHelloBytes: positive(required('max-client-hello-bytes'), 'max-client-hello-bytes'),
      helloTimeoutMs: parseDuration(required('hello-timeout'), 'hello-timeout') * 1000,
      nodeConnectTimeoutMs: parseDuration(required('node-connect-timeout'), 'node-connect-timeout') * 1000,
    },
    drainTimeoutMs: parseDuration(required('drain-timeout'), 'drain-timeout') * 1000,
    reloadIntervalMs: parseDuration(required('reload-interval'), 'reload-interval') * 1000,
    logLevel: required('log-level'),
  };
}

function positive(value: string, field: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 1) {
    throw new InvalidInputError('InvalidFlag', `--${field} must be a positive integer`, field);
  }
  return number;
}

function port(value: string, field: string): number {
  const number = Number(value);
  // 0 lets the system pick (tests).
  if (!Number.isSafeInteger(number) || number < 0 || number > 65_535) {
    throw new InvalidInputError('InvalidFlag', `--${field} must be a port number`, field);
  }
  return number;
}
