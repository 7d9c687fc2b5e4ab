/** One `-----BEGIN label-----` block with its base64 body decoded. */
export interface PemBlock {
  label: string;
  der: Buffer;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * Every PEM block in `text`, in order. Text around the blocks (OpenSSL's "Bag Attributes",
 * comments) is ignored, as OpenSSL does.
 */
export function readPemBlocks(text: string): PemBlock[] {
  return Array.from(text.matchAll(PEM_BLOCK), ([, label = '', body = '']) => ({
    label,
    der: Buffer.from(body.replace(/\s+/g, ''), 'base64'),
  }));
}

/** RFC 7468 strict form: 64-character lines, trailing newline. */
export function encodePem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  let body = '';
  for (let start = 0; start < base64.length; start += 64) body += `${base64.slice(start, start + 64)}\n`;
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}
