/**
 * A version Secret lives in the tenant's namespace, so its zip is tenant-writable. The operator
 * reads it back when it reuses the key of a `rotationPolicy: Never` bundle; a forged zip there
 * (the 19 KB bomb whose 20 central records point at one 4 MiB entry) is not the zip status
 * recorded for that version, so it is never opened: the next version gets a new key, with a
 * Warning that says why, and the operator carries on.
 */
import { jest } from '@jest/globals';
import { writeZip } from '../../../src/bundle/zip.js';
import { createTestNamespace } from '../../support/kube.js';
import type { OperatorProcess } from '../../support/operator-process.js';
import {
  core,
  createBundle,
  createClusterRef,
  createServerCaConfigMap,
  getBundle,
  getClusterRef,
  getSecret,
  isReady,
  managedClusterSpec,
  patchObject,
  startTestOperator,
  stopOperator,
  waitFor,
} from '../../support/operator-fixtures.js';
import { assemble, takeApart } from '../../support/zip-surgery.js';

jest.setTimeout(240_000);

let operator: OperatorProcess | undefined;
afterEach(async () => {
  await stopOperator(operator);
  operator = undefined;
});

function twentyRecordsAtOneEntry(): Buffer {
  const { body, records } = takeApart(
    writeZip([{ path: 'key', content: Buffer.alloc(4 * 1024 * 1024) }], new Date()),
  );
  return assemble({ body, records: Array.from({ length: 20 }, () => records[0] as Buffer) });
}

/** Version Secrets are immutable: a tenant forges one by deleting it and creating a look-alike. */
async function forgeZip(namespace: string, name: string, zip: Buffer): Promise<void> {
  const secret = await getSecret(namespace, name);
  const zipKey = Object.keys(secret?.data ?? {}).find((key) => key.endsWith('.zip'));
  if (!secret || !zipKey) throw new Error(`Secret ${namespace}/${name} holds no zip`);
  const { labels, annotations, ownerReferences } = secret.metadata ?? {};
  await core().deleteNamespacedSecret({ namespace, name });
  await core().createNamespacedSecret({
    namespace,
    body: {
      ...secret,
      metadata: { name, namespace, labels, annotations, ownerReferences },
      data: { ...secret.data, [zipKey]: zip.toString('base64') },
    },
  });
}

it('never opens a forged zip bomb in a version Secret: the key is not carried over, the bundle rotates', async () => {
  const namespace = await createTestNamespace('op-forged-zip');
  operator = await startTestOperator({ namespace });
  await createServerCaConfigMap(namespace);
  await createClusterRef(namespace, 'orders', managedClusterSpec());
  await waitFor(() => getClusterRef(namespace, 'orders'), isReady, 'cluster ref Ready');
  await createBundle(namespace, 'keep', {
    clusterRef: { name: 'orders' },
    platforms: ['nodejs'],
    privateKey: { rotationPolicy: 'Never' },
  });
  await waitFor(() => getBundle(namespace, 'keep'), isReady, 'keep Ready');

  // Control: a rotation reads v1's zip for its key and issues v2.
  await patchObject(namespace, 'secureconnectionbundles', 'keep', {
    metadata: { annotations: { 'scb-operator.io/rotate': 'first' } },
  });
  await waitFor(
    () => getBundle(namespace, 'keep'),
    (bundle) => isReady(bundle) && bundle.status?.currentVersion === 2,
    'keep at version 2',
  );

  // The forgery lands while the operator is away (a tenant racing a running operator can land it
  // between two reconciles too); then a rotation makes the operator read the key from v2's zip.
  await stopOperator(operator);
  operator = undefined;
  const bomb = twentyRecordsAtOneEntry();
  expect(bomb.length).toBeLessThan(20 * 1024);
  await forgeZip(namespace, 'keep-scb-v2', bomb);
  await patchObject(namespace, 'secureconnectionbundles', 'keep', {
    metadata: { annotations: { 'scb-operator.io/rotate': 'second' } },
  });
  const keyAtV2 = (await getSecret(namespace, 'keep-scb'))?.data?.['key'];
  operator = await startTestOperator({ namespace });
  const rotated = await waitFor(
    () => getBundle(namespace, 'keep'),
    (bundle) => isReady(bundle) && bundle.status?.currentVersion === 3,
    'keep at version 3',
  );
  expect(rotated.status?.versions?.map((entry) => entry.version)).toEqual([3, 2, 1]);
  expect((await getSecret(namespace, 'keep-scb'))?.data?.['key']).not.toEqual(keyAtV2);
  const warning = await operator.waitForLog(
    (line) => line.message === 'current version Secret does not hold the recorded bundle; a new key is made',
    'the forged version Secret noticed',
  );
  expect(warning['version']).toBe(2);
  expect(operator.logs.some((line) => JSON.stringify(line).includes('ZipEntryTooLarge'))).toBe(false);
  const running = operator;
  const stillRunning = await Promise.race([running.exited.then(() => false), Promise.resolve(true)]);
  expect(stillRunning).toBe(true);
});
