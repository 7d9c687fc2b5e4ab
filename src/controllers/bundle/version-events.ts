import { createHash } from 'node:crypto';
import {
  SECURE_CONNECTION_BUNDLE,
  bundleSecretName,
  type SecureConnectionBundle,
} from '../../api/v1alpha1/index.js';
import { objectKey } from '../../kube/object-key.js';
import type { Logger } from '../../observability/logger.js';
import type { EventRecorder } from '../events.js';

export type VersionEventReason = 'Issued' | 'Rotated';

/** Kubernetes object names (DNS subdomains) are at most 253 characters. */
const MAX_NAME = 253;

/**
 * The Event name of a bundle's version (or of one topic about it): fixed by the bundle (name and uid, so a re-created
 * bundle's version 1 is another Event) and the version, so every attempt writes the same one.
 */
export function versionEventName(bundle: SecureConnectionBundle, version: number, topic?: string): string {
  const uid = createHash('sha256')
    .update(bundle.metadata.uid ?? '')
    .digest('hex')
    .slice(0, 10);
  // A topic (lower-case words, e.g. deprecated-in-use) names another once-per-version Event.
  const suffix = `.v${version}${topic === undefined ? '' : `.${topic}`}.${uid}`;
  const name = (bundle.metadata.name ?? 'bundle').slice(0, MAX_NAME - suffix.length).replace(/[-.]+$/, '');
  return `${name}${suffix}`;
}

/**
 * What a version found without its Event was: `Rotated` when status lists an older version, else
 * `Issued` (the first version, or one whose predecessors were all pruned from the history).
 */
export function recoveredReason(bundle: SecureConnectionBundle, version: number): VersionEventReason {
  return (bundle.status?.versions ?? []).some((entry) => entry.version < version) ? 'Rotated' : 'Issued';
}

/**
 * One Issued/Rotated Event per version, also when the pass that issued a version died after its
 * status write and before its Event. Each Event has a fixed name (a repeated create is a harmless
 * 409), and each process makes sure of status.currentVersion's Event once per bundle, the first
 * time it sees that version: one create per bundle after a start or a hand-over, none after.
 */
export class VersionEvents {
  /** Bundle key → `uid/version` whose Event is known written (or being written) by this process. */
  private readonly known = new Map<string, string>();

  constructor(
    private readonly events: EventRecorder,
    private readonly logger: Logger,
  ) {}

  /** The pass that published `version` records its Event; a failure is retried by `ensureCurrent`. */
  published(bundle: SecureConnectionBundle, version: number, reason: VersionEventReason, note: string): void {
    const mark = this.mark(bundle, version);
    this.write(bundle, version, reason, note).catch((error: unknown) => {
      this.unmark(bundle, mark);
      this.logger.warn('could not record event', {
        reason,
        error: String((error as Error)?.message ?? error),
      });
    });
  }

  /**
   * Before deciding anything on `bundle`: records its current version's Event unless this process
   * knows it is written. Rejects when it could not be written, so the pass is retried before it
   * can issue a newer version.
   */
  async ensureCurrent(bundle: SecureConnectionBundle): Promise<void> {
    const version = bundle.status?.currentVersion;
    if (version === undefined) return;
    const mark = `${bundle.metadata.uid ?? ''}/${version}`;
    if (this.known.get(objectKey(bundle)) === mark) return;
    this.mark(bundle, version);
    const reason = recoveredReason(bundle, version);
    try {
      const outcome = await this.write(
        bundle,
        version,
        reason,
        `version ${version} published in Secret ${bundleSecretName(bundle)} (recorded after a restart or a hand-over)`,
      );
      if (outcome === 'created') {
        this.logger.info('recorded the event of a version issued before a restart', {
          namespace: bundle.metadata.namespace,
          name: bundle.metadata.name,
          version,
          reason,
        });
      }
    } catch (error) {
      this.unmark(bundle, mark);
      throw error;
    }
  }

  /** The bundle is gone. */
  forget(key: string): void {
    this.known.delete(key);
  }

  private write(bundle: SecureConnectionBundle, version: number, reason: VersionEventReason, note: string) {
    return this.events.recordOnce(
      { ...bundle, kind: SECURE_CONNECTION_BUNDLE.kind },
      'Normal',
      reason,
      note,
      versionEventName(bundle, version),
    );
  }

  private mark(bundle: SecureConnectionBundle, version: number): string {
    const mark = `${bundle.metadata.uid ?? ''}/${version}`;
    this.known.set(objectKey(bundle), mark);
    return mark;
  }

  private unmark(bundle: SecureConnectionBundle, mark: string): void {
    const key = objectKey(bundle);
    if (this.known.get(key) === mark) this.known.delete(key);
  }
}
