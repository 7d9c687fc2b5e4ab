import { Command } from 'commander';
import { isIP } from 'node:net';
import { parseOutboundPolicy, type OutboundPolicy } from '../distribution/outbound/index.js';
import { InvalidInputError } from '../errors.js';
import { LOG_LEVELS, type LogLevel } from '../observability/logger.js';

export interface OperatorConfig {
  kubeconfig: string | undefined;
  /** Undefined: all namespaces (cluster-wide install). */
  watchNamespace: string | undefined;
  /** Where the Lease and the manifest signing key live. */
  operatorNamespace: string;
  leaderElect: boolean;
  leaderElectionId: string;
  /** Unique per replica: the pod name in a cluster. */
  identity: string;
  metricsHost: string;
  metricsPort: number;
  concurrency: number;
  logLevel: LogLevel;
  signingKeySecret: string;
  /** How often cluster refs are looked at without events (their CA Secrets are not watched). */
  clusterResyncMs: number;
  /** The HTTPS download API; undefined: not served. */
  download: DownloadConfig | undefined;
  /** Where webhooks and object-store clients may connect on a tenant's behalf. */
  outbound: OutboundPolicy;
  /**
   * --gateway-resolve: `host:port` -> address the gateway probe dials instead of resolving host,
   * like curl's --resolve (the address still passes the outbound policy).
   */
  gatewayResolve: ReadonlyMap<string, string>;
  /** How often a ready gateway is probed again (GatewayReady); failures retry sooner, backing off. */
  gatewayProbeIntervalMs: number;
}

export interface DownloadConfig {
  host: string;
  port: number;
  /** PEM files of the serving certificate and key; undefined: a self-signed one is made. */
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  /** Secret (operator namespace) with the key that signs download links; created if absent. */
  linkKeySecret: string;
}

/**
 * Flags win over environment variables, which win over defaults. Every value is checked here,
 * so a bad one stops the process at start with a message naming the flag and its variable.
 */
export function readOperatorConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  hostname: string,
): OperatorConfig {
  const program = new Command('scb-operator')
    .description('Issues, publishes and rotates Cassandra Secure Connection Bundles')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
    .option('--kubeconfig <path>', 'kubeconfig file (KUBECONFIG); default in-cluster credentials')
    .option('--watch-namespace <namespace>', 'watch only this namespace (SCB_WATCH_NAMESPACE); default all')
    .option('--operator-namespace <namespace>', 'namespace of the Lease and signing key (POD_NAMESPACE)')
    .option('--leader-elect', 'elect one active replica through a Lease (SCB_LEADER_ELECT; default true)')
    .option('--no-leader-elect', 'act without leader election (a single replica only)')
    .option('--leader-election-id <name>', 'name of the Lease (default scb-operator)')
    .option(
      '--metrics-address <host:port>',
      '/metrics, /healthz, /readyz (SCB_METRICS_ADDRESS; default 0.0.0.0:8080)',
    )
    .option('--concurrency <n>', 'bundles reconciled at once (SCB_CONCURRENCY; default 4)')
    .option('--log-level <level>', 'error, warn, info or debug (SCB_LOG_LEVEL; default info)')
    .option(
      '--signing-key-secret <name>',
      'Secret with the manifest signing key (default scb-operator-signing-key)',
    )
    .option(
      '--cluster-resync <seconds>',
      'look at each cluster ref this often (SCB_CLUSTER_RESYNC_SECONDS; default 300)',
    )
    .option(
      '--download-address <host:port>',
      'serve the HTTPS download API here (SCB_DOWNLOAD_ADDRESS; default off)',
    )
    .option('--download-tls-cert <file>', 'PEM serving certificate of the download API (default self-signed)')
    .option('--download-tls-key <file>', 'PEM key of --download-tls-cert')
    .option(
      '--download-link-key-secret <name>',
      'Secret with the link-signing key (default scb-operator-download-link-key)',
    )
    .option(
      '--outbound-allow <list>',
      'CIDRs and host names webhooks and object stores may reach although internal, comma-separated (SCB_OUTBOUND_ALLOW)',
    )
    .option(
      '--gateway-resolve <list>',
      'host:port:address entries the gateway probe dials instead of resolving host, like curl --resolve, comma-separated (SCB_GATEWAY_RESOLVE)',
    )
    .option(
      '--gateway-probe-interval <seconds>',
      'probe each cluster ref gateway this often while it is ready (SCB_GATEWAY_PROBE_SECONDS; default 180)',
    )
    .option(
      '--service-cidrs <list>',
      "the cluster's Service CIDRs, refused unless allow-listed, comma-separated (SCB_SERVICE_CIDRS)",
    );
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    const message = (error as { message?: string }).message ?? String(error);
    throw new InvalidInputError('InvalidFlag', message.replace(/^error: /, ''), 'argv');
  }
  const flags = program.opts<Record<string, string | boolean | undefined>>();
  const pick = (flag: string, variable: string | undefined, fallback: string): string =>
    stringOption(flags[flag]) ?? (variable !== undefined && variable !== '' ? variable : fallback);
  const [metricsHost, metricsPort] = hostPort(
    pick('metricsAddress', env.SCB_METRICS_ADDRESS, '0.0.0.0:8080'),
    '--metrics-address (SCB_METRICS_ADDRESS)',
  );
  const downloadAddress = pick('downloadAddress', env.SCB_DOWNLOAD_ADDRESS, '');
  const tlsCertFile = stringOption(flags.downloadTlsCert);
  const tlsKeyFile = stringOption(flags.downloadTlsKey);
  if ((tlsCertFile === undefined) !== (tlsKeyFile === undefined)) {
    throw new InvalidInputError(
      'InvalidFlag',
      '--download-tls-cert and --download-tls-key go together: give both, or neither for a self-signed certificate',
      '--download-tls-cert',
    );
  }
  const [downloadHost, downloadPort] = downloadAddress
    ? hostPort(downloadAddress, '--download-address (SCB_DOWNLOAD_ADDRESS)')
    : ['', 0];
  return {
    kubeconfig: stringOption(flags.kubeconfig) ?? (env.KUBECONFIG || undefined),
    watchNamespace: pick('watchNamespace', env.SCB_WATCH_NAMESPACE, '') || undefined,
    operatorNamespace: pick('operatorNamespace', env.POD_NAMESPACE, 'default'),
    leaderElect: leaderElect(flags.leaderElect, env.SCB_LEADER_ELECT),
    leaderElectionId: pick('leaderElectionId', undefined, 'scb-operator'),
    identity: env.POD_NAME || `${hostname}-${process.pid}`,
    metricsHost,
    metricsPort,
    concurrency: wholeNumber(
      pick('concurrency', env.SCB_CONCURRENCY, '4'),
      '--concurrency (SCB_CONCURRENCY)',
      1,
      64,
    ),
    logLevel: logLevel(pick('logLevel', env.SCB_LOG_LEVEL, 'info')),
    signingKeySecret: pick('signingKeySecret', undefined, 'scb-operator-signing-key'),
    clusterResyncMs:
      wholeNumber(
        pick('clusterResync', env.SCB_CLUSTER_RESYNC_SECONDS, '300'),
        '--cluster-resync (SCB_CLUSTER_RESYNC_SECONDS)',
        10,
        86_400,
      ) * 1000,
    outbound: parseOutboundPolicy(
      list(pick('outboundAllow', env.SCB_OUTBOUND_ALLOW, '')),
      list(pick('serviceCidrs', env.SCB_SERVICE_CIDRS, '')),
      { allow: '--outbound-allow (SCB_OUTBOUND_ALLOW)', serviceCidrs: '--service-cidrs (SCB_SERVICE_CIDRS)' },
    ),
    gatewayProbeIntervalMs:
      wholeNumber(
        pick('gatewayProbeInterval', env.SCB_GATEWAY_PROBE_SECONDS, '180'),
        '--gateway-probe-interval (SCB_GATEWAY_PROBE_SECONDS)',
        5,
        3600,
      ) * 1000,
    gatewayResolve: parseResolveOverrides(list(pick('gatewayResolve', env.SCB_GATEWAY_RESOLVE, ''))),
    download: downloadAddress
      ? {
          host: downloadHost,
          port: downloadPort,
          tlsCertFile,
          tlsKeyFile,
          linkKeySecret: pick('downloadLinkKeySecret', undefined, 'scb-operator-download-link-key'),
        }
      : undefined,
  };
}

const RESOLVE_HOST =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** `host:port:address` entries (an IPv6 address in brackets), as curl's --resolve takes them. */
export function parseResolveOverrides(entries: readonly string[]): ReadonlyMap<string, string> {
  const overrides = new Map<string, string>();
  for (const entry of entries) {
    const match = /^([^:]+):(\d{1,5}):(\[[0-9a-fA-F:.]+\]|[0-9.]+)$/.exec(entry);
    const host = match?.[1]?.toLowerCase() ?? '';
    const port = Number(match?.[2]);
    const address = match?.[3]?.replace(/^\[(.*)\]$/, '$1') ?? '';
    if (!match || !RESOLVE_HOST.test(host) || port < 1 || port > 65_535 || isIP(address) === 0) {
      throw new InvalidInputError(
        'InvalidFlag',
        `--gateway-resolve (SCB_GATEWAY_RESOLVE) entry "${entry}" must be host:port:address, e.g. cql-gw.example.com:29080:10.0.0.7 or host:29080:[fd00::7]`,
        '--gateway-resolve',
      );
    }
    overrides.set(`${host}:${port}`, address);
  }
  return overrides;
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

function stringOption(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function leaderElect(flag: string | boolean | undefined, env: string | undefined): boolean {
  if (typeof flag === 'boolean') return flag;
  if (env === undefined || env === '') return true;
  if (env === 'true' || env === 'false') return env === 'true';
  throw new InvalidInputError(
    'InvalidFlag',
    `SCB_LEADER_ELECT "${env}" must be true or false (or pass --leader-elect / --no-leader-elect)`,
    'SCB_LEADER_ELECT',
  );
}

function hostPort(text: string, name: string): [string, number] {
  const match = /^(.*):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || port > 65_535) {
    throw new InvalidInputError(
      'InvalidFlag',
      `${name} "${text}" must be HOST:PORT, e.g. 0.0.0.0:8080 (port 0 picks a free one)`,
      name.split(' ')[0] ?? name,
    );
  }
  return [match[1]?.replace(/^\[(.*)\]$/, '$1') || '0.0.0.0', port]; // listen() refuses "[::]"
}

function wholeNumber(value: string, name: string, min: number, max: number): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw new InvalidInputError(
      'InvalidFlag',
      `${name} "${value}" must be a whole number from ${min} to ${max}`,
      name,
    );
  }
  return number;
}

function logLevel(value: string): LogLevel {
  if ((LOG_LEVELS as readonly string[]).includes(value)) return value as LogLevel;
  throw new InvalidInputError(
    'InvalidFlag',
    `--log-level (SCB_LOG_LEVEL) "${value}" must be one of ${LOG_LEVELS.join(', ')}`,
    '--log-level',
  );
}
