#!/usr/bin/env node
// The operator process: reads its configuration, connects to the API server and runs until
// SIGTERM/SIGINT, when it finishes in-flight work and releases its Lease before exiting.
import os from 'node:os';
import { InvalidInputError } from '../errors.js';
import { loadKubeConnection } from '../kube/client/kube-connection.js';
import { KubeHttp } from '../kube/client/kube-http.js';
import { createLogger } from '../observability/logger.js';
import { systemClock } from '../time/clock.js';
import { systemTimers } from '../time/timers.js';
import { readOperatorConfig } from './config.js';
import { startOperator } from './operator.js';

/** Kubernetes sends SIGKILL 30 s after SIGTERM by default; stop a little before that. */
const SHUTDOWN_DEADLINE_MS = 25_000;

async function main(): Promise<void> {
  const config = readOperatorConfig(process.argv.slice(2), process.env, os.hostname());
  const logger = createLogger({ level: config.logLevel, base: { component: 'scb-operator' } });
  const connection = loadKubeConnection({
    ...(config.kubeconfig ? { kubeconfig: config.kubeconfig } : {}),
    env: process.env,
  });

  const operator = await startOperator({
    config,
    http: new KubeHttp(connection),
    clock: systemClock,
    timers: systemTimers,
    logger,
  });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('signal received', { signal });
    const deadline = setTimeout(() => {
      logger.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    operator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  const message =
    error instanceof InvalidInputError ? error.message : String((error as Error)?.message ?? error);
  process.stderr.write(`scb-operator: ${message}\n`);
  process.exit(2);
});
