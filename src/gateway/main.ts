#!/usr/bin/env node
// The cloud-mode gateway (`node dist/gateway/main.js`, same image as the operator): the metadata
// service and the SNI pass-through proxy in front of one cluster, with the topology from a CQL
// control connection. Runs until SIGTERM/SIGINT, then drains the proxy's connections.
import { Registry } from 'prom-client';
import { InvalidInputError } from '../errors.js';
import { startHealthServer } from '../observability/health-server.js';
import { createLogger } from '../observability/logger.js';
import { systemClock } from '../time/clock.js';
import { readGatewayConfig } from './config.js';
import { GatewayMetrics } from './gateway-metrics.js';
import { metadataDocument } from './metadata-document.js';
import { createMetadataService } from './metadata-service.js';
import { createSniProxy } from './sni-proxy.js';
import { readTlsMaterial, watchTlsMaterial } from './tls-files.js';
import { startTopology } from './topology.js';

async function main(): Promise<void> {
  const config = readGatewayConfig(process.argv.slice(2));
  const logger = createLogger({ level: config.logLevel, base: { component: 'scb-gateway' } });
  const registry = new Registry();
  const metrics = new GatewayMetrics(registry);

  const metadataMaterial = await readTlsMaterial(config.metadataTls);
  const controlMaterial = await readTlsMaterial(config.controlTls);
  const topology = await startTopology({
    contactPoints: config.contactPoints,
    port: config.cqlPort,
    localDatacenter: config.localDatacenter,
    material: controlMaterial,
    nodeServerName: config.nodeServerName,
    clock: systemClock,
    logger,
    onChange: (routes) => metrics.setRoutes(routes.size),
  });
  metrics.observeTopologyAge(() => topology.ageSeconds());
  const routes = () => topology.routes();

  const metadata = createMetadataService({
    material: metadataMaterial,
    document: () => metadataDocument(routes(), config.localDatacenter, config.sniProxyAddress),
    metrics,
    logger,
  });
  const stopWatching = watchTlsMaterial(
    config.metadataTls,
    metadataMaterial,
    config.reloadIntervalMs,
    (material) => {
      metadata.reload(material);
      logger.info('metadata service TLS material reloaded');
    },
    (error) => logger.warn('could not read the metadata service TLS files', { error: error.message }),
  );
  const proxy = createSniProxy({ routes, metrics, logger, limits: config.limits });
  const metadataPort = await metadata.listen(config.metadataPort, config.bindAddress);
  const sniPort = await proxy.listen(config.sniPort, config.bindAddress);
  let draining = false;
  const health = await startHealthServer({
    port: config.healthPort,
    host: config.bindAddress,
    registry,
    readinessChecks: [
      { name: 'topology', isReady: () => routes().upNodes(config.localDatacenter).length > 0 },
      { name: 'not-draining', isReady: () => !draining },
    ],
  });
  logger.info('gateway listening', {
    metadataPort,
    sniPort,
    healthPort: health.port,
    sniProxyAddress: config.sniProxyAddress,
  });

  const shutdown = (signal: string): void => {
    if (draining) return;
    draining = true;
    logger.info('signal received; draining', { signal, connections: proxy.connections });
    stopWatching();
    Promise.all([proxy.drain(config.drainTimeoutMs), metadata.close()])
      .then(async ([closedAtDeadline]) => {
        logger.info('drained', { closedAtDeadline });
        await topology.close();
        await health.close();
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error('shutdown failed', { error: String(error) });
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  const message =
    error instanceof InvalidInputError ? error.message : String((error as Error)?.message ?? error);
  process.stderr.write(`scb-gateway: ${message}\n`);
  process.exit(2);
});
