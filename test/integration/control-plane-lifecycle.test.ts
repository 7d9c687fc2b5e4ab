/**
 * The harness cleans up after itself: a stopped control plane leaves no process, port or folder,
 * and one whose owner died without teardown (SIGKILL) is reaped by the next start.
 */
import { jest } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { controlPlaneBinDir, repositoryRoot } from '../support/control-plane-binaries.js';
import { reapStrayRuns } from '../support/control-plane-strays.js';
import { startControlPlane } from '../support/control-plane.js';

// jest.config.js sets testTimeout per project, where Jest ignores it; a real apiserver on a busy
// machine needs more than the 5 s default.
jest.setTimeout(120_000);

/** Alive and not a zombie waiting for its parent to reap it. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(50);
}

/** Retries while the apiserver reconnects to a restarted etcd (its /readyz may lead its storage). */
async function eventually<T>(read: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await read();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(250);
    }
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('control plane lifecycle', () => {
  it('stop() ends etcd and kube-apiserver, frees the port and removes the temp folder', async () => {
    const controlPlane = await startControlPlane({ crdDir: null });
    const port = Number(new URL(controlPlane.server).port);
    const { workDir } = controlPlane.connection;
    expect(controlPlane.processes.map((p) => p.name)).toEqual(['etcd', 'kube-apiserver']);
    expect(controlPlane.processes.every((p) => isRunning(p.pid))).toBe(true);
    expect(await accepts(port)).toBe(true);

    await controlPlane.stop();

    expect(controlPlane.processes.filter((p) => isRunning(p.pid))).toEqual([]);
    expect(await accepts(port)).toBe(false);
    expect(existsSync(workDir)).toBe(false);
  });

  it('stops and restarts etcd and kube-apiserver on the same data, without tearing down', async () => {
    const controlPlane = await startControlPlane({ crdDir: null });
    try {
      const core = controlPlane.adminKubeConfig().makeApiClient(CoreV1Api);
      await core.createNamespace({ body: { metadata: { name: 'survives-restarts' } } });
      const names = async () =>
        (await core.listNamespace()).items.map((namespace) => namespace.metadata?.name);
      const etcdPid = controlPlane.processes.find((p) => p.name === 'etcd')?.pid ?? -1;

      await controlPlane.stopComponent('etcd');
      expect(isRunning(etcdPid)).toBe(false);
      // Positive control for the outage: the apiserver is up but cannot serve from etcd.
      await expect(
        core.createNamespace({ body: { metadata: { name: 'written-while-etcd-is-down' } } }),
      ).rejects.toThrow();
      await controlPlane.startComponent('etcd');
      expect(controlPlane.processes.find((p) => p.name === 'etcd')?.pid).not.toBe(etcdPid);
      expect(await eventually(names)).toContain('survives-restarts');

      const port = Number(new URL(controlPlane.server).port);
      await controlPlane.stopComponent('kube-apiserver');
      expect(await accepts(port)).toBe(false);
      await controlPlane.startComponent('kube-apiserver');
      expect(await accepts(port)).toBe(true);
      expect(await names()).toContain('survives-restarts');
    } finally {
      await controlPlane.stop();
    }
  });

  it('reaps the processes of a run whose owner was killed before its teardown', async () => {
    // A private cache folder, so no other run started meanwhile (another checkout's tests) reaps
    // these strays before this test does.
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'scb-reap-test-'));
    const runsDir = path.join(cacheDir, 'control-plane', 'runs');
    const owner = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(repositoryRoot, 'test/support/run-control-plane.ts'), '--no-crds'],
      {
        cwd: repositoryRoot,
        env: { ...process.env, SCB_CACHE_DIR: cacheDir, SCB_CONTROL_PLANE_BIN: controlPlaneBinDir() },
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    try {
      const started = await new Promise<{ connectionPath: string; processes: { pid: number }[] }>(
        (resolve, reject) => {
          let stdout = '';
          owner.stdout.on('data', (chunk: Buffer) => {
            stdout += chunk.toString();
            if (stdout.includes('\n')) resolve(JSON.parse(stdout.split('\n')[0] ?? '') as never);
          });
          owner.once('exit', (code) => reject(new Error(`run-control-plane.ts exited early (${code})`)));
        },
      );
      const pids = started.processes.map((p) => p.pid);
      const workDir = path.dirname(started.connectionPath);

      owner.kill('SIGKILL');
      await new Promise((resolve) => owner.once('exit', resolve));
      // Its children lead their own process groups, so they outlive it: the strays to reap.
      expect(pids.filter(isRunning)).toEqual(pids);

      expect(reapStrayRuns(runsDir)).toBe(pids.length);

      // SIGKILL is delivered asynchronously: give the kernel a moment to finish them off.
      await until(() => pids.filter(isRunning).length === 0, 5000);
      expect(pids.filter(isRunning)).toEqual([]);
      expect(existsSync(workDir)).toBe(false);
    } finally {
      // Whatever failed above, leave nothing running.
      owner.kill('SIGTERM');
      reapStrayRuns(runsDir);
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
