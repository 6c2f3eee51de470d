import path from 'node:path';

export type FileFormat = 'markdown' | 'text' | 'html' | 'email' | 'mbox' | 'json' | 'pdf' | 'docx' | 'zip' | 'binary';

const HEADER_NAMES = /^(message-id|from|to|cc|date|subject|received|return-path|mime-version|content-type|x-from|x-to|reply-to|in-reply-to|references|delivered-to)\s*:/i;

/** Whether the start of a text file is a block of RFC 822 headers. */
export function looksLikeEmail(head: string): boolean {
  const lines = head.split(/\r?\n/).slice(0, 30);
  let known = 0;
  for (const line of lines) {
    if (line.trim() === '') break;
    if (/^[ \t]/.test(line)) continue; // folded header
    if (!/^[A-Za-z0-9-]+\s*:/.test(line)) return false;
    if (HEADER_NAMES.test(line)) known++;
  }
  return known >= 2;
}

export function looksLikeMbox(head: string): boolean {
  return /^From \S+/.test(head) && looksLikeEmail(head.slice(head.indexOf('\n') + 1));
}

function isBinary(buf: Buffer): boolean {
  const n = Math.min(buf.length, 8000);
  for (let i = 0; i < n; i++) if (buf[i] === 0) return true;
  return false;
}

/** Decide a file's format from its content first and its name second. */
export function detectFormat(file: string, head: Buffer): FileFormat {
  const ext = path.extname(file).toLowerCase();
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') return 'pdf';
  if (head[0] === 0x50 && head[1] === 0x4b) return ext === '.docx' ? 'docx' : 'zip';
  if (isBinary(head)) return 'binary';
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  if (looksLikeMbox(text)) return 'mbox';
  if (looksLikeEmail(text)) return 'email';
  if (ext === '.mbox') return 'mbox';
  if (ext === '.eml') return 'email';
  if (ext === '.json') return 'json';
  if (ext === '.md' || ext === '.markdown' || ext === '.mdx') return 'markdown';
  if (ext === '.html' || ext === '.htm' || /^\s*<(!doctype html|html)/i.test(text)) return 'html';
  return 'text';
}
