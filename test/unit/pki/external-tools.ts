// Runs the real tools our output must satisfy (openssl, keytool) and gives tests a scratch folder.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ToolResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runTool(command: string, args: string[]): ToolResult {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a tool that must succeed and returns its stdout. */
export function runToolOk(command: string, args: string[]): string {
  const result = runTool(command, args);
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status}:\n${result.stderr}${result.stdout}`,
    );
  }
  return result.stdout;
}

export interface ScratchDir {
  path: string;
  write(name: string, content: string | Uint8Array): string;
  remove(): void;
}

export function makeScratchDir(prefix: string): ScratchDir {
  const path = mkdtempSync(join(tmpdir(), `scb-${prefix}-`));
  return {
    path,
    write(name, content) {
      const file = join(path, name);
      writeFileSync(file, content);
      return file;
    },
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}

/** An error message must not leak any part of the key PEMs it was about. */
export function expectNoKeyMaterial(message: string, ...keyPems: string[]): void {
  expect(message).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
  for (const pem of keyPems) {
    for (const line of pem.split('\n')) {
      if (/^[A-Za-z0-9+/=]{16,}$/.test(line)) expect(message).not.toContain(line.slice(0, 16));
    }
  }
}
