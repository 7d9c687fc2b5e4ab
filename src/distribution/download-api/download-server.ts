import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { InvalidInputError } from '../../errors.js';
import { classifyError } from '../../kube/errors.js';
import { readPemBlocks } from '../../pki/pem.js';
import type { Logger } from '../../observability/logger.js';
import type { ObjectLabels } from '../../observability/metrics.js';
import type { Clock } from '../../time/clock.js';
import { findBundleArchive, type ArchiveSource, type BundleArchive } from './bundle-archive.js';
import { CallerAuthorization, MAX_REVIEW_CACHE_TTL_MS, type AccessReviewer } from './caller-authorization.js';
import { downloadPath, parseDownloadRoute, type BundleRef } from './download-routes.js';
import { assertLinkKey, checkLink, linkTtlSeconds, signLink } from './signed-links.js';
import { selfSignedTlsIdentity } from './tls-identity.js';
import { UsedLinks } from './used-links.js';
import type { SecretValue } from '../../observability/secret-value.js';
import { statusTime } from '../../controllers/status-time.js';
import type { ServedDownload } from '../usage/download-records.js';

export interface DownloadApiOptions {
  /** KubeObjects: getBundle, getSecret, reviewToken, reviewAccess. */
  kube: ArchiveSource & AccessReviewer;
  /** 0 picks a free port (tests). */
  port: number;
  /** Default 0.0.0.0. */
  host?: string;
  /** Serving certificate and key (PEM); undefined: a self-signed ECDSA one is made at start. */
  tls: { certPem: string; keyPem: SecretValue<string> } | undefined;
  /** Names the self-signed certificate covers; default localhost, 127.0.0.1, ::1. */
  selfSignedNames?: readonly string[];
  clock: Clock;
  logger: Logger;
  metrics: { recordDownload(object: ObjectLabels): void };
  /** HMAC key of signed links (at least 32 bytes), the same on every replica. */
  linkKey: SecretValue<Buffer>;
  /** Base URL put in minted links, e.g. https://scb-download.scb-system.svc:8443; default from the Host header. */
  publicUrl?: string;
  /** How long TokenReview and SubjectAccessReview answers are reused; 0 off; at most 10 s (the default). */
  reviewCacheTtlMs?: number;
  /** Told of every archive served (GET, not HEAD): the usage status records who and when. */
  onDownload?: (download: ServedDownload) => void;
}

export interface DownloadApi {
  port: number;
  /** SHA-256 of the serving certificate (DER), hex. */
  certificateSha256: string;
  /** The serving certificate (PEM): the self-signed one, for clients to trust. */
  certificatePem: string;
  close(): Promise<void>;
}

const MAX_LINK_REQUEST_BYTES = 4096;

/** An answer with a status and a JSON body `{error, message}`; thrown inside a request. */
class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The HTTPS download API (see docs/distribution.md): bundle zips for callers with a Kubernetes
 * bearer token that a SubjectAccessReview allows `get` on `secureconnectionbundles/download`, or
 * with a signed link minted by such a caller. Every download writes one audit line.
 */
export async function startDownloadApi(options: DownloadApiOptions): Promise<DownloadApi> {
  assertLinkKey(options.linkKey.reveal());
  const tls =
    options.tls ??
    (await selfSignedTlsIdentity(
      options.selfSignedNames ?? ['localhost', '127.0.0.1', '::1'],
      options.clock,
    ));
  const fingerprint = certificateSha256(tls.certPem);
  const context: RequestContext = {
    options,
    callers: new CallerAuthorization(
      options.kube,
      options.clock,
      options.reviewCacheTtlMs ?? MAX_REVIEW_CACHE_TTL_MS,
    ),
    usedLinks: new UsedLinks(options.clock),
  };
  const server = createServer({ cert: tls.certPem, key: tls.keyPem.reveal() }, (request, response) => {
    handle(context, request, response).catch((error: unknown) => refuse(context, response, error));
  });
  server.requestTimeout = 30_000;
  await listen(server, options.port, options.host ?? '0.0.0.0');
  const port = (server.address() as AddressInfo).port;
  options.logger.info('download API listening', {
    port,
    certificateSha256: fingerprint,
    selfSigned: options.tls === undefined,
  });
  return {
    port,
    certificateSha256: fingerprint,
    certificatePem: tls.certPem,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

interface RequestContext {
  options: DownloadApiOptions;
  callers: CallerAuthorization;
  usedLinks: UsedLinks;
}

async function handle(context: RequestContext, request: IncomingMessage, response: ServerResponse) {
  const url = new URL(request.url ?? '/', 'https://download.invalid');
  const route = parseDownloadRoute(url.pathname);
  if (!route) {
    throw new HttpRefusal(
      404,
      'NotFound',
      `no such path ${url.pathname}: use /v1/namespaces/{namespace}/bundles/{name}[/versions/{N}]`,
    );
  }
  const method = request.method ?? 'GET';
  if (route.kind === 'links') {
    allowMethods(response, method, ['POST']);
    await mintLink(context, request, response, route.bundle);
    return;
  }
  allowMethods(response, method, ['GET', 'HEAD']);
  if (url.searchParams.has('sig')) {
    await downloadWithLink(context, request, response, url, route.bundle, route.version);
    return;
  }
  const username = await authorizeBearer(context, request, route.bundle);
  const archive = await archiveOrRefuse(context, route.bundle, route.version);
  serve(context, request, response, archive, route.bundle, { user: username });
}

async function downloadWithLink(
  context: RequestContext,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  bundle: BundleRef,
  version: number | undefined,
) {
  const check = checkLink(context.options.linkKey.reveal(), {
    method: request.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    now: context.options.clock.now(),
  });
  if (!check.ok) {
    const why = {
      MalformedLink: 'the link is incomplete or malformed: ask for a new one',
      BadSignature: 'the link signature does not match: the link was altered or signed with another key',
      LinkExpired: 'the link has expired: ask for a new one',
    }[check.reason];
    throw new HttpRefusal(403, check.reason, why);
  }
  const archive = await archiveOrRefuse(context, bundle, version);
  // Claimed only once the archive is found, so a link spent on a 404 is not lost. HEAD never
  // spends a link: it serves no bytes.
  if (check.claims.singleUse && request.method !== 'HEAD') {
    const claim = context.usedLinks.claim(check.claims.linkId, check.claims.expiresAt);
    if (claim === 'spent')
      throw new HttpRefusal(
        403,
        'LinkAlreadyUsed',
        'this single-use link was already used: ask for a new one',
      );
    if (claim === 'full') {
      throw new HttpRefusal(
        503,
        'TooManySingleUseLinks',
        'too many single-use links are outstanding: retry later or use a token',
      );
    }
  }
  serve(context, request, response, archive, bundle, {
    user: 'signed-link',
    linkId: check.claims.linkId,
    ...(check.claims.mintedBy !== undefined ? { mintedBy: check.claims.mintedBy } : {}),
  });
}

async function mintLink(
  context: RequestContext,
  request: IncomingMessage,
  response: ServerResponse,
  bundle: BundleRef,
) {
  const username = await authorizeBearer(context, request, bundle);
  const body = await readLinkRequest(request);
  const { clock, linkKey, logger, publicUrl } = context.options;
  const link = signLink(linkKey.reveal(), {
    path: downloadPath(bundle, body.version),
    now: clock.now(),
    ttlSeconds: body.ttlSeconds,
    singleUse: body.singleUse,
    mintedBy: username,
  });
  const base = publicUrl ?? `https://${request.headers.host ?? 'localhost'}`;
  logger.info('download link issued', {
    audit: 'download-link',
    user: username,
    namespace: bundle.namespace,
    name: bundle.name,
    version: body.version ?? 'current',
    linkId: link.linkId,
    expiresAt: link.expiresAt.toISOString(),
    singleUse: link.singleUse,
  });
  sendJson(response, 201, {
    url: `${base.replace(/\/+$/, '')}${link.pathAndQuery}`,
    expiresAt: link.expiresAt.toISOString(),
    singleUse: link.singleUse,
    linkId: link.linkId,
  });
}

async function authorizeBearer(
  context: RequestContext,
  request: IncomingMessage,
  bundle: BundleRef,
): Promise<string> {
  const header = request.headers.authorization;
  const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
  if (token === '') {
    throw new HttpRefusal(
      401,
      'Unauthorized',
      'send "Authorization: Bearer <Kubernetes token>" (e.g. kubectl create token <serviceaccount>) or use a signed link',
    );
  }
  const decision = await context.callers.authorize(token, bundle);
  if (decision.outcome === 'unauthenticated') throw new HttpRefusal(401, 'Unauthorized', decision.reason);
  if (decision.outcome === 'forbidden') {
    context.options.logger.info('download refused', {
      audit: 'download-refused',
      user: decision.username,
      namespace: bundle.namespace,
      name: bundle.name,
    });
    throw new HttpRefusal(403, 'Forbidden', decision.reason);
  }
  return decision.username;
}

async function archiveOrRefuse(
  context: RequestContext,
  bundle: BundleRef,
  version: number | undefined,
): Promise<BundleArchive> {
  const lookup = await findBundleArchive(context.options.kube, bundle, version);
  if (!lookup.found) throw new HttpRefusal(404, 'NotFound', lookup.message);
  return lookup.archive;
}

function serve(
  context: RequestContext,
  request: IncomingMessage,
  response: ServerResponse,
  archive: BundleArchive,
  bundle: BundleRef,
  caller: { user: string; linkId?: string; mintedBy?: string },
) {
  response.writeHead(200, {
    'Content-Type': 'application/zip',
    'Content-Length': archive.content.length,
    'Content-Disposition': `attachment; filename="${archive.fileName}"`,
    'Cache-Control': 'no-store',
    'X-SCB-Bundle-Version': String(archive.version),
    'X-SCB-Bundle-SHA256': archive.sha256,
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  response.end(archive.content);
  context.options.logger.info('bundle downloaded', {
    audit: 'download',
    ...caller,
    namespace: bundle.namespace,
    name: bundle.name,
    version: archive.version,
    bytes: archive.content.length,
    bundleSHA256: archive.sha256,
  });
  context.options.metrics.recordDownload(bundle);
  context.options.onDownload?.({
    namespace: bundle.namespace,
    name: bundle.name,
    version: archive.version,
    ...(caller.linkId !== undefined
      ? { identity: caller.mintedBy ?? 'signed-link', via: 'SignedLink' as const, linkId: caller.linkId }
      : { identity: caller.user, via: 'Token' as const }),
    time: statusTime(context.options.clock.now()),
  });
}

function allowMethods(response: ServerResponse, method: string, allowed: readonly string[]) {
  if (allowed.includes(method)) return;
  response.setHeader('Allow', allowed.join(', '));
  throw new HttpRefusal(
    405,
    'MethodNotAllowed',
    `${method} is not allowed here: use ${allowed.join(' or ')}`,
  );
}

interface LinkRequest {
  version: number | undefined;
  ttlSeconds: number;
  singleUse: boolean;
}

async function readLinkRequest(request: IncomingMessage): Promise<LinkRequest> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_LINK_REQUEST_BYTES) {
      throw new HttpRefusal(
        413,
        'RequestTooLarge',
        `the link request body must be at most ${MAX_LINK_REQUEST_BYTES} bytes`,
      );
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  let body: unknown = {};
  try {
    if (text !== '') body = JSON.parse(text);
  } catch {
    throw new HttpRefusal(
      400,
      'InvalidLinkRequest',
      'the link request body is not JSON: send {"ttlSeconds": 300, "singleUse": true, "version": 3} (all optional)',
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpRefusal(400, 'InvalidLinkRequest', 'the link request body must be a JSON object');
  }
  const { version, ttlSeconds, singleUse } = body as Record<string, unknown>;
  if (
    version !== undefined &&
    (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1)
  ) {
    throw new HttpRefusal(
      400,
      'InvalidLinkRequest',
      'version must be a bundle version number (1 or more); omit it for the current version',
    );
  }
  if (singleUse !== undefined && typeof singleUse !== 'boolean') {
    throw new HttpRefusal(400, 'InvalidLinkRequest', 'singleUse must be true or false');
  }
  return { version, ttlSeconds: linkTtlSeconds(ttlSeconds), singleUse: singleUse === true };
}

function refuse(context: RequestContext, response: ServerResponse, error: unknown) {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  if (error instanceof HttpRefusal) {
    if (error.status === 401) response.setHeader('WWW-Authenticate', 'Bearer realm="scb-operator"');
    sendJson(response, error.status, { error: error.reason, message: error.message });
    return;
  }
  if (error instanceof InvalidInputError) {
    sendJson(response, 400, { error: error.reason, message: error.message });
    return;
  }
  // The apiserver failed us (TokenReview, SubjectAccessReview or a read): nothing the caller did.
  const classified = classifyError(error);
  context.options.logger.warn('download API request failed', {
    reason: classified.reason,
    error: classified.message,
  });
  sendJson(response, 503, {
    error: 'Unavailable',
    message: 'the Kubernetes API could not be reached: retry shortly',
  });
}

function sendJson(response: ServerResponse, status: number, body: object) {
  const text = `${JSON.stringify(body)}\n`;
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  response.end(text);
}

function certificateSha256(certPem: string): string {
  const [first] = readPemBlocks(certPem).filter((block) => block.label === 'CERTIFICATE');
  if (!first) {
    throw new InvalidInputError(
      'InvalidServingCertificate',
      'tls.certPem holds no PEM CERTIFICATE: pass the serving certificate',
      'tls.certPem',
    );
  }
  return createHash('sha256').update(first.der).digest('hex');
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
