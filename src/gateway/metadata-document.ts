/**
 * The answer to `GET /metadata` that drivers in cloud mode expect (see docs/cloud-mode.md):
 * the host_ids of the up nodes of the bundle's datacenter, and the proxy address they dial with
 * each host_id as SNI. Pure.
 */
import type { RouteTable } from './routes.js';

export interface MetadataDocument {
  version: 1;
  region: string;
  contact_info: {
    type: 'sni_proxy';
    local_dc: string;
    contact_points: string[];
    sni_proxy_address: string;
  };
}

/**
 * `sniProxyAddress` is always `name:port` (Node.js throws without a port, Java refuses one).
 * Only up nodes of the local datacenter: Python ignores `local_dc` and takes the datacenter of
 * the first contact point it reaches. No up node: no document (the service answers 503).
 */
export function metadataDocument(
  routes: RouteTable,
  localDatacenter: string,
  sniProxyAddress: string,
): MetadataDocument | undefined {
  const contactPoints = routes.upNodes(localDatacenter).map((route) => route.hostId);
  if (contactPoints.length === 0) return undefined;
  return {
    version: 1,
    region: localDatacenter,
    contact_info: {
      type: 'sni_proxy',
      local_dc: localDatacenter,
      contact_points: contactPoints,
      sni_proxy_address: sniProxyAddress,
    },
  };
}
