/**
 * A small client of the OCI distribution API (/v2/) for one repository: blob existence and
 * monolithic upload, manifests by tag or digest, the tag list, manifest deletion, and referrers
 * (the OCI 1.1 API, or the referrers tag schema where a registry lacks it). HTTPS only, through
 * the agent it is given (the operator's is the outbound guard's). Answers a 401 challenge with
 * Basic credentials or the Bearer token flow. Credentials are revealed only into a header.
 */
import https from 'node:https';
import { type IncomingHttpHeaders } from 'node:http';
import { parseAuthChallenge, repositoryScope } from './auth-challenge.js';
import {
  digestOf,
  MEDIA_TYPES,
  parseImageManifest,
  parseIndex,
  type Content,
  type Descriptor,
} from './artifact-manifest.js';
import { referrersTag, type OciRepository } from './oci-reference.js';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface RegistryClientOptions extends OciRepository {
  /** Called for each authentication; undefined: anonymous. */
  credentials?: () => RegistryCredentials | undefined;
  /** Every connection goes through it (the operator passes the outbound guard's). */
  agent: https.Agent;
  /** Extra PEM CA to trust besides the system's (scbctl --registry-ca). */
  ca?: string;
  timeoutMs?: number;
}

/** A registry call that failed; `status` undefined when no HTTP answer came back. */
export class RegistryCallError extends Error {
  override readonly name = 'RegistryCallError';

  constructor(
    readonly operation: string,
    readonly status: number | undefined,
    /** The distribution-spec error code of the answer (UNAUTHORIZED, DENIED, ...), when it had one. */
    readonly code: string | undefined,
    /** The answer came from something that speaks the registry API (its header or error body). */
    readonly speaksRegistry: boolean,
    options?: { cause?: unknown },
  ) {
    super(
      `${operation}: ${status === undefined ? 'no answer' : `HTTP ${status}`}${code ? ` ${code}` : ''}`,
      options,
    );
  }
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface Call {
  method: string;
  /** Path and query under https://<registry>, or an absolute URL (upload locations, realms). */
  target: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Refuse answers longer than this. */
  maxBytes?: number;
  operation: string;
  /** Bearer scope to ask for when the registry challenges. */
  actions: readonly string[];
}

const MANIFEST_LIMIT = 4 * 1024 * 1024;
/** The largest zip the operator makes is 8 MiB; its encryption adds a few hundred bytes. */
const BLOB_LIMIT = 9 * 1024 * 1024;
const ACCEPT_MANIFEST = `${MEDIA_TYPES.manifest}, ${MEDIA_TYPES.index}`;

export class RegistryClient {
  private readonly origin: string;
  private authorization: string | undefined;
  /** Blobs this client saw in the repository (the empty config is in every artifact). */
  private readonly present = new Set<string>();
  /** False once the registry showed it has no referrers API (a 404, or a manifest PUT without OCI-Subject). */
  private referrersApi: boolean | undefined;

  constructor(private readonly options: RegistryClientOptions) {
    // As URL.origin spells it (":443" dropped), so Location and Link URLs compare equal.
    this.origin = new URL(`https://${options.registry}`).origin;
  }

  private get base(): string {
    return `/v2/${this.options.repository}`;
  }

  /** The manifest's descriptor, or undefined when the reference does not exist. */
  async resolve(reference: string): Promise<Descriptor | undefined> {
    const answer = await this.call(
      {
        method: 'HEAD',
        target: `${this.base}/manifests/${reference}`,
        headers: { Accept: ACCEPT_MANIFEST },
        operation: `HEAD manifest ${reference}`,
        actions: ['pull'],
      },
      [200, 404],
    );
    if (answer.status === 404) return undefined;
    const digest = header(answer.headers, 'docker-content-digest');
    const mediaType = header(answer.headers, 'content-type') ?? MEDIA_TYPES.manifest;
    const size = Number(header(answer.headers, 'content-length') ?? 0);
    if (!digest) {
      // Without the header, the digest is that of the bytes themselves.
      const fetched = await this.manifest(reference);
      return fetched?.descriptor;
    }
    return { mediaType, digest, size };
  }

  /** The manifest's exact bytes; checked against the digest when fetched by digest. */
  async manifest(reference: string): Promise<Content | undefined> {
    const answer = await this.call(
      {
        method: 'GET',
        target: `${this.base}/manifests/${reference}`,
        headers: { Accept: ACCEPT_MANIFEST },
        maxBytes: MANIFEST_LIMIT,
        operation: `GET manifest ${reference}`,
        actions: ['pull'],
      },
      [200, 404],
    );
    if (answer.status === 404) return undefined;
    const digest = digestOf(answer.body);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new DigestMismatchError(`manifest ${reference}`, digest);
    }
    const mediaType = (header(answer.headers, 'content-type') ?? MEDIA_TYPES.manifest).split(';')[0] ?? '';
    return { bytes: answer.body, descriptor: { mediaType, digest, size: answer.body.length } };
  }

  /** PUT a manifest under a tag or its digest; true when the registry said it filed `subject` (OCI-Subject). */
  async putManifest(reference: string, manifest: Content): Promise<{ subjectFiled: boolean }> {
    const answer = await this.call(
      {
        method: 'PUT',
        target: `${this.base}/manifests/${reference}`,
        headers: { 'Content-Type': manifest.descriptor.mediaType },
        body: manifest.bytes,
        operation: `PUT manifest ${reference}`,
        actions: ['pull', 'push'],
      },
      [201],
    );
    const digest = header(answer.headers, 'docker-content-digest');
    if (digest && digest !== manifest.descriptor.digest) {
      throw new DigestMismatchError(`manifest ${reference}`, digest);
    }
    const subjectFiled = header(answer.headers, 'oci-subject') !== undefined;
    if (parseImageManifest(manifest.bytes)?.subject) this.referrersApi = subjectFiled;
    return { subjectFiled };
  }

  /** False when it was not there. */
  async deleteManifest(digest: string): Promise<boolean> {
    const answer = await this.call(
      {
        method: 'DELETE',
        target: `${this.base}/manifests/${digest}`,
        operation: `DELETE manifest ${digest}`,
        actions: ['pull', 'push', 'delete'],
      },
      [202, 404],
    );
    return answer.status === 202;
  }

  /** Uploads a blob unless the registry has it (HEAD, then POST + monolithic PUT). */
  async pushBlob(blob: Content, options: { fresh?: boolean } = {}): Promise<boolean> {
    const { digest } = blob.descriptor;
    if (this.present.has(digest)) return false;
    // A fresh blob (ciphertext under a new random data key) cannot be there yet: no HEAD.
    if (!options.fresh) {
      const head = await this.call(
        {
          method: 'HEAD',
          target: `${this.base}/blobs/${digest}`,
          operation: `HEAD blob ${digest}`,
          actions: ['pull', 'push'],
        },
        [200, 404],
      );
      if (head.status === 200) {
        this.present.add(digest);
        return false;
      }
    }
    const started = await this.call(
      {
        method: 'POST',
        target: `${this.base}/blobs/uploads/`,
        operation: 'POST blob upload',
        actions: ['pull', 'push'],
      },
      [202],
    );
    const location = header(started.headers, 'location');
    if (!location)
      throw new RegistryCallError('POST blob upload (no Location)', started.status, undefined, true);
    const url = new URL(location, this.origin);
    if (url.origin !== this.origin) {
      // An upload sent elsewhere would carry our token to a host the repository did not name.
      throw new RegistryCallError(
        `POST blob upload (Location on another host)`,
        started.status,
        undefined,
        true,
      );
    }
    url.searchParams.set('digest', digest);
    await this.call(
      {
        method: 'PUT',
        target: `${url.pathname}${url.search}`,
        headers: { 'Content-Type': 'application/octet-stream' },
        body: blob.bytes,
        operation: `PUT blob ${digest}`,
        actions: ['pull', 'push'],
      },
      [201],
    );
    this.present.add(digest);
    return true;
  }

  /** A blob's bytes, refused unless they match the descriptor's digest and size. */
  async blob(descriptor: Descriptor): Promise<Buffer> {
    if (descriptor.size > BLOB_LIMIT) {
      throw new RegistryCallError(
        `GET blob ${descriptor.digest} (declares ${descriptor.size} bytes)`,
        undefined,
        'BLOB_TOO_LARGE',
        true,
      );
    }
    const answer = await this.call(
      {
        method: 'GET',
        target: `${this.base}/blobs/${descriptor.digest}`,
        maxBytes: BLOB_LIMIT,
        operation: `GET blob ${descriptor.digest}`,
        actions: ['pull'],
      },
      [200],
    );
    const digest = digestOf(answer.body);
    if (digest !== descriptor.digest || answer.body.length !== descriptor.size) {
      throw new DigestMismatchError(`blob ${descriptor.digest}`, digest);
    }
    return answer.body;
  }

  /** Every tag of the repository (following the Link pages); none when the repository is new. */
  async tags(): Promise<string[]> {
    const tags: string[] = [];
    let target: string | undefined = `${this.base}/tags/list?n=1000`;
    for (let page = 0; target && page < 100; page++) {
      const answer: Answer = await this.call(
        {
          method: 'GET',
          target,
          maxBytes: MANIFEST_LIMIT,
          operation: 'GET tags',
          actions: ['pull'],
        },
        [200, 404],
      );
      if (answer.status === 404) return tags;
      const parsed = JSON.parse(answer.body.toString('utf8')) as { tags?: unknown };
      if (Array.isArray(parsed.tags))
        tags.push(...parsed.tags.filter((t): t is string => typeof t === 'string'));
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header(answer.headers, 'link') ?? '')?.[1];
      target = next ? nextPage(next, this.origin) : undefined;
    }
    return tags;
  }

  /**
   * The referrers of `digest` (optionally of one artifactType): the referrers API when the
   * registry serves it, else the index under the referrers tag schema's tag.
   */
  async referrers(digest: string, artifactType?: string): Promise<Descriptor[]> {
    if (this.referrersApi === false) return filtered(await this.referrersByTag(digest), artifactType);
    const query = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : '';
    const answer = await this.call(
      {
        method: 'GET',
        target: `${this.base}/referrers/${digest}${query}`,
        headers: { Accept: MEDIA_TYPES.index },
        maxBytes: MANIFEST_LIMIT,
        operation: `GET referrers ${digest}`,
        actions: ['pull'],
      },
      [200, 404],
    );
    const fromApi =
      answer.status === 200 && (header(answer.headers, 'content-type') ?? '').startsWith(MEDIA_TYPES.index)
        ? parseIndex(answer.body)
        : undefined;
    if (!fromApi) this.referrersApi = false;
    return filtered(fromApi ?? (await this.referrersByTag(digest)), artifactType);
  }

  /** The referrers tag schema's index for `digest`; empty when there is none. */
  private async referrersByTag(digest: string): Promise<Descriptor[]> {
    const index = await this.manifest(referrersTag(digest));
    return (index && parseIndex(index.bytes)) ?? [];
  }

  private async call(call: Call, expected: readonly number[]): Promise<Answer> {
    let answer = await this.send(call, this.authorization);
    if (answer.status === 401) {
      this.authorization = await this.authenticate(header(answer.headers, 'www-authenticate'), call);
      if (this.authorization) answer = await this.send(call, this.authorization);
    }
    if (!expected.includes(answer.status)) {
      throw new RegistryCallError(
        call.operation,
        answer.status,
        errorCode(answer.body),
        speaksRegistry(answer),
      );
    }
    return answer;
  }

  /** The Authorization header that answers the challenge, or undefined when none can. */
  private async authenticate(challengeHeader: string | undefined, call: Call): Promise<string | undefined> {
    const challenge = parseAuthChallenge(challengeHeader);
    const credentials = this.options.credentials?.();
    const basic = credentials
      ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
      : undefined;
    if (challenge?.scheme === 'basic') return basic;
    if (challenge?.scheme !== 'bearer') return undefined;
    const realm = new URL(challenge.realm);
    if (realm.protocol !== 'https:') {
      throw new RegistryCallError(
        `token realm ${realm.origin} is not https`,
        undefined,
        'INSECURE_REALM',
        true,
      );
    }
    if (challenge.service) realm.searchParams.set('service', challenge.service);
    realm.searchParams.set(
      'scope',
      challenge.scope ?? repositoryScope(this.options.repository, call.actions),
    );
    const answer = await this.send(
      { method: 'GET', target: realm.toString(), maxBytes: 64 * 1024, operation: 'GET token', actions: [] },
      basic,
    );
    if (answer.status !== 200) {
      throw new RegistryCallError(
        `GET token at ${realm.origin}`,
        answer.status,
        errorCode(answer.body),
        true,
      );
    }
    const parsed = JSON.parse(answer.body.toString('utf8')) as { token?: unknown; access_token?: unknown };
    const token = typeof parsed.token === 'string' ? parsed.token : parsed.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new RegistryCallError(
        `GET token at ${realm.origin} (no token in the answer)`,
        answer.status,
        undefined,
        true,
      );
    }
    return `Bearer ${token}`;
  }

  private send(call: Call, authorization: string | undefined): Promise<Answer> {
    const url = new URL(call.target, this.origin);
    const sameOrigin = url.origin === this.origin;
    const headers: Record<string, string> = {
      ...call.headers,
      ...(call.body ? { 'Content-Length': String(call.body.length) } : {}),
      // The registry's token goes only to the registry itself; a realm gets Basic credentials.
      ...(authorization && (sameOrigin || authorization.startsWith('Basic '))
        ? { Authorization: authorization }
        : {}),
    };
    const limit = call.maxBytes ?? MANIFEST_LIMIT;
    return new Promise((resolve, reject) => {
      const request = https.request(
        url,
        {
          method: call.method,
          headers,
          agent: this.options.agent,
          ...(this.options.ca ? { ca: this.options.ca } : {}),
          timeout: this.options.timeoutMs ?? 15_000,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let received = 0;
          response.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (received > limit) {
              request.destroy();
              reject(
                new RegistryCallError(
                  `${call.operation} (answer over ${limit} bytes)`,
                  response.statusCode,
                  'TOO_LARGE',
                  true,
                ),
              );
              return;
            }
            chunks.push(chunk);
          });
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: Buffer.concat(chunks),
            }),
          );
          response.on('error', (error) =>
            reject(new RegistryCallError(call.operation, undefined, undefined, false, { cause: error })),
          );
        },
      );
      request.on('timeout', () =>
        request.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' })),
      );
      request.on('error', (error) =>
        reject(new RegistryCallError(call.operation, undefined, undefined, false, { cause: error })),
      );
      request.end(call.body);
    });
  }
}

/** The bytes that came back are not the ones asked for. */
export class DigestMismatchError extends Error {
  override readonly name = 'DigestMismatchError';

  constructor(what: string, actual: string) {
    super(`${what}: the registry returned content whose digest is ${actual}; refused`);
  }
}

function filtered(descriptors: Descriptor[], artifactType: string | undefined): Descriptor[] {
  return artifactType ? descriptors.filter((d) => d.artifactType === artifactType) : descriptors;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function errorCode(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { errors?: Array<{ code?: unknown }> };
    const code = parsed.errors?.[0]?.code;
    return typeof code === 'string' && /^[A-Z_]{1,64}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

function speaksRegistry(answer: Answer): boolean {
  return (
    header(answer.headers, 'docker-distribution-api-version') !== undefined ||
    errorCode(answer.body) !== undefined
  );
}

/** A Link page on the registry itself; anything else ends the listing. */
function nextPage(link: string, origin: string): string | undefined {
  const url = new URL(link, origin);
  return url.origin === origin ? `${url.pathname}${url.search}` : undefined;
}
