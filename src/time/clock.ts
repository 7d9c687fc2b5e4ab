/** The only way code here learns the time, so decisions can be tested at any instant. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock stopped at one instant (tests, offline generation at a chosen time). */
export function fixedClock(at: Date): Clock {
  const frozen = at.getTime();
  return { now: () => new Date(frozen) };
}
