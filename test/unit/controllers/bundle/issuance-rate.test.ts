import { ISSUANCE_RATE, issuanceRateDecision } from '../../../../src/controllers/bundle/issuance-rate.js';

const now = new Date('2026-12-03T12:00:00Z');
const secondsAgo = (seconds: number) => new Date(now.getTime() - seconds * 1000);

describe('issuanceRateDecision', () => {
  it('allows up to the burst within the window', () => {
    expect(issuanceRateDecision([], now)).toEqual({ allowed: true });
    const four = [10, 20, 30, 40].map(secondsAgo);
    expect(issuanceRateDecision(four, now)).toEqual({ allowed: true });
  });

  it('defers the next version until the oldest counted one leaves the window', () => {
    const five = [10, 20, 30, 40, 50].map(secondsAgo);
    expect(issuanceRateDecision(five, now)).toEqual({
      allowed: false,
      retryAt: new Date(secondsAgo(50).getTime() + ISSUANCE_RATE.windowMs + 1000),
    });
  });

  it('does not count versions older than the window', () => {
    const old = [10, 20, 30, 40, 151, 500].map(secondsAgo);
    expect(issuanceRateDecision(old, now)).toEqual({ allowed: true });
  });

  it('counts times in the future (clock skew) rather than ignoring them', () => {
    const skewed = [-5, 10, 20, 30, 40].map(secondsAgo);
    expect(issuanceRateDecision(skewed, now).allowed).toBe(false);
  });

  it('lets the shortest legitimate certificate (1m, renewing every 40 s) renew forever', () => {
    const history: Date[] = [];
    for (let t = 0; t < 3600; t += 40) {
      const at = new Date(now.getTime() + t * 1000);
      expect(issuanceRateDecision(history, at)).toEqual({ allowed: true });
      history.push(at);
    }
  });
});
