import { createHash } from 'node:crypto';
import type {
  V1SubjectAccessReviewSpec,
  V1SubjectAccessReviewStatus,
  V1TokenReviewStatus,
} from '@kubernetes/client-node';
import { API_GROUP, SECURE_CONNECTION_BUNDLE } from '../../api/v1alpha1/index.js';
import type { Clock } from '../../time/clock.js';
import type { BundleRef } from './download-routes.js';
import { ReviewCache } from './review-cache.js';

/** The two apiserver reviews the download API relies on (KubeObjects implements them). */
export interface AccessReviewer {
  reviewToken(token: string): Promise<V1TokenReviewStatus>;
  reviewAccess(spec: V1SubjectAccessReviewSpec): Promise<V1SubjectAccessReviewStatus>;
}

/** What a caller must be allowed: `get` on the `download` subresource of that bundle. */
export const DOWNLOAD_PERMISSION = {
  verb: 'get',
  group: API_GROUP,
  resource: SECURE_CONNECTION_BUNDLE.plural,
  subresource: 'download',
} as const;

export type CallerDecision =
  | { outcome: 'allowed'; username: string }
  | { outcome: 'unauthenticated'; reason: string }
  | { outcome: 'forbidden'; username: string; reason: string };

type Identity =
  | { authenticated: true; username: string; spec: V1SubjectAccessReviewSpec }
  | {
      authenticated: false;
      reason: string;
    };

/** Ten seconds at most: a revoked token or RoleBinding stops working within that. */
export const MAX_REVIEW_CACHE_TTL_MS = 10_000;
const MAX_CACHED_REVIEWS = 10_000;

/**
 * Bearer token → TokenReview → SubjectAccessReview, with both answers cached briefly (keyed by
 * SHA-256 digests: a token never becomes a map key or a log field). Errors from the apiserver are
 * not cached and propagate (the server answers 503).
 */
export class CallerAuthorization {
  private readonly identities: ReviewCache<Identity>;
  private readonly decisions: ReviewCache<{ allowed: boolean; reason: string }>;
  private readonly identifying = new Map<string, Promise<Identity>>();

  constructor(
    private readonly reviewer: AccessReviewer,
    clock: Clock,
    cacheTtlMs: number = MAX_REVIEW_CACHE_TTL_MS,
  ) {
    const ttl = Math.min(Math.max(cacheTtlMs, 0), MAX_REVIEW_CACHE_TTL_MS);
    this.identities = new ReviewCache(clock, ttl, MAX_CACHED_REVIEWS);
    this.decisions = new ReviewCache(clock, ttl, MAX_CACHED_REVIEWS);
  }

  async authorize(token: string, bundle: BundleRef): Promise<CallerDecision> {
    const identity = await this.identify(token);
    if (!identity.authenticated) return { outcome: 'unauthenticated', reason: identity.reason };
    const spec: V1SubjectAccessReviewSpec = {
      ...identity.spec,
      resourceAttributes: { ...DOWNLOAD_PERMISSION, namespace: bundle.namespace, name: bundle.name },
    };
    const key = digest(JSON.stringify(spec));
    let decision = this.decisions.get(key);
    if (!decision) {
      const status = await this.reviewer.reviewAccess(spec);
      decision = { allowed: status.allowed === true && status.denied !== true, reason: status.reason ?? '' };
      this.decisions.set(key, decision);
    }
    if (decision.allowed) return { outcome: 'allowed', username: identity.username };
    return {
      outcome: 'forbidden',
      username: identity.username,
      reason:
        `${identity.username} may not get ${DOWNLOAD_PERMISSION.resource}/${DOWNLOAD_PERMISSION.subresource} ` +
        `"${bundle.name}" in namespace "${bundle.namespace}": grant verb get on ` +
        `${DOWNLOAD_PERMISSION.resource}/${DOWNLOAD_PERMISSION.subresource} (apiGroup ${API_GROUP}) with a Role`,
    };
  }

  private async identify(token: string): Promise<Identity> {
    const key = digest(token);
    const cached = this.identities.get(key);
    if (cached) return cached;
    // Concurrent first requests with one token share one TokenReview instead of each sending one.
    let review = this.identifying.get(key);
    if (!review) {
      review = this.reviewToken(token, key).finally(() => this.identifying.delete(key));
      this.identifying.set(key, review);
    }
    return review;
  }

  private async reviewToken(token: string, key: string): Promise<Identity> {
    const status = await this.reviewer.reviewToken(token);
    const user = status.user;
    const identity: Identity =
      status.authenticated === true && user?.username
        ? {
            authenticated: true,
            username: user.username,
            spec: {
              user: user.username,
              ...(user.uid ? { uid: user.uid } : {}),
              ...(user.groups ? { groups: user.groups } : {}),
              ...(user.extra ? { extra: user.extra } : {}),
            },
          }
        : { authenticated: false, reason: 'the bearer token was not accepted by the Kubernetes API server' };
    this.identities.set(key, identity);
    return identity;
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
