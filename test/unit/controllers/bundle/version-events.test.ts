import { PassThrough } from 'node:stream';
import type { SecureConnectionBundle } from '../../../../src/api/v1alpha1/index.js';
import { ApiException } from '@kubernetes/client-node';
import type { EventRecorder } from '../../../../src/controllers/events.js';
import {
  recoveredReason,
  versionEventName,
  VersionEvents,
} from '../../../../src/controllers/bundle/version-events.js';
import { createLogger } from '../../../../src/observability/logger.js';

/** Events by name, as the real recorder sees them: a second create of a name is `existed`. */
class EventStore implements EventRecorder {
  readonly events = new Map<string, string>();
  creates = 0;
  failNext: unknown;

  record(): void {
    throw new Error('version events use recordOnce');
  }

  async recordOnce(_regarding: unknown, _type: string, reason: string, _note: string, name: string) {
    this.creates += 1;
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = undefined;
      throw error;
    }
    if (this.events.has(name)) return 'existed' as const;
    this.events.set(name, reason);
    return 'created' as const;
  }
}

function bundle(currentVersion?: number, versions: number[] = [], uid = 'uid-1'): SecureConnectionBundle {
  return {
    apiVersion: 'scb-operator.io/v1alpha1',
    kind: 'SecureConnectionBundle',
    metadata: { name: 'app', namespace: 'team', uid },
    spec: { clusterRef: { name: 'orders' } },
    ...(currentVersion === undefined
      ? {}
      : { status: { currentVersion, versions: versions.map((version) => ({ version })) } }),
  } as unknown as SecureConnectionBundle;
}

function setup() {
  const store = new EventStore();
  const logger = createLogger({ destination: new PassThrough(), level: 'debug' });
  return { store, events: new VersionEvents(store, logger) };
}

describe('version events', () => {
  it('names an Event by bundle uid and version, as a valid object name', () => {
    expect(versionEventName(bundle(), 3)).toBe(versionEventName(bundle(), 3));
    expect(versionEventName(bundle(), 3)).not.toBe(versionEventName(bundle(), 4));
    expect(versionEventName(bundle(), 3)).not.toBe(versionEventName(bundle(undefined, [], 'uid-2'), 3));
    const long = bundle();
    long.metadata.name = `${'a'.repeat(240)}-b`;
    const name = versionEventName(long, 12);
    expect(name.length).toBeLessThanOrEqual(253);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);
  });

  it('a version found without its Event is Rotated when status lists an older one', () => {
    expect(recoveredReason(bundle(1, [1]), 1)).toBe('Issued');
    expect(recoveredReason(bundle(4, [4, 3]), 4)).toBe('Rotated');
  });

  it('writes the Event a crashed pass missed, once per version, and nothing for one it published', async () => {
    const { store, events } = setup();
    await events.ensureCurrent(bundle(2, [2, 1]));
    expect([...store.events.values()]).toEqual(['Rotated']);
    await events.ensureCurrent(bundle(2, [2, 1]));
    expect(store.creates).toBe(1);

    events.published(bundle(2, [2, 1]), 3, 'Rotated', 'version 3 published');
    await events.ensureCurrent(bundle(3, [3, 2, 1]));
    expect(store.creates).toBe(2);
    expect(store.events.size).toBe(2);
  });

  it('a second process finds the Event written (409) and writes none', async () => {
    const first = setup();
    first.events.published(bundle(1, [1]), 1, 'Issued', 'version 1 published');
    await Promise.resolve();
    const second = new VersionEvents(
      first.store,
      createLogger({ destination: new PassThrough(), level: 'debug' }),
    );
    await second.ensureCurrent(bundle(1, [1]));
    expect(first.store.events.size).toBe(1);
    expect(first.store.creates).toBe(2);
  });

  it('a failed write fails the pass and is tried again by the next one', async () => {
    const { store, events } = setup();
    store.failNext = new ApiException(503, 'Unavailable', undefined, {});
    await expect(events.ensureCurrent(bundle(1, [1]))).rejects.toThrow();
    await events.ensureCurrent(bundle(1, [1]));
    expect([...store.events.values()]).toEqual(['Issued']);

    store.failNext = new ApiException(503, 'Unavailable', undefined, {});
    events.published(bundle(1, [1]), 2, 'Rotated', 'version 2 published');
    await new Promise((resolve) => setImmediate(resolve));
    await events.ensureCurrent(bundle(2, [2, 1]));
    expect(store.events.size).toBe(2);
  });
});
