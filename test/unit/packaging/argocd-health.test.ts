/**
 * The Argo CD health check, run by real Lua interpreters (5.4, and 5.1 as Argo CD's gopher-lua
 * speaks it) against status objects shaped as the operator writes them (test/fixtures/status),
 * and the argocd-cm snippet carrying the same script for both kinds.
 */
import { jest } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { healthCheckedKinds, healthCustomizationKey } from '../../../tools/packaging/argocd-health-config.js';
import { repositoryRoot } from '../../support/control-plane-binaries.js';
import { packagingBinDir } from '../../support/packaging.js';
import { luaInterpreters, runHealthCheck } from '../../support/packaging-lua.js';

jest.setTimeout(60_000);

const script = path.join(repositoryRoot, 'charts/scb-operator/argocd/health.lua');
const fixturesDir = path.join(repositoryRoot, 'test/fixtures/status');
const fixture = (file: string): unknown => JSON.parse(readFileSync(path.join(fixturesDir, file), 'utf8'));

/** What Argo CD must show for each fixture, and words the message must carry. */
const expected: Record<string, { status: string; message: RegExp }> = {
  'scb-no-status.json': { status: 'Progressing', message: /Waiting for the operator to report status/ },
  'scb-issuing.json': { status: 'Progressing', message: /^Issuing: Issuing version 1$/ },
  'scb-generation-behind.json': { status: 'Progressing', message: /observe generation 3$/ },
  'scb-ready.json': { status: 'Healthy', message: /^Published: Version 2 is issued/ },
  'scb-stalled.json': { status: 'Degraded', message: /^NamespaceNotAllowed: .*spec\.access\.namespaces/ },
  'scb-failing.json': {
    status: 'Degraded',
    message: /^ServerCANotFound: ConfigMap orders\/cassandra-server-ca/,
  },
  'scb-suspended.json': { status: 'Suspended', message: /spec\.suspend is true/ },
  'ccr-ready.json': { status: 'Healthy', message: /^Ready: Client CA, server CA and trust bundle/ },
  'ccr-rotating-ca.json': { status: 'Progressing', message: /^RotatingClientCA: / },
  'ccr-stalled.json': { status: 'Degraded', message: /^ServerCAMissing: / },
  'ccr-not-ready.json': { status: 'Degraded', message: /^TrustBundlePublishFailed: / },
};

beforeAll(() => {
  // build.sh installs the interpreters (and builds helm and promtool) when they are missing.
  packagingBinDir();
});

it('has an expectation for every status fixture, and a fixture for every health status', () => {
  expect(readdirSync(fixturesDir).sort()).toEqual(Object.keys(expected).sort());
  expect(new Set(Object.values(expected).map((e) => e.status))).toEqual(
    new Set(['Healthy', 'Progressing', 'Degraded', 'Suspended']),
  );
});

describe.each(luaInterpreters)('with %s', (interpreter) => {
  it.each(Object.entries(expected))('%s is %p', async (file, { status, message }) => {
    const health = await runHealthCheck(interpreter, script, fixture(file));
    expect(health.status).toBe(status);
    expect(health.message).toMatch(message);
  });

  it('reads a condition whose observedGeneration lags as Progressing, even when the status one is current', async () => {
    const object = fixture('scb-ready.json') as {
      metadata: { generation: number };
      status: { conditions: { observedGeneration: number }[] };
    };
    object.metadata.generation = 3;
    (object.status as unknown as { observedGeneration: number }).observedGeneration = 3;
    expect(await runHealthCheck(interpreter, script, object)).toEqual({
      status: 'Progressing',
      message: 'Waiting for the operator to observe generation 3',
    });
  });

  it('prefers Degraded to Suspended when a suspended bundle is also stalled', async () => {
    const stalled = fixture('scb-stalled.json') as { spec: Record<string, unknown> };
    stalled.spec['suspend'] = true;
    expect((await runHealthCheck(interpreter, script, stalled)).status).toBe('Degraded');
  });
});

it('registers the tested script, unchanged, for both kinds in the argocd-cm snippet', () => {
  const snippet = yaml.load(
    readFileSync(path.join(repositoryRoot, 'charts/scb-operator/argocd/argocd-cm-health.yaml'), 'utf8'),
  ) as { kind: string; metadata: { name: string }; data: Record<string, string> };
  expect(snippet.kind).toBe('ConfigMap');
  expect(snippet.metadata.name).toBe('argocd-cm');
  const lua = readFileSync(script, 'utf8');
  expect(Object.keys(snippet.data).sort()).toEqual(healthCheckedKinds.map(healthCustomizationKey).sort());
  for (const kind of healthCheckedKinds) expect(snippet.data[healthCustomizationKey(kind)]).toBe(lua);
});
