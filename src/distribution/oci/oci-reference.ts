/**
 * OCI references as users write them (`registry.example.com/team/app-scb`, with `:v3`, `:latest`
 * or `@sha256:...`, optionally after `oci://`), checked against the distribution-spec grammar.
 * Pure. The repository is tenant-written: a name that is not a plain host and path is refused
 * here, before any URL is built from it.
 */
import { InvalidInputError } from '../../errors.js';

export interface OciRepository {
  /** host or host:port, lower-case; where the /v2/ API is served over HTTPS. */
  registry: string;
  /** Path inside the registry, e.g. team/app-scb. */
  repository: string;
}

export interface OciReference extends OciRepository {
  /** Exactly one of tag and digest. */
  tag?: string;
  digest?: string;
}

// distribution-spec: path components of lower-case alphanumerics joined by ., _, __ or -.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const REPOSITORY = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const HOST_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const REGISTRY = new RegExp(`^${HOST_LABEL}(?:\\.${HOST_LABEL})*(?::[0-9]{1,5})?$`);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
export const DIGEST = /^sha256:[a-f0-9]{64}$/;
/** The distribution-spec bound on a repository name, registry included. */
const MAX_NAME = 255;

/**
 * `registry/repository` without tag or digest (spec.target.ociRepository.repository). The first
 * path segment must be a host (it has a dot or a port, or is localhost): `team/app` alone would
 * mean Docker Hub to other clients, and guessing a registry for a credential push is refused.
 */
export function parseRepository(text: string, field: string): OciRepository {
  const slash = text.indexOf('/');
  const registry = slash < 0 ? '' : text.slice(0, slash);
  const repository = slash < 0 ? '' : text.slice(slash + 1);
  const example = 'e.g. registry.example.com/team/orders-scb';
  if (
    !REGISTRY.test(registry) ||
    !(registry.includes('.') || registry.includes(':') || registry === 'localhost')
  ) {
    throw new InvalidInputError(
      'InvalidOciRepository',
      `${field} must start with the registry host (a name with a dot, or host:port), then '/' and the repository path; ${example}`,
      field,
    );
  }
  const port = registry.includes(':') ? Number(registry.slice(registry.indexOf(':') + 1)) : 443;
  if (port < 1 || port > 65535) {
    throw new InvalidInputError(
      'InvalidOciRepository',
      `${field} names port ${port}, which is not a TCP port; ${example}`,
      field,
    );
  }
  if (!REPOSITORY.test(repository) || text.length > MAX_NAME) {
    throw new InvalidInputError(
      'InvalidOciRepository',
      `${field} has the repository path "${repository}": use '/'-separated lower-case letters and digits joined by '.', '_' or '-', at most ${MAX_NAME} characters in all; ${example}`,
      field,
    );
  }
  return { registry: registry.toLowerCase(), repository };
}

/** `oci://registry/repository:tag` or `...@sha256:<hex>` (the `oci://` is optional). */
export function parseReference(text: string, field: string): OciReference {
  const body = text.startsWith('oci://') ? text.slice('oci://'.length) : text;
  const at = body.indexOf('@');
  if (at >= 0) {
    const digest = body.slice(at + 1);
    if (!DIGEST.test(digest)) {
      throw new InvalidInputError(
        'InvalidOciReference',
        `${field}: ${digest} is not a sha256:<64 hex digits> digest`,
        field,
      );
    }
    return { ...parseRepository(body.slice(0, at), field), digest };
  }
  // A tag follows the last ':' after the last '/' (a ':' before it is the registry's port).
  const lastSlash = body.lastIndexOf('/');
  const colon = body.indexOf(':', lastSlash + 1);
  if (lastSlash < 0 || colon < 0) {
    throw new InvalidInputError(
      'InvalidOciReference',
      `${field}: ${text} names no tag or digest; write oci://registry.example.com/team/orders-scb:v3 (or :latest)`,
      field,
    );
  }
  const tag = body.slice(colon + 1);
  if (!TAG.test(tag)) {
    throw new InvalidInputError(
      'InvalidOciReference',
      `${field}: "${tag}" is not a tag (letters, digits, '_', '.', '-', at most 128, not starting with '.' or '-')`,
      field,
    );
  }
  return { ...parseRepository(body.slice(0, colon), field), tag };
}

/** The version a `v<N>` tag names, else undefined (`latest`, `v01`, anything else). */
export function versionOfTag(tag: string): number | undefined {
  const match = /^v([1-9][0-9]{0,8})$/.exec(tag);
  return match ? Number(match[1]) : undefined;
}

export function versionTag(version: number): string {
  return `v${version}`;
}

export const LATEST_TAG = 'latest';

/** The tag the referrers tag schema files a subject's referrers under (OCI 1.1 fallback). */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-');
}
