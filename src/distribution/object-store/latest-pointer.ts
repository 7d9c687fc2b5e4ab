/**
 * `latest.json`: which stored version is the newest, for tools that read the bucket without the
 * cluster. It holds no secret, so it stays plaintext even when objects are encrypted.
 */
export interface LatestPointer {
  version: number;
  /** Key of the version's zip. */
  objectKey: string;
  /** Lower-case hex SHA-256 of the (plaintext) zip. */
  sha256: string;
}

export function serializeLatestPointer(pointer: LatestPointer): Buffer {
  const { version, objectKey, sha256 } = pointer;
  return Buffer.from(`${JSON.stringify({ version, objectKey, sha256 }, null, 2)}\n`);
}

/** The pointer in `bytes`, or undefined when they are not one (then any version may replace it). */
export function parseLatestPointer(bytes: Buffer): LatestPointer | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { version, objectKey, sha256 } = parsed as Record<string, unknown>;
  if (!Number.isSafeInteger(version) || (version as number) < 1) return undefined;
  if (typeof objectKey !== 'string' || typeof sha256 !== 'string') return undefined;
  return { version: version as number, objectKey, sha256 };
}

/**
 * The pointer only moves forward: a catch-up of an older version, or a second operator replica
 * that is behind, must never make readers go back to a superseded bundle.
 */
export function shouldMoveLatest(current: LatestPointer | undefined, candidate: LatestPointer): boolean {
  return current === undefined || candidate.version > current.version;
}
