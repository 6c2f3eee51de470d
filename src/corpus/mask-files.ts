import fs from 'node:fs';
import path from 'node:path';
import { detectFormat, type FileFormat } from './loaders/detect';
import { mergeCounts, redact, redactName, type RedactionCounts, type RedactOptions } from './redact';

/**
 * Masking of corpus copies before they reach the disk (trust rule "Redaction"): the index masks
 * what it reads, but a copy kept raw under avatars/<slug>/corpus would hold the secrets until a
 * revoke. Each text format is masked in a way its loader still parses: prose and HTML whole;
 * JSON (chat exports) string by string, keys and structure untouched; e-mail and mbox with the
 * headers that thread and cite a message (Message-ID, References, Date...) kept as they are.
 * Binary formats (PDF, DOCX, zip) cannot be rewritten safely and are masked at ingest.
 */

/** Headers that identify or thread a message; masking them would break citations, not protect anyone. */
const STRUCTURAL_HEADERS = new Set(['message-id', 'in-reply-to', 'references', 'date', 'mime-version', 'content-type', 'content-transfer-encoding', 'content-disposition']);

type Masker = (text: string, opts: RedactOptions) => RedactResultLike;
interface RedactResultLike {
  text: string;
  counts: RedactionCounts;
}

function maskJson(text: string, opts: RedactOptions): RedactResultLike {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { text, counts: {} }; // not JSON after all: the loader reports it, ingest masks what it reads
  }
  let counts: RedactionCounts = {};
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const r = redact(v, opts);
      counts = mergeCounts(counts, r.counts);
      return r.text;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const masked = walk(value);
  if (Object.keys(counts).length === 0) return { text, counts };
  const pretty = /^\s*[[{]\s*\n/.test(text);
  return { text: `${JSON.stringify(masked, null, pretty ? 2 : undefined)}${text.endsWith('\n') ? '\n' : ''}`, counts };
}

/** One RFC 822 message: header values masked except the structural ones; the body masked unless base64. */
function maskMessage(text: string, opts: RedactOptions): RedactResultLike {
  const m = /\r?\n\r?\n/.exec(text);
  const headEnd = m ? m.index : text.length;
  const head = text.slice(0, headEnd);
  const rest = text.slice(headEnd);
  let counts: RedactionCounts = {};
  const fields = head.split(/\r?\n(?![ \t])/);
  const sep = head.includes('\r\n') ? '\r\n' : '\n';
  const masked = fields.map((field) => {
    const name = /^([!-9;-~]+):/.exec(field)?.[1]?.toLowerCase();
    if (!name || STRUCTURAL_HEADERS.has(name)) return field;
    const colon = field.indexOf(':');
    const r = redact(field.slice(colon + 1), opts);
    counts = mergeCounts(counts, r.counts);
    return field.slice(0, colon + 1) + r.text;
  });
  // A base64 part would be corrupted by a mask in the middle; ingest masks what it decodes.
  if (/^content-transfer-encoding:\s*base64/im.test(text)) return { text: masked.join(sep) + rest, counts };
  const body = redact(rest, opts);
  return { text: masked.join(sep) + body.text, counts: mergeCounts(counts, body.counts) };
}

/** An mbox: the `From ` separator lines kept, each message masked on its own. */
function maskMbox(text: string, opts: RedactOptions): RedactResultLike {
  const parts = text.split(/(^From [^\n]*\n)/m);
  let counts: RedactionCounts = {};
  const out = parts.map((p, i) => {
    if (i % 2 === 1 || p === '') return p;
    const r = maskMessage(p, opts);
    counts = mergeCounts(counts, r.counts);
    return r.text;
  });
  return { text: out.join(''), counts };
}

const MASKERS: Partial<Record<FileFormat, Masker>> = {
  markdown: redact,
  text: redact,
  html: redact,
  json: maskJson,
  email: maskMessage,
  mbox: maskMbox,
};

/** The bytes of a file as they may be stored: text formats masked (valid UTF-8 only), others as they are. */
export function maskFileBytes(name: string, data: Uint8Array, opts: RedactOptions = {}): { data: Uint8Array; counts: RedactionCounts } {
  const masker = MASKERS[detectFormat(name, Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, 64 * 1024)))];
  if (!masker) return { data, counts: {} };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return { data, counts: {} };
  }
  if (text.includes('\0')) return { data, counts: {} };
  const r = masker(text, opts);
  return r.text === text ? { data, counts: {} } : { data: Buffer.from(r.text, 'utf8'), counts: r.counts };
}

/** A file name as it may be stored: masked, and still a single path segment. */
export function maskFileName(name: string, opts: RedactOptions = {}): string {
  return redactName(name, opts).text.replace(/[[\]:]/g, '_');
}

/** Rewrite every text-format file under `dir` masked (after copying a corpus in); returns what was masked. */
export function maskTextFiles(dir: string, opts: RedactOptions = {}): RedactionCounts {
  let counts: RedactionCounts = {};
  if (!fs.existsSync(dir)) return counts;
  const files = fs.statSync(dir).isFile() ? [dir] : (fs.readdirSync(dir, { recursive: true }) as string[]).map((rel) => path.join(dir, rel));
  for (const file of files) {
    const st = fs.lstatSync(file);
    if (!st.isFile()) continue;
    const before = fs.readFileSync(file);
    const r = maskFileBytes(file, before, opts);
    if (r.data !== before) {
      fs.writeFileSync(file, r.data, { mode: st.mode & 0o777 });
      counts = mergeCounts(counts, r.counts);
    }
  }
  return counts;
}
