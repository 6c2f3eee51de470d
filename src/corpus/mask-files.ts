import fs from 'node:fs';
import path from 'node:path';
import { mergeCounts, redact, redactName, type RedactionCounts, type RedactOptions } from './redact';

/**
 * Masking of corpus copies before they reach the disk (trust rule "Redaction"): the index masks
 * what it reads, but a copy kept raw under avatars/<slug>/corpus would hold the secrets until a
 * revoke. Prose formats are rewritten masked. Structured ones (JSON and chat exports, e-mail,
 * HTML, YAML) are not: a mask inside an escaped quote or a Message-ID could break what the
 * loaders parse, so those, like binary formats (PDF, DOCX, zip), are masked at ingest. Chat
 * history collected by /distill is masked message by message before its JSON is written.
 */
const TEXT_EXTENSIONS = new Set(['.md', '.markdown', '.txt', '.text', '.log', '.csv', '.tsv', '.rst', '.org']);

export function isTextName(name: string): boolean {
  return TEXT_EXTENSIONS.has(path.extname(name).toLowerCase());
}

/** The bytes of a file as they may be stored: text formats masked (valid UTF-8 only), others as they are. */
export function maskFileBytes(name: string, data: Uint8Array, opts: RedactOptions = {}): { data: Uint8Array; counts: RedactionCounts } {
  if (!isTextName(name)) return { data, counts: {} };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return { data, counts: {} };
  }
  if (text.includes('\0')) return { data, counts: {} };
  const r = redact(text, opts);
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
  for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const file = path.join(dir, rel);
    const st = fs.lstatSync(file);
    if (!st.isFile() || !isTextName(file)) continue;
    const before = fs.readFileSync(file);
    const r = maskFileBytes(file, before, opts);
    if (r.data !== before) {
      fs.writeFileSync(file, r.data, { mode: st.mode & 0o777 });
      counts = mergeCounts(counts, r.counts);
    }
  }
  return counts;
}
