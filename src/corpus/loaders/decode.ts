/** How many leading bytes the binary check looks at. */
export const SNIFF_BYTES = 8192;

const UTF8_BOM = [0xef, 0xbb, 0xbf];

function startsWith(buf: Uint8Array, bytes: number[]): boolean {
  return bytes.every((b, i) => buf[i] === b);
}

function utf16Bom(buf: Uint8Array): 'utf-16le' | 'utf-16be' | undefined {
  if (startsWith(buf, [0xff, 0xfe])) return 'utf-16le';
  if (startsWith(buf, [0xfe, 0xff])) return 'utf-16be';
  return undefined;
}

/**
 * Whether the start of a file is binary: a NUL byte, or more than one byte in ten being a
 * control character no text uses. UTF-16 text with a byte-order mark is text, NULs and all.
 */
export function looksBinary(head: Uint8Array): boolean {
  if (utf16Bom(head)) return false;
  const n = Math.min(head.length, SNIFF_BYTES);
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const b = head[i];
    if (b === 0) return true;
    // Tab, LF, VT, FF, CR and ESC appear in real text files; the rest of C0 and DEL do not.
    if ((b < 0x20 && b !== 9 && b !== 10 && b !== 11 && b !== 12 && b !== 13 && b !== 27) || b === 0x7f) odd++;
  }
  return n > 0 && odd / n > 0.1;
}

/**
 * Decode a text file: UTF-8 (BOM dropped) or UTF-16 with a BOM. Bytes that are not valid UTF-8
 * are read as Windows-1252, the usual encoding of older Western text files, rather than turned
 * into replacement characters.
 */
export function decodeText(buf: Uint8Array): string {
  const bom = utf16Bom(buf);
  if (bom) return new TextDecoder(bom).decode(buf.subarray(2));
  const body = startsWith(buf, UTF8_BOM) ? buf.subarray(3) : buf;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return decodeWindows1252(body);
  }
}

/** Windows-1252 characters at 0x80-0x9F; the rest of the range is Latin-1. */
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ';

/** Node 20's TextDecoder reads "windows-1252" as Latin-1, losing curly quotes and dashes; map them ourselves. */
export function decodeWindows1252(buf: Uint8Array): string {
  return Buffer.from(buf).toString('latin1').replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]);
}

/** Start of a file as text, for format sniffing (a character cut in half at the end is harmless). */
export function headText(head: Uint8Array): string {
  const bom = utf16Bom(head);
  if (bom) return new TextDecoder(bom).decode(head.subarray(2, SNIFF_BYTES));
  return new TextDecoder('utf-8').decode(head.subarray(0, SNIFF_BYTES));
}
