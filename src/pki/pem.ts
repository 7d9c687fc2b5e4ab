/** One `-----BEGIN label-----` block with its base64 body decoded. */
export interface PemBlock {
  label: string;
  der: Buffer;
}

/**
 * Every PEM block in `text`, in order. Text around the blocks (OpenSSL's "Bag Attributes",
 * comments) is ignored, as OpenSSL does. Each BEGIN pairs with the first END of the same label
 * after it. The END markers are indexed once, so text full of unterminated BEGIN lines (in a
 * ConfigMap or Secret someone else wrote) costs one pass, not one pass per BEGIN.
 */
export function readPemBlocks(text: string): PemBlock[] {
  const ends = new Map<string, number[]>();
  for (const match of text.matchAll(/-----END ([A-Z0-9 ]+)-----/g)) {
    const label = match[1] ?? '';
    const at = ends.get(label) ?? [];
    at.push(match.index);
    ends.set(label, at);
  }
  const blocks: PemBlock[] = [];
  const begin = /-----BEGIN ([A-Z0-9 ]+)-----/g;
  for (let match = begin.exec(text); match; match = begin.exec(text)) {
    const label = match[1] ?? '';
    const bodyStart = match.index + match[0].length;
    const end = firstAtOrAfter(ends.get(label) ?? [], bodyStart);
    if (end === undefined) continue;
    blocks.push({ label, der: Buffer.from(text.slice(bodyStart, end).replace(/\s+/g, ''), 'base64') });
    begin.lastIndex = end + `-----END ${label}-----`.length;
  }
  return blocks;
}

/** The smallest position in the sorted list that is at least `from`. */
function firstAtOrAfter(sorted: readonly number[], from: number): number | undefined {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] ?? 0) < from) low = middle + 1;
    else high = middle;
  }
  return sorted[low];
}

/** RFC 7468 strict form: 64-character lines, trailing newline. */
export function encodePem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  let body = '';
  for (let start = 0; start < base64.length; start += 64) body += `${base64.slice(start, start + 64)}\n`;
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}
