import { readFileSync } from 'node:fs';
import { InvalidInputError } from '../errors.js';

/** Reads a file named by a flag; a missing or unreadable file is an input error naming both. */
export function readInputFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new InvalidInputError('FileNotReadable', `${flag} ${path}: ${whyUnreadable(error)}`, flag);
  }
}

/** Why a file could not be read, in words (a dangling symlink is "no such file"). */
export function whyUnreadable(error: unknown): string {
  const code = (error as { code?: string }).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : 'cannot be read';
}

export function readInputText(path: string, flag: string): string {
  return readInputFile(path, flag).toString('utf8');
}

/** Runs `read`, prefixing any input error with the flag and file it came from. */
export function inFile<T>(flag: string, path: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof InvalidInputError) {
      throw new InvalidInputError(error.reason, `${flag} ${path}: ${error.message}`, error.field ?? flag);
    }
    throw error;
  }
}
