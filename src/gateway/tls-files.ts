/**
 * TLS material the gateway reads from mounted files (Secrets and ConfigMaps), and a poller that
 * notices when the kubelet swaps them (rotation) by comparing contents: a symlink swap changes no
 * mtime of the link the process opened.
 */
import { readFile } from 'node:fs/promises';
import { secretValue, type SecretValue } from '../observability/secret-value.js';

export interface TlsMaterial {
  /** PEM certificate and chain this side presents. */
  certPem: string;
  keyPem: SecretValue;
  /** PEM CAs the other side must chain to. */
  trustPem: string;
}

export interface TlsFiles {
  cert: string;
  key: string;
  trust: string;
}

export async function readTlsMaterial(files: TlsFiles): Promise<TlsMaterial> {
  const [certPem, keyPem, trustPem] = await Promise.all([
    readFile(files.cert, 'utf8'),
    readFile(files.key, 'utf8'),
    readFile(files.trust, 'utf8'),
  ]);
  return { certPem, keyPem: secretValue(keyPem), trustPem };
}

function sameMaterial(a: TlsMaterial, b: TlsMaterial): boolean {
  return a.certPem === b.certPem && a.trustPem === b.trustPem && a.keyPem.reveal() === b.keyPem.reveal();
}

/**
 * Calls `onChange` with the new material whenever the files' contents change; a read that fails
 * (a swap in progress) is retried at the next tick. Returns a stop function.
 */
export function watchTlsMaterial(
  files: TlsFiles,
  current: TlsMaterial,
  intervalMs: number,
  onChange: (material: TlsMaterial) => void,
  onError: (error: Error) => void,
): () => void {
  let last = current;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    readTlsMaterial(files)
      .then((material) => {
        if (sameMaterial(material, last)) return;
        last = material;
        onChange(material);
      })
      .catch((error: unknown) => onError(error instanceof Error ? error : new Error(String(error))))
      .finally(() => (busy = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
