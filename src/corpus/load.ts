import fs from 'node:fs';
import { isCollectedChat, loadCollectedChat } from './loaders/collected-chat';
import { decodeText } from './loaders/decode';
import { detectFormat } from './loaders/detect';
import { loadDocx } from './loaders/docx';
import { loadEmails, splitMbox } from './loaders/email';
import { folderFiles, zipFiles, zipNames } from './loaders/export-files';
import { asFeishuExport, loadFeishuExport } from './loaders/feishu-export';
import { loadHtml } from './loaders/html';
import { parseJsonWithPosition } from './loaders/json';
import { loadMarkdownOrText } from './loaders/markdown';
import { loadPdf } from './loaders/pdf';
import { DEFAULT_MAX_FILE_BYTES, oversizedReason } from './loaders/size';
import { loadSlackExport } from './loaders/slack-export';
import { scanCorpus, type CorpusEntry } from './scan';
import type { LoadResult, SourceUnit } from './types';

export interface LoaderOptions {
  /**
   * Keep only this person's e-mails and chat messages: an address, a name or a platform user id
   * (or several aliases), case-insensitive. Documents are never filtered.
   */
  author?: string | string[];
  /** Files larger than this are skipped (default 20 MB). */
  maxFileBytes?: number;
  /** e.g. https://acme.slack.com, to give Slack messages permalinks. */
  slackWorkspaceUrl?: string;
  /** Globs of corpus paths left out (avatar.yaml `exclude`); see scanCorpus. */
  exclude?: readonly string[];
}

const empty = (): LoadResult => ({ units: [], skipped: [], errors: [] });
const skip = (path: string, reason: string): LoadResult => ({ ...empty(), skipped: [{ path, reason }] });
/** A document as a result; one with no text at all (a scanned PDF, blank lines) is skipped, not indexed empty. */
const one = (unit: SourceUnit): LoadResult =>
  unit.text.trim() ? { ...empty(), units: [unit] } : skip(unit.source, unit.kind === 'pdf' ? 'no extractable text (a scanned PDF?)' : 'no text');

/** A JSON array of Slack messages on its own: a channel day file taken out of its export. */
function looksLikeSlackDay(value: unknown): boolean {
  return Array.isArray(value) && value.slice(0, 20).some((m) => m && typeof m === 'object' && (m as { type?: unknown }).type === 'message' && 'ts' in m);
}

function loadJson(text: string, source: string, opts: LoaderOptions): LoadResult {
  const parsed = parseJsonWithPosition(text, source);
  if (parsed.error) return { ...empty(), errors: [{ path: source, message: parsed.error.message, position: parsed.error.position }] };
  if (isCollectedChat(parsed.value)) return loadCollectedChat(parsed.value, source, { author: opts.author });
  const feishu = asFeishuExport(parsed.value);
  if (feishu) return loadFeishuExport(feishu, source, { author: opts.author });
  if (looksLikeSlackDay(parsed.value)) {
    return skip(source, 'JSON of unknown shape: a Slack day file outside its export (keep users.json and channels.json beside the channel folders)');
  }
  return skip(source, 'JSON of unknown shape (not a Feishu or Slack export)');
}

async function loadZip(buf: Buffer, source: string, opts: LoaderOptions, max: number): Promise<LoadResult> {
  const names = zipNames(buf);
  if (names.includes('word/document.xml')) return one(await loadDocx(buf, source));
  if (names.some((n) => n === 'users.json' || /^[^/]+\/users\.json$/.test(n))) {
    return loadSlackExport(zipFiles(buf, max, source), source, { author: opts.author, workspaceUrl: opts.slackWorkspaceUrl });
  }
  return skip(source, 'zip archive with no loader (not a DOCX or a Slack export)');
}

async function loadFile(entry: CorpusEntry, opts: LoaderOptions, max: number): Promise<LoadResult> {
  const source = entry.path;
  const size = fs.statSync(entry.abs).size;
  if (size > max) return skip(source, oversizedReason(size, max));
  const buf = fs.readFileSync(entry.abs);
  switch (detectFormat(entry.abs, buf.subarray(0, 8192))) {
    case 'markdown':
      return one(loadMarkdownOrText(decodeText(buf), source, 'markdown'));
    case 'text':
      return one(loadMarkdownOrText(decodeText(buf), source, 'text'));
    case 'html':
      return one(loadHtml(decodeText(buf), source));
    case 'email':
      return loadEmails([buf], source, { author: opts.author, mbox: false });
    case 'mbox':
      // Split on bytes read as latin1, so each message keeps its own charset for the mail parser.
      return loadEmails(splitMbox(buf.toString('latin1')).map((m) => Buffer.from(m, 'latin1')), source, { author: opts.author, mbox: true });
    case 'json':
      return loadJson(decodeText(buf), source, opts);
    case 'pdf':
      return one(await loadPdf(buf, source));
    case 'zip':
      return loadZip(buf, source, opts, max);
    case 'binary':
      return skip(source, 'binary file with no loader');
  }
}

/** Load one entry of a corpus. Problems become `errors` or `skipped` rows; nothing throws. */
export async function loadEntry(entry: CorpusEntry, _root: string, opts: LoaderOptions = {}): Promise<LoadResult> {
  const max = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  try {
    if (entry.type === 'slack-export') {
      return loadSlackExport(folderFiles(entry.abs, max, entry.path), entry.path, { author: opts.author, workspaceUrl: opts.slackWorkspaceUrl });
    }
    return await loadFile(entry, opts, max);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EACCES' || e.code === 'ENOENT' || e.code === 'EISDIR') return skip(entry.path, `unreadable: ${e.code}`);
    return { ...empty(), errors: [{ path: entry.path, message: `${entry.path}: ${e.message}` }] };
  }
}

/** Scan a corpus folder and load every entry in it. */
export async function loadCorpus(
  root: string,
  opts: LoaderOptions & { onEntry?: (e: CorpusEntry, i: number, n: number) => void } = {},
): Promise<LoadResult & { entries: CorpusEntry[] }> {
  const { entries, skipped } = scanCorpus(root, { maxFileBytes: opts.maxFileBytes, exclude: opts.exclude });
  const out: LoadResult & { entries: CorpusEntry[] } = { units: [], skipped: [...skipped], errors: [], entries };
  for (let i = 0; i < entries.length; i++) {
    opts.onEntry?.(entries[i], i, entries.length);
    const r = await loadEntry(entries[i], root, opts);
    out.units.push(...r.units);
    out.skipped.push(...r.skipped);
    out.errors.push(...r.errors);
  }
  return out;
}
