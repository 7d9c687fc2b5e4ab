/**
 * Which targets already received a version, kept on that version's Secret (metadata stays
 * writable on an immutable Secret), so an operator restart resends only what was not delivered.
 * Value: comma-separated target digests (see targetDigest), never the URLs.
 */
export const WEBHOOKS_DELIVERED_ANNOTATION = 'scb-operator.io/webhooks-delivered';

export function readDelivered(annotations: Record<string, string> | undefined): Set<string> {
  const value = annotations?.[WEBHOOKS_DELIVERED_ANNOTATION] ?? '';
  return new Set(value.split(',').filter((digest) => /^[0-9a-f]{16}$/.test(digest)));
}

export function withDelivered(delivered: ReadonlySet<string>, digest: string): string {
  return [...new Set([...delivered, digest])].sort().join(',');
}
