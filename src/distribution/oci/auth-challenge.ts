/**
 * The WWW-Authenticate challenge a registry answers 401 with (RFC 7235 auth-params), for the two
 * schemes registries use: Basic (distribution's htpasswd) and Bearer (the Docker token flow:
 * fetch a token from `realm` with `service` and `scope`, then retry with it). Pure.
 */
export type AuthChallenge =
  | { scheme: 'basic'; realm?: string }
  | { scheme: 'bearer'; realm: string; service?: string; scope?: string }
  | { scheme: 'unsupported'; name: string };

/**
 * The first challenge this client can answer (Bearer preferred over Basic), else the first one
 * seen as unsupported; undefined for an empty or unreadable header.
 */
export function parseAuthChallenge(header: string | undefined): AuthChallenge | undefined {
  if (!header) return undefined;
  const challenges = splitChallenges(header);
  const usable = (scheme: string) => challenges.find((c) => c.scheme === scheme);
  const bearer = usable('bearer')?.params;
  const realm = bearer?.['realm'];
  if (bearer && realm) {
    const service = bearer['service'];
    const scope = bearer['scope'];
    return { scheme: 'bearer', realm, ...(service ? { service } : {}), ...(scope ? { scope } : {}) };
  }
  const basic = usable('basic');
  if (basic) return { scheme: 'basic', ...(basic.params['realm'] ? { realm: basic.params['realm'] } : {}) };
  const first = challenges[0];
  return first ? { scheme: 'unsupported', name: first.scheme } : undefined;
}

interface RawChallenge {
  scheme: string;
  params: Record<string, string>;
}

/** Tokenises `Scheme k=v, k="v, with comma", Other k=v` into challenges. */
function splitChallenges(header: string): RawChallenge[] {
  const challenges: RawChallenge[] = [];
  const token = /\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*/y;
  let index = 0;
  let current: RawChallenge | undefined;
  while (index < header.length) {
    token.lastIndex = index;
    const word = token.exec(header);
    if (!word?.[1]) break;
    index = token.lastIndex;
    if (header[index] === '=') {
      // k=v or k="quoted\"value"
      index += 1;
      let value = '';
      if (header[index] === '"') {
        index += 1;
        while (index < header.length && header[index] !== '"') {
          if (header[index] === '\\') index += 1;
          value += header[index] ?? '';
          index += 1;
        }
        index += 1;
      } else {
        const end = header.slice(index).search(/[,\s]/);
        value = end < 0 ? header.slice(index) : header.slice(index, index + end);
        index = end < 0 ? header.length : index + end;
      }
      if (current) current.params[word[1].toLowerCase()] = value;
    } else {
      current = { scheme: word[1].toLowerCase(), params: {} };
      challenges.push(current);
    }
    while (index < header.length && /[\s,]/.test(header[index] ?? '')) index += 1;
  }
  return challenges;
}

/** The Bearer scope for pushing to (and deleting in) one repository. */
export function repositoryScope(repository: string, actions: readonly string[]): string {
  return `repository:${repository}:${actions.join(',')}`;
}
