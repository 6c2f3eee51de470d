import fs from 'node:fs';
import path from 'node:path';
import type { SkippedFile } from './types';

export interface CorpusEntry {
  /** Relative to the corpus root, `/`-separated. */
  path: string;
  abs: string;
  /** A Slack export folder is one entry; everything else is a file. */
  type: 'file' | 'slack-export';
  /** Every file that makes up the entry, for content hashing. */
  files: string[];
  size: number;
}

export const DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024;

export function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} B`;
}

/** A folder holding users.json and channels.json (or groups/dms) is a Slack export. */
export function isSlackExportDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'users.json')) && ['channels.json', 'groups.json', 'dms.json', 'mpims.json'].some((f) => fs.existsSync(path.join(dir, f)));
}

function walkFiles(dir: string, out: string[]): void {
  for (const name of fs.readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const abs = path.join(dir, name);
    const st = fs.lstatSync(abs);
    if (st.isDirectory()) walkFiles(abs, out);
    else if (st.isFile()) out.push(abs);
  }
}

/**
 * List what a corpus folder holds, deterministically. Dotfiles, symlinks and oversized or
 * unreadable files are skipped with the reason; a Slack export folder becomes one entry.
 */
export function scanCorpus(root: string, opts: { maxFileBytes?: number } = {}): { entries: CorpusEntry[]; skipped: SkippedFile[] } {
  const max = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const entries: CorpusEntry[] = [];
  const skipped: SkippedFile[] = [];
  const rel = (abs: string): string => path.relative(root, abs).split(path.sep).join('/');
  const visit = (dir: string): void => {
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch (err) {
      skipped.push({ path: rel(dir) || '.', reason: `unreadable folder: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return;
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const abs = path.join(dir, name);
      const st = fs.lstatSync(abs);
      if (st.isSymbolicLink()) {
        skipped.push({ path: rel(abs), reason: 'symbolic link (not followed)' });
      } else if (st.isDirectory()) {
        if (isSlackExportDir(abs)) {
          const files: string[] = [];
          walkFiles(abs, files);
          const json = files.filter((f) => f.endsWith('.json'));
          entries.push({ path: rel(abs), abs, type: 'slack-export', files: json, size: json.reduce((s, f) => s + fs.statSync(f).size, 0) });
        } else visit(abs);
      } else if (st.isFile()) {
        if (st.size > max) {
          skipped.push({ path: rel(abs), reason: `oversized: ${formatBytes(st.size)} > ${formatBytes(max)}` });
          continue;
        }
        try {
          fs.accessSync(abs, fs.constants.R_OK);
        } catch (err) {
          skipped.push({ path: rel(abs), reason: `unreadable: ${(err as NodeJS.ErrnoException).code ?? 'no access'}` });
          continue;
        }
        if (st.size === 0) {
          skipped.push({ path: rel(abs), reason: 'empty file' });
          continue;
        }
        entries.push({ path: rel(abs), abs, type: 'file', files: [abs], size: st.size });
      }
    }
  };
  if (fs.existsSync(root)) visit(root);
  return { entries, skipped };
}
