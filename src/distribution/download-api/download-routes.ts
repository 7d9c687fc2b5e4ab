/**
 * The download API's paths, parsed in one place so the server, the link signer and the CLI agree:
 *   /v1/namespaces/{ns}/bundles/{name}                  the current version's zip
 *   /v1/namespaces/{ns}/bundles/{name}/versions/{N}     version N's zip
 *   /v1/namespaces/{ns}/bundles/{name}/links            POST: mint a signed link
 */
export interface BundleRef {
  namespace: string;
  name: string;
}

export type DownloadRoute =
  { kind: 'download'; bundle: BundleRef; version: number | undefined } | { kind: 'links'; bundle: BundleRef };

const DNS_LABEL = '[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?';
const DNS_SUBDOMAIN = '[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?';
const ROUTE = new RegExp(
  `^/v1/namespaces/(${DNS_LABEL})/bundles/(${DNS_SUBDOMAIN})(?:/versions/([1-9][0-9]{0,8})|/(links))?$`,
);

/** Undefined for any path that is not one of ours (the server answers 404). */
export function parseDownloadRoute(pathname: string): DownloadRoute | undefined {
  const match = ROUTE.exec(pathname);
  if (!match) return undefined;
  const [, namespace = '', name = '', version, links] = match;
  const bundle = { namespace, name };
  if (links) return { kind: 'links', bundle };
  return { kind: 'download', bundle, version: version === undefined ? undefined : Number(version) };
}

export function downloadPath(bundle: BundleRef, version: number | undefined): string {
  const base = `/v1/namespaces/${bundle.namespace}/bundles/${bundle.name}`;
  return version === undefined ? base : `${base}/versions/${version}`;
}

export function linksPath(bundle: BundleRef): string {
  return `${downloadPath(bundle, undefined)}/links`;
}
