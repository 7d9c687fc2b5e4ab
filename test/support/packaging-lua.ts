/**
 * Runs an Argo CD health check (Lua) the way Argo CD does: the object as the global `obj`, the
 * script as a chunk that returns `{ status, message }`. The real Lua interpreters from Debian's
 * lua5.4 and lua5.1 packages (Argo CD's gopher-lua speaks 5.1), installed by tools/packaging/build.sh.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTool } from './packaging.js';

export const luaInterpreters = ['lua5.4', 'lua5.1'] as const;
export type LuaInterpreter = (typeof luaInterpreters)[number];

export interface HealthStatus {
  status: string;
  message: string;
}

const driver = `
obj = dofile(arg[1])
local hs = dofile(arg[2])
io.write(tostring(hs.status), "\\n", tostring(hs.message))
`;

export async function runHealthCheck(
  interpreter: LuaInterpreter,
  scriptPath: string,
  object: unknown,
): Promise<HealthStatus> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scb-argocd-health-'));
  try {
    writeFileSync(path.join(dir, 'object.lua'), `return ${toLuaLiteral(object)}\n`);
    writeFileSync(path.join(dir, 'driver.lua'), driver);
    const stdout = await runTool(interpreter, [
      path.join(dir, 'driver.lua'),
      path.join(dir, 'object.lua'),
      scriptPath,
    ]);
    const [status = '', ...message] = stdout.split('\n');
    return { status, message: message.join('\n') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A JSON value as a Lua table constructor; JSON null becomes nil, as in Argo CD's conversion. */
export function toLuaLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`toLuaLiteral: ${value} has no JSON form`);
    return String(value);
  }
  if (typeof value === 'string') return luaString(value);
  if (Array.isArray(value)) return `{${value.map(toLuaLiteral).join(', ')}}`;
  if (typeof value === 'object') {
    const fields = Object.entries(value).map(
      ([key, field]) => `[${luaString(key)}] = ${toLuaLiteral(field)}`,
    );
    return `{${fields.join(', ')}}`;
  }
  throw new Error(`toLuaLiteral: ${typeof value} has no JSON form`);
}

/** Printable ASCII as is; quotes, backslashes and every other byte as a decimal escape. */
function luaString(text: string): string {
  let literal = '"';
  for (const byte of Buffer.from(text, 'utf8')) {
    const printable = byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c;
    literal += printable ? String.fromCharCode(byte) : `\\${byte.toString().padStart(3, '0')}`;
  }
  return `${literal}"`;
}
