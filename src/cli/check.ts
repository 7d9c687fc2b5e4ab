import { checkCompatibility, type CompatibilityVerdict } from '../bundle/compatibility.js';
import { MANIFEST_FILE } from '../bundle/layout.js';
import { parseManifest } from '../bundle/manifest.js';
import { readZip } from '../bundle/zip-reader.js';

/** `scbctl check`'s answer for a bundle zip, from its manifest alone (offline; no signature check). */
export function checkBundle(
  zip: Buffer,
  what: string,
  platform: string,
  driverVersion: string,
): CompatibilityVerdict {
  const manifestBytes = readZip(zip, what).find((entry) => entry.path === MANIFEST_FILE)?.content;
  if (manifestBytes === undefined) {
    return {
      outcome: 'unanswerable',
      reason: `${what} has no ${MANIFEST_FILE}, so it records no driver versions`,
    };
  }
  const parsed = parseManifest(manifestBytes);
  if ('problem' in parsed) return { outcome: 'unanswerable', reason: parsed.problem };
  return checkCompatibility(parsed.manifest, platform, driverVersion);
}
