/** A platform's README section: a `###` heading, then paragraphs; absent ones are skipped. */
export function readmeSection(title: string, ...blocks: (string | false | undefined)[]): string {
  return [`### ${title}`, ...blocks.filter((block): block is string => typeof block === 'string')].join(
    '\n\n',
  );
}

/** A fenced code block. */
export function codeBlock(language: string, lines: readonly string[]): string {
  return ['```' + language, ...lines, '```'].join('\n');
}

/** The note every platform that cannot check a custom TLS server name gives. */
export function serverNameNote(
  client: string,
  tlsServerName: string | undefined,
  verifies: boolean,
): string | false {
  return (
    tlsServerName !== undefined &&
    verifies &&
    `${client} checks each node's certificate against the name it dials and cannot check for ` +
      `\`${tlsServerName}\` instead: list contact points by a name the server certificates carry.`
  );
}
