import { InvalidInputError } from '../../../src/errors.js';
import { formatDuration, parseDuration } from '../../../src/time/duration.js';

describe('parseDuration', () => {
  it.each([
    ['2160h', 2160 * 3600],
    ['87600h', 87600 * 3600],
    ['90m', 5400],
    ['1h30m', 5400],
    ['90s', 90],
    ['1h0m0s', 3600],
    ['1.5h', 5400],
    ['250ms', 0.25],
    ['1m500ms', 60.5],
    ['0', 0],
    ['0s', 0],
  ])('reads %s as %d seconds', (text, seconds) => {
    expect(parseDuration(text, 'spec.duration')).toBe(seconds);
  });

  it.each(['', '10', '-1h', '1d', '1 h', 'h', '1h-30m', '1.2.3h', '90 m', '1us'])(
    'refuses %p and names the field',
    (text) => {
      let error: unknown;
      try {
        parseDuration(text, 'spec.renewBefore');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).reason).toBe('InvalidDuration');
      expect((error as InvalidInputError).field).toBe('spec.renewBefore');
      expect((error as Error).message).toContain('spec.renewBefore');
      expect((error as Error).message).toContain('"2160h"');
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [7200, '2h'],
    [5400, '1h30m'],
    [90, '1m30s'],
    [2160 * 3600, '2160h'],
    [3661, '1h1m1s'],
    [0.25, '250ms'],
    [0, '0s'],
  ])('writes %d seconds as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const seconds of [1, 59, 61, 3599, 86_400, 7_776_000, 12.5]) {
      expect(parseDuration(formatDuration(seconds), 'x')).toBe(seconds);
    }
  });

  it('refuses negative durations', () => {
    expect(() => formatDuration(-1)).toThrow(RangeError);
  });
});
