/**
 * The Argo CD and Flux examples point at things that exist: the chart (rendered with the
 * Application's own values by the real helm), deploy/base, and our kinds for Flux's health checks.
 */
import { jest } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { repositoryRoot } from '../../support/control-plane-binaries.js';
import { parseManifests, renderChart } from '../../support/packaging.js';

jest.setTimeout(60_000);

interface GitOpsObject {
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
}

const load = (file: string) =>
  yaml.loadAll(readFileSync(path.join(repositoryRoot, 'examples/gitops', file), 'utf8')) as GitOpsObject[];

describe('the Argo CD Application', () => {
  const [operator] = load('argocd/application.yaml');
  const source = operator?.spec['source'] as {
    path: string;
    helm: { releaseName: string; valuesObject: Record<string, unknown> };
  };
  const destination = operator?.spec['destination'] as { namespace: string };

  it("installs this repository's chart with values the chart accepts", async () => {
    expect(source.path).toBe('charts/scb-operator');
    const rendered = parseManifests(
      await renderChart({
        releaseName: source.helm.releaseName,
        namespace: destination.namespace,
        values: source.helm.valuesObject,
      }),
    );
    expect(rendered.map((object) => object.kind)).toContain('Deployment');
  });
});

describe('the Flux Kustomizations', () => {
  const objects = load('flux/scb-operator.yaml');
  const kustomization = (name: string) =>
    objects.find((object) => object.kind === 'Kustomization' && object.metadata.name === name)?.spec ?? {};

  it('install deploy/base and wait for it', () => {
    const operator = kustomization('scb-operator');
    expect(operator).toMatchObject({ path: './deploy/base', wait: true });
    expect(existsSync(path.join(repositoryRoot, 'deploy/base/kustomization.yaml'))).toBe(true);
  });

  it('wait for bundles and cluster references through their conditions, after the operator', () => {
    const bundles = kustomization('orders-bundles');
    expect(bundles['dependsOn']).toEqual([{ name: 'scb-operator' }]);
    const checks = bundles['healthChecks'] as { apiVersion: string; kind: string }[];
    expect(new Set(checks.map((check) => `${check.apiVersion} ${check.kind}`))).toEqual(
      new Set([
        'scb-operator.io/v1alpha1 SecureConnectionBundle',
        'scb-operator.io/v1alpha1 CassandraClusterRef',
      ]),
    );
  });
});
