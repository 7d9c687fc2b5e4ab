/**
 * Quoting for the configuration formats the platforms write. Passwords and names come from users
 * (a referenced Secret, a cluster spec), so every value is escaped for its format instead of
 * trusted to be "simple".
 */

/** A HOCON quoted string. HOCON's quoted strings are JSON strings, and `${` inside one stays literal. */
export function hoconString(value: string): string {
  return JSON.stringify(value);
}

/** A list of HOCON quoted strings. */
export function hoconList(values: readonly string[]): string {
  return `[${values.map(hoconString).join(', ')}]`;
}

const PROPERTIES_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
  '\f': '\\f',
  '=': '\\=',
  ':': '\\:',
  '#': '\\#',
  '!': '\\!',
};

/**
 * A `java.util.Properties` value (or key) that loads back as exactly `value`. Non-ASCII is written
 * as `\uXXXX` because loaders disagree on the file's charset (ISO-8859-1 vs UTF-8).
 */
export function propertiesValue(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (PROPERTIES_ESCAPES[ch] !== undefined) out += PROPERTIES_ESCAPES[ch];
    else if (code < 0x20 || code > 0x7e) {
      // Astral characters become their two UTF-16 units, which is what Properties decodes.
      for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  // A leading space would be taken for the separator's padding.
  return out.startsWith(' ') ? `\\${out}` : out;
}

/**
 * Spring and Quarkus (SmallRye Config) expand `${...}` inside property values; both read `\${` as a
 * literal `${`. Apply before `propertiesValue`, which then doubles the backslash for the file.
 */
export function withoutPlaceholders(value: string): string {
  return value.replaceAll('${', '\\${');
}

/** `host:port`, with an IPv6 literal in brackets as the JVM drivers and Go expect. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A single-quoted POSIX shell word. */
export function shellWord(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
