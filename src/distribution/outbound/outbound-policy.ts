/**
 * Which addresses the operator may connect to on a tenant's behalf (webhook URLs, object-store
 * endpoints). Pure: the caller resolves the host and asks about every address it got.
 *
 * Refused by default: everything that is not a public unicast address (loopback, link-local and
 * cloud metadata, private, CGNAT, unique-local, multicast, reserved, documentation, IPv4 inside
 * IPv6 transition forms) plus the cluster's service ranges. The operator's allow-list
 * (--outbound-allow) re-opens CIDRs, or host names for in-cluster stores and receivers.
 */
import { InvalidInputError } from '../../errors.js';
import { inCidr, parseCidr, parseIpLiteral, unmapped, type Cidr, type IpAddress } from './ip-address.js';

export interface OutboundPolicy {
  /** Addresses in these ranges are allowed whatever the host. */
  allowedCidrs: readonly Cidr[];
  /** Lower-case host names whose addresses may be internal (not link-local: list a CIDR for that). */
  allowedHosts: ReadonlySet<string>;
  /** The cluster's Service ranges: refused unless allow-listed. */
  serviceCidrs: readonly Cidr[];
}

/** Nothing internal allowed: what a notifier or store client gets unless the operator says more. */
export const DEFAULT_OUTBOUND_POLICY: OutboundPolicy = {
  allowedCidrs: [],
  allowedHosts: new Set(),
  serviceCidrs: [],
};

export type RefusedRange =
  | 'unspecified'
  | 'loopback'
  | 'link-local'
  | 'private'
  | 'shared (CGNAT)'
  | 'unique-local'
  | 'site-local'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'reserved'
  | 'cluster service range';

export type AddressDecision = { allowed: true } | { allowed: false; range: RefusedRange };

/** What an allow-listed host name may reach: internal, but never link-local (metadata) or unroutable. */
const HOST_ALLOW_OPENS: ReadonlySet<RefusedRange> = new Set<RefusedRange>([
  'loopback',
  'private',
  'shared (CGNAT)',
  'unique-local',
  'cluster service range',
]);

/** First match wins, so the narrow names come before the wide "reserved" ones. */
const SPECIAL_RANGES: ReadonlyArray<readonly [string, RefusedRange]> = [
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared (CGNAT)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', 'reserved'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'reserved'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['fc00::/7', 'unique-local'],
  ['ff00::/8', 'multicast'],
  // Inside global unicast, but carrying or tunnelling IPv4 (Teredo, 6to4) or for documentation.
  ['2001::/23', 'reserved'],
  ['2001:db8::/32', 'documentation'],
  ['2002::/16', 'reserved'],
  ['3fff::/20', 'documentation'],
];

const RANGES: ReadonlyArray<[Cidr, RefusedRange]> = SPECIAL_RANGES.map(([text, range]) => [
  parseCidr(text) as Cidr,
  range,
]);
/** Public IPv6 unicast lives here; everything else (NAT64, IPv4-compatible, unassigned) is refused. */
const GLOBAL_UNICAST_V6 = parseCidr('2000::/3') as Cidr;

/**
 * May the operator connect to `address`, which `host` (the URL's host, lower-case) resolved to?
 * IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
 */
export function decideAddress(policy: OutboundPolicy, host: string, resolved: IpAddress): AddressDecision {
  const address = unmapped(resolved);
  if (policy.allowedCidrs.some((cidr) => inCidr(address, cidr))) return { allowed: true };
  const range = refusedRange(policy, address);
  if (range === undefined) return { allowed: true };
  if (policy.allowedHosts.has(normalHost(host)) && HOST_ALLOW_OPENS.has(range)) return { allowed: true };
  return { allowed: false, range };
}

/** The special range an address falls in, or undefined for a public unicast address. */
export function refusedRange(policy: Pick<OutboundPolicy, 'serviceCidrs'>, address: IpAddress) {
  const special = RANGES.find(([cidr]) => inCidr(address, cidr))?.[1];
  if (special) return special;
  if (policy.serviceCidrs.some((cidr) => inCidr(address, cidr))) return 'cluster service range';
  if (address.family === 6 && !inCidr(address, GLOBAL_UNICAST_V6)) return 'reserved';
  return undefined;
}

/** Host names compare lower-case without the root dot. */
export function normalHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * The policy from the operator's flags: `allow` holds CIDRs, IP addresses and host names
 * (`10.96.0.0/12,minio.storage.svc`), `serviceCidrs` CIDRs. Throws InvalidInputError naming the
 * flag and the entry.
 */
export function parseOutboundPolicy(
  allow: readonly string[],
  serviceCidrs: readonly string[],
  flags = { allow: '--outbound-allow', serviceCidrs: '--service-cidrs' },
): OutboundPolicy {
  const allowedCidrs: Cidr[] = [];
  const allowedHosts = new Set<string>();
  for (const entry of allow) {
    const cidr = parseCidr(entry);
    if (cidr) allowedCidrs.push(cidr);
    else if (!entry.includes('/') && parseIpLiteral(entry) === undefined && HOST_NAME.test(normalHost(entry)))
      allowedHosts.add(normalHost(entry));
    else {
      throw new InvalidInputError(
        'InvalidFlag',
        `${flags.allow} entry "${entry}" is neither a CIDR (10.96.0.0/12, fd00::/8), an IP address nor a host name (minio.storage.svc)`,
        flags.allow.split(' ')[0],
      );
    }
  }
  return {
    allowedCidrs,
    allowedHosts,
    serviceCidrs: serviceCidrs.map((entry) => {
      const cidr = parseCidr(entry);
      if (cidr) return cidr;
      throw new InvalidInputError(
        'InvalidFlag',
        `${flags.serviceCidrs} entry "${entry}" is not a CIDR, e.g. 10.96.0.0/12`,
        flags.serviceCidrs.split(' ')[0],
      );
    }),
  };
}
