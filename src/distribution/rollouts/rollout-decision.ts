import { createHash } from 'node:crypto';

/**
 * Which bundle version a workload's pods were last rolled for, kept in the pod template so the
 * apiserver itself remembers it across operator restarts. One annotation per bundle
 * (`scb-operator.io/bundle-version.<bundle>`), so a workload that consumes two bundles keeps
 * a separate count for each instead of the two overwriting one value.
 */
const ANNOTATION_PREFIX = 'scb-operator.io/';
const NAME_PART = 'bundle-version.';
const MAX_NAME_PART = 63;

export function bundleVersionAnnotation(bundleName: string): string {
  const full = `${NAME_PART}${bundleName}`;
  if (full.length <= MAX_NAME_PART) return `${ANNOTATION_PREFIX}${full}`;
  // Long bundle names do not fit the 63-character name part: a stable digest stands in.
  return `${ANNOTATION_PREFIX}${NAME_PART}${createHash('sha256').update(bundleName).digest('hex').slice(0, 32)}`;
}

/** Restart only when the pods were rolled for an older version (or never): never twice for one. */
export function needsRollout(annotationValue: string | undefined, version: number): boolean {
  const rolled =
    annotationValue !== undefined && /^[0-9]{1,15}$/.test(annotationValue) ? Number(annotationValue) : 0;
  return rolled < version;
}
