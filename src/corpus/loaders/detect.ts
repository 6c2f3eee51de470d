import path from 'node:path';
import { headText, looksBinary } from './decode';

export type FileFormat = 'markdown' | 'text' | 'html' | 'email' | 'mbox' | 'json' | 'pdf' | 'zip' | 'binary';

/** Header names that mail carries and other "Key: value" text rarely does. */
const MAIL_HEADERS = new Set([
  'message-id', 'from', 'to', 'cc', 'bcc', 'date', 'subject', 'received', 'return-path', 'mime-version', 'content-type',
  'content-transfer-encoding', 'x-from', 'x-to', 'reply-to', 'in-reply-to', 'references', 'delivered-to', 'sender',
  'x-mailer', 'user-agent', 'thread-topic', 'thread-index', 'x-originating-ip',
]);
/** Headers that say where a message came from; a mail has at least one. */
const ORIGIN_HEADERS = new Set(['message-id', 'from', 'received', 'return-path', 'x-from', 'delivered-to', 'sender']);

const MARKDOWN_EXT = new Set(['.md', '.markdown', '.mdx', '.mkd', '.mdown']);
const HTML_EXT = new Set(['.html', '.htm', '.xhtml']);

/**
 * Whether text starts with a block of RFC 822 headers. `relaxed` (for files that sit where mail
 * lives, such as a maildir) accepts one known header instead of two.
 */
export function looksLikeEmail(text: string, relaxed = false): boolean {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let known = 0;
  let origin = 0;
  let fields = 0;
  for (const line of lines.slice(0, 300)) {
    if (line.trim() === '') break;
    if (/^[ \t]/.test(line)) {
      if (fields === 0) return false; // a folded line needs a header above it
      continue;
    }
    const m = /^([!-9;-~]+):/.exec(line);
    if (!m) return false;
    fields++;
    const name = m[1].toLowerCase();
    if (MAIL_HEADERS.has(name)) known++;
    if (ORIGIN_HEADERS.has(name)) origin++;
  }
  return relaxed ? known >= 1 : known >= 2 && origin >= 1;
}

/** An mbox starts with a `From ` separator line followed by a message's headers. */
export function looksLikeMbox(text: string): boolean {
  const body = text.replace(/^\uFEFF/, '');
  const nl = body.indexOf('\n');
  return /^From \S+/.test(body) && nl > 0 && looksLikeEmail(body.slice(nl + 1), true);
}

/** Files that sit where mail lives: maildir `cur/new/tmp`, `123.` (Enron) or `1700000000.M1P2.host`. */
export function inMailPlace(file: string): boolean {
  const base = path.basename(file);
  const parent = path.basename(path.dirname(file));
  return ['cur', 'new', 'tmp'].includes(parent) || /^\d+\.$/.test(base) || /^\d{9,}\.[\w.-]+/.test(base);
}

/** Decide a file's format from its content first and its name second. */
export function detectFormat(file: string, head: Buffer): FileFormat {
  const ext = path.extname(file).toLowerCase();
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') return 'pdf';
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'zip';
  if (looksBinary(head)) return 'binary';
  const text = headText(head);
  if (looksLikeMbox(text)) return 'mbox';
  if (looksLikeEmail(text, inMailPlace(file))) return 'email';
  if (ext === '.mbox') return 'mbox';
  if (ext === '.eml') return 'email';
  if (ext === '.json') return 'json';
  if (MARKDOWN_EXT.has(ext)) return 'markdown';
  if (HTML_EXT.has(ext) || /^\s*(<!--[\s\S]*?-->\s*)*<(!doctype\s+html|html)\b/i.test(text)) return 'html';
  return 'text';
}
