/**
 * The status objects the Argo CD health check is tested against (test/fixtures/status) are shaped
 * as the CRDs say: the real kube-apiserver accepts each spec and each status through the /status
 * subresource, and gives the status back unchanged (nothing pruned, nothing defaulted away).
 */
import { jest } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { repositoryRoot } from '../../support/control-plane-binaries.js';
import { createTestNamespace, kubectl } from '../../support/kube.js';

jest.setTimeout(120_000);

interface Fixture {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

const fixturesDir = path.join(repositoryRoot, 'test/fixtures/status');
const fixtures = readdirSync(fixturesDir)
  .filter((file) => file.endsWith('.json'))
  .sort();

let namespace: string;
beforeAll(async () => {
  namespace = await createTestNamespace('status-fixtures');
});

it.each(fixtures)('%s is accepted by the CRD schema and read back unchanged', async (file) => {
  const fixture = JSON.parse(readFileSync(path.join(fixturesDir, file), 'utf8')) as Fixture;
  const name = path.basename(file, '.json');
  const resource = fixture.kind === 'SecureConnectionBundle' ? 'scb' : 'ccr';
  const manifest = {
    apiVersion: fixture.apiVersion,
    kind: fixture.kind,
    metadata: { name },
    spec: fixture.spec,
  };
  await kubectl(['create', '-f', '-'], { namespace, input: JSON.stringify(manifest) });
  if (fixture.status) {
    await kubectl(
      [
        'patch',
        resource,
        name,
        '--subresource=status',
        '--type=merge',
        '--patch',
        JSON.stringify({ status: fixture.status }),
      ],
      { namespace },
    );
  }
  const stored = JSON.parse(
    await kubectl(['get', resource, name, '--output=json'], { namespace }),
  ) as Fixture;
  expect(stored.status).toEqual(fixture.status);
});
