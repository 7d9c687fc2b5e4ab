/**
 * A ceiling on how often one bundle may mint a version, whatever asks for it: a spec edit loop,
 * a rotate annotation set by a script, a flapping input, or a bug of ours. Each version is a new
 * private key and a new Secret in etcd, so without a ceiling one bundle can fill etcd.
 *
 * At most BURST versions in any WINDOW_MS: enough for every legitimate cadence (the shortest
 * certificate, 1m, renews every 40 s; an edit and a CA rotation may come on top), and a storm
 * costs at most two Secrets a minute. The times come from the bundle's own records (status and
 * the version Secrets it controls, crashed passes' included), so a restart does not reset it.
 */
export const ISSUANCE_RATE = { burst: 5, windowMs: 150_000 } as const;

export type RateDecision = { allowed: true } | { allowed: false; retryAt: Date };

export function issuanceRateDecision(
  issuedAt: readonly Date[],
  now: Date,
  rate: { burst: number; windowMs: number } = ISSUANCE_RATE,
): RateDecision {
  const windowStart = now.getTime() - rate.windowMs;
  const recent = issuedAt
    .map((at) => at.getTime())
    .filter((at) => at > windowStart)
    .sort((a, b) => b - a);
  if (recent.length < rate.burst) return { allowed: true };
  // The oldest issuance that still counts must leave the window before another fits.
  const oldestCounted = recent[rate.burst - 1] ?? now.getTime();
  return { allowed: false, retryAt: new Date(oldestCounted + rate.windowMs + 1000) };
}
