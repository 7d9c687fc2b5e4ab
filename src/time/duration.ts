import { InvalidInputError } from '../errors.js';

/**
 * Go duration strings, as cert-manager and the Kubernetes API write them ("2160h", "1h30m",
 * "90s", "1.5h", "250ms"). Only the units a certificate lifetime needs are accepted: h, m, s, ms.
 * Negative and empty durations are refused: no field of ours means anything by them.
 */
const UNIT_SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
const WHOLE = /^(?:\d+(?:\.\d*)?|\.\d+)(?:h|ms|m|s)(?:(?:\d+(?:\.\d*)?|\.\d+)(?:h|ms|m|s))*$/;
const PART = /(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s)/g;

/** Parses `value` into seconds; `field` names where it came from (e.g. `spec.duration`) in errors. */
export function parseDuration(value: string, field: string): number {
  // Go accepts a bare "0"; keep that so copied cert-manager values work.
  if (value === '0') return 0;
  if (!WHOLE.test(value)) {
    throw new InvalidInputError(
      'InvalidDuration',
      `${field}: "${value}" is not a duration; write a Go duration such as "2160h", "90m" or "1h30m" (units h, m, s, ms)`,
      field,
    );
  }
  let millis = 0;
  for (const [, amount, unit] of value.matchAll(PART)) {
    // Sum in milliseconds so "1.1h" or "1500ms" do not pick up binary fraction noise.
    millis += Number(amount) * (UNIT_SECONDS[unit as string] as number) * 1000;
  }
  return Math.round(millis) / 1000;
}

/** The shortest Go duration string for `seconds`: 7200 -> "2h", 5400 -> "1h30m", 0.25 -> "250ms". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new RangeError(`cannot format ${seconds} seconds as a duration`);
  }
  let millis = Math.round(seconds * 1000);
  if (millis === 0) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    const amount = Math.floor(millis / size);
    if (amount > 0) parts.push(`${amount}${unit}`);
    millis -= amount * size;
  }
  return parts.join('');
}
