import fs from 'node:fs';
import { authorMatcher } from './author';
import { detectFormat } from './detect';
import { loadDocx, loadHtml, loadMarkdownOrText, loadPdf } from './loaders/documents';
import { parseEmail, splitMbox } from './loaders/email';
import { asFeishuExport, loadFeishuExport } from './loaders/feishu-export';
import { parseJsonWithPosition } from './loaders/json';
import { folderFiles, loadSlackExport, zipFiles } from './loaders/slack-export';
import { DEFAULT_MAX_FILE_BYTES, formatBytes, scanCorpus, type CorpusEntry } from './scan';
import type { LoadResult } from './types';

export interface LoaderOptions {
  /** Keep only this person's e-mails and chat messages (one alias or several). */
  author?: string | string[];
  maxFileBytes?: number;
  /** e.g. https://acme.slack.com, to give Slack messages permalinks. */
  slackWorkspaceUrl?: string;
}

const empty = (): LoadResult => ({ units: [], skipped: [], errors: [] });

async function loadEmails(raws: string[], source: string, author: LoaderOptions['author'], mbox: boolean): Promise<LoadResult> {
  const result = empty();
  const matches = authorMatcher(author);
  for (let i = 0; i < raws.length; i++) {
    const { unit, authorIds, issue, empty: nothingOwn } = await parseEmail(raws[i], source, mbox ? `mbox#${i + 1}` : source);
    if (issue) result.errors.push(issue);
    if (nothingOwn && (!matches || matches(...authorIds))) {
      result.skipped.push({ path: mbox ? `${source}#${i + 1}` : source, reason: 'forward or quote only: no text of the author\'s own' });
    }
    if (!unit) continue;
    if (matches && !matches(...authorIds)) continue;
    result.units.push(unit);
  }
  return result;
}

/** Load one entry of a corpus. Problems become `errors` or `skipped` rows; nothing throws. */
export async function loadEntry(entry: CorpusEntry, _root: string, opts: LoaderOptions = {}): Promise<LoadResult> {
  const source = entry.path;
  try {
    if (entry.type === 'slack-export') {
      return loadSlackExport(folderFiles(entry.abs), source, { author: opts.author, workspaceUrl: opts.slackWorkspaceUrl });
    }
    const max = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    if (entry.size > max) return { ...empty(), skipped: [{ path: source, reason: `oversized: ${formatBytes(entry.size)} > ${formatBytes(max)}` }] };
    const buf = fs.readFileSync(entry.abs);
    const format = detectFormat(entry.abs, buf.subarray(0, 8192));
    const text = (): string => buf.toString('utf8');
    switch (format) {
      case 'markdown':
        return { ...empty(), units: [loadMarkdownOrText(text(), source, 'markdown')] };
      case 'text':
        return { ...empty(), units: [loadMarkdownOrText(text(), source, 'text')] };
      case 'html':
        return { ...empty(), units: [loadHtml(text(), source)] };
      case 'email':
        return loadEmails([text()], source, opts.author, false);
      case 'mbox':
        return loadEmails(splitMbox(text()), source, opts.author, true);
      case 'pdf':
        return { ...empty(), units: [await loadPdf(buf, source)] };
      case 'docx':
        return { ...empty(), units: [await loadDocx(buf, source)] };
      case 'zip': {
        const files = zipFiles(buf);
        if (!files.list().includes('users.json')) return { ...empty(), skipped: [{ path: source, reason: 'zip archive without a Slack export (users.json) inside' }] };
        return loadSlackExport(files, source, { author: opts.author, workspaceUrl: opts.slackWorkspaceUrl });
      }
      case 'json': {
        const parsed = parseJsonWithPosition(text(), source);
        if (parsed.error) return { ...empty(), errors: [{ path: source, message: parsed.error.message, position: parsed.error.position }] };
        const feishu = asFeishuExport(parsed.value);
        if (feishu) return loadFeishuExport(feishu, source, { author: opts.author });
        return { ...empty(), skipped: [{ path: source, reason: 'JSON of unknown shape (not a Feishu or Slack export)' }] };
      }
      case 'binary':
        return { ...empty(), skipped: [{ path: source, reason: 'binary file with no loader' }] };
    }
  } catch (err) {
    return { ...empty(), errors: [{ path: source, message: `${source}: ${(err as Error).message}` }] };
  }
}

/** Scan and load a whole corpus folder. */
export async function loadCorpus(
  root: string,
  opts: LoaderOptions & { onEntry?: (e: CorpusEntry, i: number, n: number) => void } = {},
): Promise<LoadResult & { entries: CorpusEntry[] }> {
  const { entries, skipped } = scanCorpus(root, { maxFileBytes: opts.maxFileBytes });
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
