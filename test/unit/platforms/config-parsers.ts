/**
 * Structural readers for the formats the platforms write, following each format's own rules, so a
 * test compares what the client will load, not the bytes we happened to write.
 */

/** `java.util.Properties.load` for one-line entries: separators `=`/`:`, escapes, `\uXXXX`. */
export function parseProperties(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/^[ \t\f]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    let i = 0;
    let key = '';
    while (i < line.length && !'=: \t'.includes(line[i] ?? '')) {
      if (line[i] === '\\') {
        const [ch, used] = unescapeAt(line, i);
        key += ch;
        i += used;
      } else key += line[i++];
    }
    while (i < line.length && ' \t'.includes(line[i] ?? '')) i++;
    if ('=:'.includes(line[i] ?? 'x')) i++;
    while (i < line.length && ' \t'.includes(line[i] ?? '')) i++;
    let value = '';
    while (i < line.length) {
      if (line[i] === '\\') {
        const [ch, used] = unescapeAt(line, i);
        value += ch;
        i += used;
      } else value += line[i++];
    }
    entries.set(key, value);
  }
  return entries;
}

function unescapeAt(line: string, i: number): [string, number] {
  const next = line[i + 1] ?? '';
  if (next === 'u') return [String.fromCharCode(parseInt(line.slice(i + 2, i + 6), 16)), 6];
  const named: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };
  return [named[next] ?? next, 2];
}

export type HoconValue = string | number | boolean | string[];

/**
 * The HOCON subset our generators write: `name {` blocks, `key = value` with dotted keys, quoted
 * strings (JSON), lists of quoted strings, bare words, and `${path}` / `${?ENV}` substitutions
 * concatenated with quoted strings. Substitutions resolve against root keys and `env`.
 */
export function parseHocon(text: string, env: Record<string, string> = {}): Map<string, HoconValue> {
  const values = new Map<string, HoconValue>();
  const stack: string[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('//')) continue;
    if (line === '}') {
      if (stack.pop() === undefined) throw new Error('unbalanced }');
      continue;
    }
    const block = /^([\w.-]+)\s*\{$/.exec(line);
    if (block) {
      stack.push(block[1] ?? '');
      continue;
    }
    const entry = /^([\w.-]+)\s*=\s*(.+)$/.exec(line);
    if (!entry) throw new Error(`not HOCON this parser knows: ${line}`);
    const path = [...stack, entry[1] ?? ''].join('.');
    const parsed = hoconValue(entry[2] ?? '', values, env);
    if (parsed !== undefined) values.set(path, parsed);
  }
  if (stack.length > 0) throw new Error(`unclosed block ${stack.join('.')}`);
  return values;
}

function hoconValue(
  raw: string,
  known: Map<string, HoconValue>,
  env: Record<string, string>,
): HoconValue | undefined {
  if (raw.startsWith('[')) return JSON.parse(raw) as string[];
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (/^-?\d+$/.test(raw)) return Number(raw);
  if (!raw.includes('${') && !raw.startsWith('"')) return raw;
  let out = '';
  let rest = raw;
  while (rest.length > 0) {
    const sub = /^\$\{(\?)?([\w.-]+)\}/.exec(rest);
    if (sub) {
      const found = sub[1] === '?' ? env[sub[2] ?? ''] : known.get(sub[2] ?? '');
      if (found === undefined) {
        if (sub[1] === '?' && rest === sub[0] && out === '') return undefined; // optional, unset: no assignment
        throw new Error(`unresolved substitution ${sub[0]}`);
      }
      out += String(found);
      rest = rest.slice(sub[0].length);
      continue;
    }
    const quoted = /^"(?:[^"\\]|\\.)*"/.exec(rest);
    if (!quoted) throw new Error(`cannot read HOCON value ${raw}`);
    out += JSON.parse(quoted[0]) as string;
    rest = rest.slice(quoted[0].length);
  }
  return out;
}
