import { createHash } from 'node:crypto';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];
type FetchOptions = Parameters<KubeConfig['applyToFetchOptions']>[0];

/**
 * A KubeConfig whose requests share keep-alive connections. client-node 1.4 builds a new
 * https.Agent for every request, so every call paid a fresh TCP and TLS handshake: measured with
 * bench/operator-scale.ts, that was over a third of the operator's CPU at 1,000 bundles. Agents
 * are reused per TLS identity (CA, client certificate and key, server name, verification), so
 * rotated credentials get a new agent; bearer tokens travel in headers and are untouched.
 * Proxy agents are left as client-node made them.
 */
export class KeepAliveKubeConfig extends KubeConfig {
  private readonly agents = new Map<string, https.Agent>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const agent = context.getAgent();
    if (agent instanceof https.Agent) context.setAgent(this.shared(agent));
  }

  override async applyToFetchOptions(options: FetchOptions) {
    const applied = await super.applyToFetchOptions(options);
    if (applied.agent instanceof https.Agent) applied.agent = this.shared(applied.agent);
    return applied;
  }

  private shared(fresh: https.Agent): https.Agent {
    const { ca, cert, key, pfx, servername, rejectUnauthorized } = fresh.options;
    const identity = createHash('sha256')
      .update(JSON.stringify([ca, cert, key, pfx, servername, rejectUnauthorized].map(String)))
      .digest('hex');
    let agent = this.agents.get(identity);
    if (!agent) {
      agent = new https.Agent({ ...fresh.options, keepAlive: true, maxSockets: 32 });
      this.agents.set(identity, agent);
    }
    fresh.destroy();
    return agent;
  }
}
