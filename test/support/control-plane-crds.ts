/**
 * Installs every CustomResourceDefinition in a folder and waits until each is Established and
 * served by discovery (kubectl and informers resolve kinds through discovery, which can lag).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { apiRequest, type ApiTls } from './control-plane-api.js';

interface CustomResourceDefinition {
  kind?: string;
  metadata: { name: string };
  spec: { group: string; names: { plural: string }; versions: { name: string; served: boolean }[] };
}

export type WaitFor = (what: string, ready: () => Promise<boolean>) => Promise<void>;

export async function installCustomResourceDefinitions(
  server: string,
  tls: ApiTls,
  crdDir: string,
  waitFor: WaitFor,
): Promise<string[]> {
  const crdsPath = `${server}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`;
  const installed: CustomResourceDefinition[] = [];
  for (const fileName of readdirSync(crdDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    const documents = yaml.loadAll(
      readFileSync(path.join(crdDir, fileName), 'utf8'),
    ) as CustomResourceDefinition[];
    for (const crd of documents.filter((d) => d?.kind === 'CustomResourceDefinition')) {
      const response = await apiRequest(crdsPath, tls, 'POST', crd);
      if (response?.statusCode !== 201) {
        throw new Error(
          `kube-apiserver refused the CRD ${crd.metadata.name} in ${path.join(crdDir, fileName)}: ` +
            statusMessage(response?.body ?? 'no response'),
        );
      }
      installed.push(crd);
    }
  }
  for (const crd of installed) {
    await waitFor(`CRD ${crd.metadata.name} to be Established`, async () => {
      const response = await apiRequest(`${crdsPath}/${crd.metadata.name}`, tls);
      const conditions = response?.statusCode === 200 ? parseConditions(response.body) : [];
      return conditions.some((c) => c.type === 'Established' && c.status === 'True');
    });
    for (const version of crd.spec.versions.filter((v) => v.served)) {
      await waitFor(`discovery to serve ${crd.metadata.name} ${version.name}`, async () => {
        const response = await apiRequest(`${server}/apis/${crd.spec.group}/${version.name}`, tls);
        if (response?.statusCode !== 200) return false;
        const list = JSON.parse(response.body) as { resources: { name: string }[] };
        return list.resources.some((r) => r.name === crd.spec.names.plural);
      });
    }
  }
  return installed.map((crd) => crd.metadata.name);
}

function parseConditions(body: string): { type: string; status: string }[] {
  return (
    (JSON.parse(body) as { status?: { conditions?: { type: string; status: string }[] } }).status
      ?.conditions ?? []
  );
}

/** The apiserver's Status message, or the raw body when it is not a Status. */
function statusMessage(body: string): string {
  try {
    return (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    return body;
  }
}
