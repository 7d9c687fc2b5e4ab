import { loadCertificateAuthority, type CertificateAuthority } from '../../pki/certificate-authority.js';
import { sha256Hex } from '../../pki/fingerprint.js';
import type { Clock } from '../../time/clock.js';
import type { ClientCaSource } from '../cluster-ref/ca-sources.js';

export interface SigningCa {
  ca: CertificateAuthority;
  /** SHA-256 of the CA certificate: what a version records as its issuer. */
  fingerprint: string;
}

/**
 * Parsed client CAs, one per Secret, reused while the Secret's resourceVersion stays the same:
 * a thousand bundles of one cluster then parse and import its key once, not a thousand times.
 * A changed Secret replaces the entry, so a rotated or replaced CA is picked up at once.
 */
export class SigningCaCache {
  private readonly entries = new Map<string, { resourceVersion: string; loaded: Promise<SigningCa> }>();

  constructor(private readonly clock: Clock) {}

  load(namespace: string, source: ClientCaSource): Promise<SigningCa> {
    const key = `${namespace}/${source.secretName}`;
    const cached = this.entries.get(key);
    if (cached && cached.resourceVersion === source.resourceVersion) return cached.loaded;
    const loaded = loadCertificateAuthority(source.pem, this.clock).then((ca) => ({
      ca,
      fingerprint: sha256Hex(ca.certificate.rawData),
    }));
    this.entries.set(key, { resourceVersion: source.resourceVersion, loaded });
    // A failed load is not kept: the next pass reads the Secret again and retries.
    loaded.catch(() => {
      if (this.entries.get(key)?.loaded === loaded) this.entries.delete(key);
    });
    return loaded;
  }
}
