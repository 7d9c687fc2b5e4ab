import { InvalidInputError } from '../errors.js';

/**
 * Timestamps in status are RFC 3339 in whole seconds, UTC ("2025-01-01T00:00:00Z"), the form
 * metav1.Time serialises to. Writing milliseconds would make a re-read value differ from the next
 * computed one in its fraction and defeat "write status only when it changed".
 */
export function statusTime(instant: Date): string {
  return new Date(Math.floor(instant.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Reads a status timestamp back; `field` names it (e.g. `status.versions[2].expiresAt`) in errors. */
export function parseStatusTime(text: string, field: string): Date {
  const instant = new Date(text);
  if (Number.isNaN(instant.getTime())) {
    throw new InvalidInputError(
      'InvalidTimestamp',
      `${field}: "${text}" is not an RFC 3339 timestamp such as "2025-01-01T00:00:00Z"`,
      field,
    );
  }
  return instant;
}
