import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { InvalidInputError } from '../errors.js';
import { classifyError } from '../kube/errors.js';

/** The cluster commands' shared options: which kubeconfig, context and namespace. */
export interface ClusterOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

/** A cluster call that failed for a reason outside the user's input (exit code 1). */
export class ClusterCommandFailure extends Error {
  override readonly name = 'ClusterCommandFailure';
}

/**
 * The kubeconfig as kubectl would pick it (--kubeconfig, else $KUBECONFIG, else ~/.kube/config,
 * else in-cluster), the --context override, and the namespace: -n, else the context's, else
 * "default". `kubectl scb` runs us with kubectl's environment, so $KUBECONFIG carries over.
 */
export function loadCluster(options: ClusterOptions): { kubeConfig: KubeConfig; namespace: string } {
  const kubeConfig = new KubeConfig();
  if (options.kubeconfig !== undefined) {
    if (!existsSync(options.kubeconfig)) {
      throw new InvalidInputError(
        'FileNotFound',
        `--kubeconfig ${options.kubeconfig}: no such file; pass the path of a kubeconfig`,
        '--kubeconfig',
      );
    }
    try {
      kubeConfig.loadFromFile(options.kubeconfig);
    } catch (error) {
      throw new InvalidInputError(
        'KubeconfigUnreadable',
        `--kubeconfig ${options.kubeconfig}: not a readable kubeconfig (${(error as Error).message}); pass a kubeconfig file`,
        '--kubeconfig',
      );
    }
  } else {
    try {
      kubeConfig.loadFromDefault();
    } catch (error) {
      throw new InvalidInputError(
        'KubeconfigUnreadable',
        `the kubeconfig named by KUBECONFIG (${process.env['KUBECONFIG'] ?? '~/.kube/config'}) cannot be read (${(error as Error).message}): fix KUBECONFIG or pass --kubeconfig`,
        '--kubeconfig',
      );
    }
  }
  if (options.context !== undefined) {
    if (!kubeConfig.getContextObject(options.context)) {
      throw new InvalidInputError(
        'UnknownContext',
        `--context ${options.context}: not in the kubeconfig; choose one of: ${kubeConfig
          .getContexts()
          .map((context) => context.name)
          .join(', ')}`,
        '--context',
      );
    }
    kubeConfig.setCurrentContext(options.context);
  }
  if (!kubeConfig.getCurrentCluster()) {
    throw new InvalidInputError(
      'NoCluster',
      'no cluster in the kubeconfig: set KUBECONFIG or pass --kubeconfig',
      '--kubeconfig',
    );
  }
  const contextNamespace = kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace;
  return { kubeConfig, namespace: options.namespace ?? contextNamespace ?? 'default' };
}

/** An apiserver error as the user should read it: the Status message, never raw response text. */
export function clusterFailure(what: string, error: unknown): ClusterCommandFailure {
  const classified = classifyError(error);
  const hint =
    classified.status === 403
      ? ' (ask for RBAC that allows it, or use another --context)'
      : classified.status === 401
        ? ' (the kubeconfig credentials were rejected: log in again)'
        : '';
  return new ClusterCommandFailure(`${what}: ${classified.message}${hint}`, { cause: error });
}

export function parseVersionOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]{0,8}$/.test(value)) {
    throw new InvalidInputError(
      'InvalidVersion',
      `--version ${value}: give a bundle version number (1 or more), see scbctl versions`,
      '--version',
    );
  }
  return Number(value);
}
