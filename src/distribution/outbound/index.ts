/**
 * The outbound guard: every connection the operator opens on a tenant's behalf (webhook URLs,
 * object-store endpoints, the cloud-mode gateway probe) goes through it. `outbound-policy` decides (pure, table-tested);
 * `outbound-guard` resolves, checks and dials (HTTP agents for Node's http and the S3 client).
 * Configured by --outbound-allow and --service-cidrs; see docs/distribution.md.
 */
export { parseCidr, parseIpLiteral, type Cidr, type IpAddress } from './ip-address.js';
export {
  DEFAULT_OUTBOUND_POLICY,
  decideAddress,
  parseOutboundPolicy,
  type AddressDecision,
  type OutboundPolicy,
  type RefusedRange,
} from './outbound-policy.js';
export {
  OutboundGuard,
  pinnedLookup,
  type Dialer,
  type OutboundGuardOptions,
  type Resolver,
} from './outbound-guard.js';
export { isOutboundRefusal, OutboundRefusedError, refusalDetail } from './outbound-refusal.js';
