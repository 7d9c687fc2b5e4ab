import { PassThrough } from 'node:stream';
import type { SecureConnectionBundle } from '../../../../src/api/v1alpha1/index.js';
import { DownloadLog } from '../../../../src/distribution/usage/download-log.js';
import type { ServedDownload } from '../../../../src/distribution/usage/download-records.js';
import { createLogger } from '../../../../src/observability/logger.js';
import type { TimerHandle } from '../../../../src/time/timers.js';

const served = (identity: string, second: number): ServedDownload => ({
  namespace: 'shop',
  name: 'orders-app',
  version: 1,
  identity,
  via: 'Token',
  time: `2026-03-01T00:00:${String(second).padStart(2, '0')}Z`,
});

/** A bundle store with resourceVersion preconditions, and timers run by hand. */
function setup() {
  let bundle: SecureConnectionBundle = {
    apiVersion: 'scb-operator.io/v1alpha1',
    kind: 'SecureConnectionBundle',
    metadata: { name: 'orders-app', namespace: 'shop', resourceVersion: '1' },
    spec: { clusterRef: { name: 'orders' } },
    status: { currentVersion: 1, versions: [{ version: 1, state: 'Active' }] },
  };
  const writes: string[] = [];
  let conflictsLeft = 0;
  const pending: Array<{ run: () => void; delayMs: number }> = [];
  const log = new DownloadLog({
    kube: {
      getBundle: async () => structuredClone(bundle),
      patchBundleStatusAt: async (_ns, _name, resourceVersion, status) => {
        if (conflictsLeft > 0) {
          conflictsLeft -= 1;
          // Someone else wrote in between: another replica's download.
          bundle = {
            ...bundle,
            metadata: {
              ...bundle.metadata,
              resourceVersion: String(Number(bundle.metadata.resourceVersion) + 1),
            },
            status: {
              ...bundle.status,
              usage: {
                downloads: [
                  {
                    version: 1,
                    count: 1,
                    recent: [{ identity: 'other-replica', time: '2026-03-01T00:00:30Z', via: 'Token' }],
                  },
                ],
              },
            },
          };
        }
        if (resourceVersion !== bundle.metadata.resourceVersion) {
          throw Object.assign(new Error('the object has been modified'), { statusCode: 409, code: 409 });
        }
        writes.push(resourceVersion);
        bundle = {
          ...bundle,
          metadata: { ...bundle.metadata, resourceVersion: String(Number(resourceVersion) + 1) },
          status: { ...bundle.status, usage: { ...bundle.status?.usage, ...status.usage } },
        };
      },
    },
    clock: { now: () => new Date('2026-03-01T00:01:00Z') },
    timers: {
      setTimeout: (run, delayMs) => {
        const handle = { run, delayMs };
        pending.push(handle);
        return handle as TimerHandle;
      },
      clearTimeout: (handle) => {
        const at = pending.indexOf(handle as (typeof pending)[number]);
        if (at >= 0) pending.splice(at, 1);
      },
    },
    logger: createLogger({ destination: new PassThrough() }),
  });
  return {
    log,
    writes,
    pending,
    current: () => bundle,
    conflictOnce: () => (conflictsLeft = 1),
  };
}

describe('DownloadLog', () => {
  it('writes a burst of downloads to one bundle as one status write', async () => {
    const { log, writes, pending, current } = setup();
    log.record(served('alice', 1));
    log.record(served('bob', 2));
    expect(pending).toHaveLength(1);
    await log.flushAll();
    expect(writes).toHaveLength(1);
    expect(current().status?.usage?.downloads).toEqual([
      {
        version: 1,
        count: 2,
        recent: [
          { identity: 'bob', time: '2026-03-01T00:00:02Z', via: 'Token' },
          { identity: 'alice', time: '2026-03-01T00:00:01Z', via: 'Token' },
        ],
      },
    ]);
  });

  it('on a conflict re-reads and merges, so another writer’s entries survive', async () => {
    const { log, writes, current, conflictOnce } = setup();
    conflictOnce();
    log.record(served('alice', 1));
    await log.flushAll();
    expect(writes).toEqual(['2']);
    expect(current().status?.usage?.downloads?.[0]).toMatchObject({
      count: 2,
      recent: [{ identity: 'other-replica' }, { identity: 'alice' }],
    });
  });
});
