/**
 * Rollout restarts of a bundle's declared consumers, once per version and rate-limited.
 * See docs/distribution.md.
 */
export { rolloutConsumers, type ConsumerRolloutResult, type RolloutKube } from './consumer-rollouts.js';
export { bundleVersionAnnotation } from './rollout-decision.js';
export {
  DEFAULT_ROLLOUT_RATE_LIMITS,
  RolloutRateLimiter,
  type RolloutPermit,
  type RolloutRateLimits,
} from './rollout-rate-limiter.js';
