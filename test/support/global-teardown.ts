import type { GlobalWithControlPlane } from './jest-control-plane.js';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as GlobalWithControlPlane).scbControlPlane?.stop();
}
