/**
 * The routing table of the SNI proxy: a node's host_id (as drivers send it in SNI, a lower-case
 * UUID) to the address of its native TLS port. Pure: the topology module builds it, the proxy
 * reads it.
 */

export interface NodeRoute {
  /** Lower-case UUID, as in system.local / system.peers_v2. */
  hostId: string;
  /** The native (CQL) transport address, an IP literal. */
  address: string;
  port: number;
  datacenter: string;
  up: boolean;
}

const HOST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class RouteTable {
  private readonly byHostId: ReadonlyMap<string, NodeRoute>;

  constructor(routes: readonly NodeRoute[]) {
    this.byHostId = new Map(routes.map((route) => [route.hostId, route]));
  }

  get size(): number {
    return this.byHostId.size;
  }

  get routes(): readonly NodeRoute[] {
    return [...this.byHostId.values()];
  }

  /**
   * The node an SNI names, down or up (a driver reconnecting to a restarting node gets a refused
   * connection from the node, as it would directly). Anything but a known host_id: none.
   */
  route(serverName: string | undefined): NodeRoute | undefined {
    if (serverName === undefined || !HOST_ID.test(serverName)) return undefined;
    return this.byHostId.get(serverName);
  }

  /** Up nodes of one datacenter, sorted so the answer is stable between requests. */
  upNodes(datacenter: string): NodeRoute[] {
    return this.routes
      .filter((route) => route.up && route.datacenter === datacenter)
      .sort((a, b) => a.hostId.localeCompare(b.hostId));
  }
}
