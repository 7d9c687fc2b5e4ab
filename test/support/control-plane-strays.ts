/**
 * Records which processes a control plane started, in a file under the cache folder, so that a
 * run killed before its teardown (Ctrl-C twice, OOM, a closed terminal) is cleaned up by the next
 * one. Several runs may be alive at once (other checkouts, the demo): only runs whose owner
 * process is gone are reaped, and only processes whose command line still names that run's temp
 * folder are killed, so a recycled pid is never hit.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface RunRecord {
  ownerPid: number;
  /** Start time of the owner (from /proc), so a recycled owner pid does not look alive. */
  ownerStartTime: string;
  tempDir: string;
  pids: number[];
}

export interface RunRegistration {
  addProcess(pid: number): void;
  remove(): void;
}

export function registerRun(runsDir: string, tempDir: string): RunRegistration {
  mkdirSync(runsDir, { recursive: true });
  const file = path.join(runsDir, `${process.pid}-${path.basename(tempDir)}.json`);
  const record: RunRecord = {
    ownerPid: process.pid,
    ownerStartTime: processStartTime(process.pid) ?? '',
    tempDir,
    pids: [],
  };
  writeFileSync(file, JSON.stringify(record));
  return {
    addProcess(pid) {
      record.pids.push(pid);
      writeFileSync(file, JSON.stringify(record));
    },
    remove() {
      rmSync(file, { force: true });
    },
  };
}

/** Kills what interrupted runs left behind; returns how many processes it killed. */
export function reapStrayRuns(runsDir: string): number {
  if (!existsSync(runsDir)) return 0;
  let killed = 0;
  for (const name of readdirSync(runsDir)) {
    const file = path.join(runsDir, name);
    let record: RunRecord;
    try {
      record = JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
    } catch {
      rmSync(file, { force: true });
      continue;
    }
    if (processStartTime(record.ownerPid) === record.ownerStartTime) continue;
    for (const pid of record.pids) {
      if (commandLine(pid)?.includes(record.tempDir)) {
        killProcessGroup(pid, 'SIGKILL');
        killed += 1;
      }
    }
    rmSync(record.tempDir, { recursive: true, force: true });
    rmSync(file, { force: true });
  }
  return killed;
}

/** Signals the whole group a detached child leads (the child's pid is its group id). */
export function killProcessGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function processStartTime(pid: number): string | undefined {
  try {
    // Field 22 of /proc/<pid>/stat; the command name (field 2) may contain spaces, so count from ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}
