/**
 * The host_id → address map, kept by a real CQL control connection: the npm cassandra-driver's
 * own metadata and topology events (node added, removed, up, down; a replaced node is a removal
 * and an addition), every datacenter. The gateway connects with its own client certificate and
 * checks each node's certificate against the proxy's DNS name, as drivers in cloud mode will.
 *
 * cassandra-driver is imported here only, and only the gateway's entry point imports this
 * module: the operator process never loads it.
 */
import tls from 'node:tls';
import type { Logger } from '../observability/logger.js';
import type { Clock } from '../time/clock.js';
import { RouteTable, type NodeRoute } from './routes.js';
import type { TlsMaterial } from './tls-files.js';

export interface TopologyOptions {
  /** Addresses (host or host:port) to open the control connection to. */
  contactPoints: string[];
  /** The native TLS port of every node. */
  port: number;
  /** The datacenter the control connection prefers. */
  localDatacenter: string;
  /** Gateway client certificate and key; trust = the CA that signs the nodes. */
  material: TlsMaterial;
  /** The name every node certificate must be valid for (the SNI proxy's DNS name). */
  nodeServerName: string;
  clock: Clock;
  logger: Logger;
  /** How often the cluster is asked to confirm it answers (the age metric's heartbeat). */
  heartbeatMs?: number;
  onChange?: (routes: RouteTable) => void;
}

export interface Topology {
  routes(): RouteTable;
  /** Seconds since the control connection last confirmed the map; undefined before the first. */
  ageSeconds(): number | undefined;
  close(): Promise<void>;
}

/** Splits the driver's `ip:port` / `[ip6]:port` host address. */
export function splitHostAddress(address: string): { address: string; port: number } {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { address: host, port: Number(address.slice(colon + 1)) };
}

export async function startTopology(options: TopologyOptions): Promise<Topology> {
  const { default: cassandra } = await import('cassandra-driver');
  const { logger, clock } = options;
  const client = new cassandra.Client({
    contactPoints: options.contactPoints,
    localDataCenter: options.localDatacenter,
    protocolOptions: { port: options.port },
    // The gateway needs the ring, not schemas.
    isMetadataSyncEnabled: false,
    pooling: {
      coreConnectionsPerHost: { [cassandra.types.distance.local]: 1, [cassandra.types.distance.remote]: 0 },
    },
    sslOptions: {
      cert: options.material.certPem,
      key: options.material.keyPem.reveal(),
      ca: [options.material.trustPem],
      checkServerIdentity: (_host, certificate) =>
        tls.checkServerIdentity(options.nodeServerName, certificate),
    },
  });
  let table = new RouteTable([]);
  let confirmedAt: number | undefined;

  const refresh = (reason: string): void => {
    const routes: NodeRoute[] = client.hosts.values().flatMap((host) => {
      if (host.hostId === null || host.hostId === undefined) return [];
      return [
        {
          hostId: host.hostId.toString().toLowerCase(),
          ...splitHostAddress(host.address),
          datacenter: host.datacenter,
          up: host.isUp(),
        },
      ];
    });
    table = new RouteTable(routes);
    confirmedAt = clock.now().getTime();
    logger.info('topology', {
      reason,
      nodes: routes.map(
        (route) =>
          `${route.hostId}=${route.address}:${route.port}/${route.datacenter}/${route.up ? 'up' : 'down'}`,
      ),
    });
    options.onChange?.(table);
  };

  await client.connect();
  refresh('connected');
  for (const event of ['hostAdd', 'hostRemove', 'hostUp', 'hostDown']) client.on(event, () => refresh(event));

  const heartbeat = setInterval(() => {
    client
      .execute('SELECT host_id FROM system.local')
      .then(() => {
        confirmedAt = clock.now().getTime();
      })
      .catch((error: unknown) =>
        logger.warn('the cluster did not answer the heartbeat', { error: String(error) }),
      );
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();

  return {
    routes: () => table,
    ageSeconds: () => (confirmedAt === undefined ? undefined : (clock.now().getTime() - confirmedAt) / 1000),
    close: async () => {
      clearInterval(heartbeat);
      await client.shutdown();
    },
  };
}
