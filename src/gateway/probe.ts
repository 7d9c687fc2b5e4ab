/**
 * Probes a gateway the way drivers in cloud mode will use it: the metadata service with a
 * bundle identity, then every node it lists through the SNI proxy, checking each node
 * certificate against the proxy's DNS name (the Node.js driver's rule, the strictest of the
 * three: Java also accepts it, Python checks no name) and asking the node for its CQL options, so
 * a node that refuses the client certificate counts as failing. The first failure names the node.
 */
import https from 'node:https';
import tls from 'node:tls';
import type { SecretValue } from '../observability/secret-value.js';

export interface GatewayProbeInput {
  metadataHost: string;
  metadataPort: number;
  identity: { certPem: string; keyPem: SecretValue };
  /** PEM CAs the bundle trusts (its ca.crt): the node CA and the metadata service's CA. */
  trustPem: string;
  timeoutMs: number;
  /**
   * The address to dial for a DNS name and port; default: the name itself (the system resolver).
   * The operator vets it against its outbound policy; a rejection fails that step.
   */
  resolve?: (name: string, port: number) => string | Promise<string>;
}

export type GatewayProbeResult =
  | { ok: true; nodes: string[] }
  | {
      ok: false;
      reason: 'MetadataUnreachable' | 'NoNodes' | 'NodeCertificateName' | 'NodeUnreachable';
      message: string;
      node?: string;
    };

/** A CQL OPTIONS request (protocol v4, stream 1); a node answers SUPPORTED (opcode 6). */
const OPTIONS_FRAME = Buffer.from([0x04, 0x00, 0x00, 0x01, 0x05, 0x00, 0x00, 0x00, 0x00]);
const OPCODE_SUPPORTED = 0x06;

export async function probeGateway(input: GatewayProbeInput): Promise<GatewayProbeResult> {
  const resolve = input.resolve ?? ((name: string) => name);
  let document: { contact_info?: { contact_points?: unknown; sni_proxy_address?: unknown } };
  try {
    const address = await resolve(input.metadataHost, input.metadataPort);
    document = JSON.parse(await fetchMetadata(input, address)) as typeof document;
  } catch (error) {
    return {
      ok: false,
      reason: 'MetadataUnreachable',
      message: `metadata service https://${input.metadataHost}:${input.metadataPort}/metadata: ${String((error as Error).message ?? error)}`,
    };
  }
  const points = document.contact_info?.contact_points;
  const proxy = /^(.+):(\d+)$/.exec(String(document.contact_info?.sni_proxy_address ?? ''));
  if (!Array.isArray(points) || points.length === 0 || proxy === null) {
    return {
      ok: false,
      reason: 'NoNodes',
      message: 'the metadata service lists no node or no sni_proxy_address name:port',
    };
  }
  const [, proxyName, proxyPort] = proxy as unknown as [string, string, string];
  const nodes = points.map(String);
  let proxyAddress: string;
  try {
    proxyAddress = await resolve(proxyName, Number(proxyPort));
  } catch (error) {
    return {
      ok: false,
      reason: 'NodeUnreachable',
      node: nodes[0] as string,
      message: `node ${nodes[0]}: SNI proxy ${proxyName}:${proxyPort}: ${String((error as Error).message ?? error)}`,
    };
  }
  for (const node of nodes) {
    const failure = await probeNode(input, proxyAddress, Number(proxyPort), proxyName, node);
    if (failure !== undefined) return { ok: false, node, ...failure };
  }
  return { ok: true, nodes: points.map(String) };
}

function fetchMetadata(input: GatewayProbeInput, address: string): Promise<string> {
  return new Promise((done, fail) => {
    // A whole-answer deadline, not only an idle one: a server dripping bytes cannot hold the probe.
    const deadline = setTimeout(
      () => request.destroy(new Error(`no complete answer in ${input.timeoutMs} ms`)),
      input.timeoutMs,
    );
    const request = https.get(
      {
        host: address,
        port: input.metadataPort,
        path: '/metadata',
        servername: input.metadataHost,
        ca: input.trustPem,
        cert: input.identity.certPem,
        key: input.identity.keyPem.reveal(),
        agent: false,
        timeout: input.timeoutMs,
        checkServerIdentity: (_host, certificate) => tls.checkServerIdentity(input.metadataHost, certificate),
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
          if (body.length > 65_536) request.destroy(new Error('answer too large'));
        });
        response.on('end', () => {
          clearTimeout(deadline);
          if (response.statusCode === 200) done(body);
          else fail(new Error(`HTTP ${response.statusCode}`));
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer in ${input.timeoutMs} ms`)));
    request.on('error', (error) => {
      clearTimeout(deadline);
      fail(error);
    });
  });
}

function probeNode(
  input: GatewayProbeInput,
  address: string,
  port: number,
  proxyName: string,
  node: string,
): Promise<{ reason: 'NodeCertificateName' | 'NodeUnreachable'; message: string } | undefined> {
  return new Promise((done) => {
    const socket = tls.connect({
      host: address,
      port,
      servername: node,
      ca: input.trustPem,
      cert: input.identity.certPem,
      key: input.identity.keyPem.reveal(),
      checkServerIdentity: (_host, certificate) => tls.checkServerIdentity(proxyName, certificate),
    });
    const finish = (
      result: { reason: 'NodeCertificateName' | 'NodeUnreachable'; message: string } | undefined,
    ) => {
      clearTimeout(timer);
      socket.destroy();
      done(result);
    };
    const timer = setTimeout(
      () =>
        finish({
          reason: 'NodeUnreachable',
          message: `node ${node}: no CQL answer through ${proxyName}:${port} in ${input.timeoutMs} ms`,
        }),
      input.timeoutMs,
    );
    socket.once('secureConnect', () => socket.write(OPTIONS_FRAME));
    socket.once('data', (data: Buffer) =>
      finish(
        data[4] === OPCODE_SUPPORTED
          ? undefined
          : { reason: 'NodeUnreachable', message: `node ${node}: unexpected CQL answer (opcode ${data[4]})` },
      ),
    );
    socket.once('error', (error: Error & { code?: string }) =>
      finish(
        error.code === 'ERR_TLS_CERT_ALTNAME_INVALID'
          ? {
              reason: 'NodeCertificateName',
              message: `node ${node}: its certificate has no DNS name ${proxyName} (the SNI proxy's name, which drivers check): ${error.message}`,
            }
          : {
              reason: 'NodeUnreachable',
              message: `node ${node} through ${proxyName}:${port}: ${error.message}`,
            },
      ),
    );
    socket.once('close', () =>
      finish({
        reason: 'NodeUnreachable',
        message: `node ${node}: connection closed through ${proxyName}:${port}`,
      }),
    );
  });
}
