import { Counter, Gauge, type Registry } from 'prom-client';
import { safeLabelValue } from '../observability/metrics.js';

/** Why the proxy closed a connection before it reached a node. */
export type RefusalReason =
  'unknown_sni' | 'missing_sni' | 'invalid_hello' | 'hello_timeout' | 'too_many' | 'draining';

/** Bytes of one routed connection not yet added to scb_gateway_bytes_total. */
export interface Transfer {
  node: string;
  toNode: number;
  toClient: number;
}

/**
 * The gateway's series, on a registry the caller owns. Node labels are host_ids (UUIDs), never
 * client data: an unknown SNI is counted without its value.
 */
export class GatewayMetrics {
  private readonly connections: Counter<'node'>;
  private readonly activeConnections: Gauge;
  private readonly bytes: Counter<'node' | 'direction'>;
  private readonly nodeErrors: Counter<'node'>;
  private readonly refused: Counter<'reason'>;
  private readonly metadataRequests: Counter<'status'>;
  private readonly routeCount: Gauge;

  private topologyAgeSeconds: () => number | undefined = () => undefined;
  private readonly transfers = new Set<Transfer>();

  constructor(registry: Registry) {
    const registers = [registry];
    const ageSource = () => this.topologyAgeSeconds();
    this.connections = new Counter({
      name: 'scb_gateway_connections_total',
      help: 'Client connections the SNI proxy routed to a node.',
      labelNames: ['node'],
      registers,
    });
    this.activeConnections = new Gauge({
      name: 'scb_gateway_active_connections',
      help: 'Client connections the SNI proxy holds now (routed or still in the ClientHello).',
      registers,
    });
    const flushAll = () => {
      for (const transfer of this.transfers) this.flush(transfer);
    };
    this.bytes = new Counter({
      name: 'scb_gateway_bytes_total',
      help: 'Bytes passed through the SNI proxy, per node and direction (to_node, to_client).',
      labelNames: ['node', 'direction'],
      registers,
      collect: flushAll,
    });
    this.nodeErrors = new Counter({
      name: 'scb_gateway_node_errors_total',
      help: 'Connections to a node that failed (refused, reset, timed out).',
      labelNames: ['node'],
      registers,
    });
    this.refused = new Counter({
      name: 'scb_gateway_refused_connections_total',
      help: 'Client connections closed before routing: unknown_sni, missing_sni, invalid_hello, hello_timeout, too_many, draining.',
      labelNames: ['reason'],
      registers,
    });
    this.metadataRequests = new Counter({
      name: 'scb_gateway_metadata_requests_total',
      help: 'Requests to the metadata service by HTTP status.',
      labelNames: ['status'],
      registers,
    });
    this.routeCount = new Gauge({
      name: 'scb_gateway_routes',
      help: 'Nodes (host_ids) the SNI proxy can route to.',
      registers,
    });
    new Gauge({
      name: 'scb_gateway_topology_age_seconds',
      help: 'Seconds since the control connection last confirmed the topology; absent before the first.',
      registers,
      collect: function (this: Gauge) {
        const age = ageSource();
        if (age === undefined) this.reset();
        else this.set(age);
      },
    });
  }

  /** Where the topology age comes from once the control connection is up. */
  observeTopologyAge(source: () => number | undefined): void {
    this.topologyAgeSeconds = source;
  }

  connectionOpened(): void {
    this.activeConnections.inc();
  }

  connectionClosed(): void {
    this.activeConnections.dec();
  }

  routed(hostId: string): void {
    this.connections.inc({ node: safeLabelValue(hostId) });
  }

  /**
   * Byte counts of one routed connection. The proxy adds to plain numbers on every chunk (a
   * labelled counter increment per chunk cost measurable CPU per query); they reach the series
   * when Prometheus scrapes and when the connection ends.
   */
  openTransfer(hostId: string): Transfer {
    const transfer: Transfer = { node: safeLabelValue(hostId), toNode: 0, toClient: 0 };
    this.transfers.add(transfer);
    return transfer;
  }

  closeTransfer(transfer: Transfer): void {
    this.flush(transfer);
    this.transfers.delete(transfer);
  }

  private flush(transfer: Transfer): void {
    if (transfer.toNode > 0) this.bytes.inc({ node: transfer.node, direction: 'to_node' }, transfer.toNode);
    if (transfer.toClient > 0)
      this.bytes.inc({ node: transfer.node, direction: 'to_client' }, transfer.toClient);
    transfer.toNode = 0;
    transfer.toClient = 0;
  }

  nodeError(hostId: string): void {
    this.nodeErrors.inc({ node: safeLabelValue(hostId) });
  }

  refusedConnection(reason: RefusalReason): void {
    this.refused.inc({ reason });
  }

  metadataRequest(status: number): void {
    this.metadataRequests.inc({ status: String(status) });
  }

  setRoutes(count: number): void {
    this.routeCount.set(count);
  }
}
