import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const repo = path.resolve(import.meta.dirname, '..');

/**
 * Benchmarks run the built product (`dist/`), not tsx: builds it when any file under src/ is
 * newer than `entry` (e.g. dist/operator/main.js), and returns the entry's absolute path.
 */
export function ensureBuilt(entry: string): string {
  const built = path.join(repo, entry);
  const builtAt = statSync(built, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const newest = (
    readdirSync(path.join(repo, 'src'), { recursive: true, withFileTypes: true }) as {
      isFile(): boolean;
      name: string;
      parentPath: string;
    }[]
  )
    .filter((entry) => entry.isFile())
    .reduce((max, entry) => Math.max(max, statSync(path.join(entry.parentPath, entry.name)).mtimeMs), 0);
  if (newest > builtAt) {
    console.error('[bench] src/ is newer than dist/: npm run build');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: repo, stdio: 'inherit' });
  }
  return built;
}
