/**
 * The I/O half of the outbound policy: HTTP(S) agents that resolve a host once, check every
 * address it resolved to, and then dial exactly those addresses (a pinned lookup), so a DNS
 * answer that changes between the check and the connect (rebinding) cannot slip through. IP
 * literals are checked too: Node never calls `lookup` for them, which is why a lookup hook alone
 * is not enough. The resolver and the dialer are injectable, so tests record what would have
 * been dialled instead of dialling.
 */
import { promises as dns, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { formatIp, parseIpLiteral, type IpAddress } from './ip-address.js';
import { decideAddress, type OutboundPolicy } from './outbound-policy.js';
import { OutboundRefusedError } from './outbound-refusal.js';

export type Resolver = (host: string) => Promise<readonly LookupAddress[]>;

/** Opens the connection once the addresses are vetted: Node's own by default. */
export type Dialer = (options: http.ClientRequestArgs) => Duplex;

/** How an agent's createConnection answers asynchronously (Node's Agent passes one). */
type ConnectCallback = (error: Error | null, socket?: Duplex) => void;

export interface OutboundGuardOptions {
  policy: OutboundPolicy;
  /** Every address of a name; the system resolver (getaddrinfo, as Node uses) by default. */
  resolve?: Resolver;
  /** Replaces the agent's own connect: tests record what would have been dialled. */
  dial?: Dialer;
}

const systemResolver: Resolver = (host) => dns.lookup(host, { all: true, verbatim: true });

export class OutboundGuard {
  private readonly resolve: Resolver;

  constructor(private readonly options: OutboundGuardOptions) {
    this.resolve = options.resolve ?? systemResolver;
  }

  /**
   * The addresses to dial for `host`: the literal itself, or every address the name resolves to,
   * each allowed by the policy. One refused address refuses the host (OutboundRefusedError).
   */
  async vet(host: string): Promise<LookupAddress[]> {
    const literal = parseIpLiteral(host);
    if (literal) {
      this.check(host, literal, host);
      // IPv6 keeps its text (a zone index must survive); IPv4 legacy forms become dotted decimal.
      const address = literal.family === 4 ? formatIp(literal) : host.replace(/^\[(.*)\]$/, '$1');
      return [{ address, family: literal.family }];
    }
    const answers = await this.resolve(host);
    if (answers.length === 0) throw Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
    for (const answer of answers) {
      const address = parseIpLiteral(answer.address);
      if (!address) throw new Error(`the resolver answered ${host} with something that is not an address`);
      this.check(host, address, answer.address);
    }
    return [...answers];
  }

  /** Fresh agents (an S3 client destroys its agents when closed, so they are not shared). */
  agents(options: http.AgentOptions = {}): { httpAgent: http.Agent; httpsAgent: https.Agent } {
    return {
      httpAgent: new GuardedHttpAgent(this, options),
      httpsAgent: new GuardedHttpsAgent(this, options),
    };
  }

  /** An agent's createConnection: vet, then dial the vetted addresses through a pinned lookup. */
  connect(options: http.ClientRequestArgs, done: ConnectCallback, nodeDial: Dialer): undefined {
    const host = options.host ?? options.hostname ?? 'localhost';
    this.vet(host).then(
      (addresses) => {
        const literal = parseIpLiteral(host) !== undefined;
        const dial = this.options.dial ?? nodeDial;
        try {
          done(
            null,
            dial({
              ...options,
              ...(literal ? { host: addresses[0]?.address ?? host } : { lookup: pinnedLookup(addresses) }),
            }),
          );
        } catch (error) {
          done(error as Error);
        }
      },
      (error: unknown) => done(error as Error),
    );
    return undefined;
  }

  private check(host: string, address: IpAddress, text: string): void {
    const decision = decideAddress(this.options.policy, host, address);
    if (!decision.allowed) throw new OutboundRefusedError({ host, address: text, range: decision.range });
  }
}

/** A `lookup` that answers with addresses already vetted, and never asks DNS again. */
export function pinnedLookup(
  addresses: readonly LookupAddress[],
): NonNullable<http.ClientRequestArgs['lookup']> {
  return ((
    _hostname: string,
    options: { all?: boolean; family?: number | string },
    callback: (...args: unknown[]) => void,
  ) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
    const wanted = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
    const answer = wanted.length > 0 ? wanted : addresses;
    if (options.all) callback(null, answer);
    else callback(null, answer[0]?.address, answer[0]?.family);
  }) as unknown as NonNullable<http.ClientRequestArgs['lookup']>;
}

function required(callback: ((error: Error | null, socket: Duplex) => void) | undefined): ConnectCallback {
  if (!callback)
    throw new TypeError('a guarded agent connects asynchronously: createConnection needs its callback');
  return callback as ConnectCallback;
}

class GuardedHttpAgent extends http.Agent {
  constructor(
    private readonly guard: OutboundGuard,
    options: http.AgentOptions,
  ) {
    super(options);
  }

  override createConnection(
    options: http.ClientRequestArgs,
    callback?: (error: Error | null, socket: Duplex) => void,
  ): undefined {
    return this.guard.connect(
      options,
      required(callback),
      (vetted) => super.createConnection(vetted) as Duplex,
    );
  }
}

class GuardedHttpsAgent extends https.Agent {
  constructor(
    private readonly guard: OutboundGuard,
    options: https.AgentOptions,
  ) {
    super(options);
  }

  override createConnection(
    options: http.ClientRequestArgs,
    callback?: (error: Error | null, socket: Duplex) => void,
  ): undefined {
    return this.guard.connect(
      options,
      required(callback),
      (vetted) => super.createConnection(vetted) as Duplex,
    );
  }
}
