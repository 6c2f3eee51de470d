import fs from 'node:fs';
import path from 'node:path';
import { UnderstudyError } from '../errors';
import { excludedReason, excludeMatcher } from '../util/glob';
import { SNIFF_BYTES } from './loaders/decode';
import { detectFormat } from './loaders/detect';
import { DEFAULT_MAX_FILE_BYTES, formatBytes, oversizedReason } from './loaders/size';
import type { SkippedFile } from './types';

export { DEFAULT_MAX_FILE_BYTES, formatBytes };

export interface CorpusEntry {
  /** Relative to the corpus root, `/`-separated; `.` when the root itself is a Slack export. */
  path: string;
  abs: string;
  /** A Slack export folder is one entry; everything else (a zipped export too) is a file. */
  type: 'file' | 'slack-export';
  /** Absolute paths of every file that makes up the entry, for content hashing. */
  files: string[];
  /** Total bytes. */
  size: number;
}

const CHANNEL_LISTS = ['channels.json', 'groups.json', 'dms.json', 'mpims.json'];

/** A folder holding users.json and a channel list (channels, groups, dms or mpims) is a Slack export. */
export function isSlackExportDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'users.json')) && CHANNEL_LISTS.some((f) => fs.existsSync(path.join(dir, f)));
}

/** The export's JSON files go to `json`; anything else in the folder (notes, attachments) to `other`. */
function exportFiles(dir: string, json: string[], other: string[]): void {
  for (const name of fs.readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const abs = path.join(dir, name);
    const st = fs.lstatSync(abs);
    if (st.isDirectory()) exportFiles(abs, json, other);
    else if (st.isFile() && name.endsWith('.json')) json.push(abs);
    else other.push(abs);
  }
}

/** Only the JSON files of an export are read; the rest is reported, so nothing goes missing unseen. */
function slackEntry(abs: string, rel: string, skipped: SkippedFile[], relOf: (abs: string) => string, excludedBy: (path: string) => string | undefined): CorpusEntry {
  const json: string[] = [];
  const other: string[] = [];
  exportFiles(abs, json, other);
  // A channel (or a day) of the export can be left out too: `exclude: [export/hr]`.
  const files = json.filter((f) => {
    const glob = excludedBy(relOf(f)) ?? excludedBy(relOf(path.dirname(f)));
    if (glob) skipped.push({ path: relOf(f), reason: excludedReason(glob) });
    return !glob;
  });
  for (const f of other) {
    const glob = excludedBy(relOf(f));
    skipped.push({ path: relOf(f), reason: glob ? excludedReason(glob) : 'inside a Slack export folder: only its JSON files are read' });
  }
  return { path: rel, abs, type: 'slack-export', files, size: files.reduce((s, f) => s + fs.statSync(f).size, 0) };
}

function readHead(abs: string): Buffer {
  const fd = fs.openSync(abs, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    return buf.subarray(0, fs.readSync(fd, buf, 0, SNIFF_BYTES, 0));
  } finally {
    fs.closeSync(fd);
  }
}

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/**
 * List what a corpus folder holds, sorted and deterministic. Dotfiles and dot-folders are
 * ignored; symbolic links, empty, oversized, unreadable and binary files are skipped with the
 * reason. A Slack export folder is one entry (its day files are not entries of their own).
 * `root` may also be a single file, or a Slack export folder itself. Files and folders matching
 * an `exclude` glob (avatar.yaml, relative to `root`) are reported as skipped and not read; in a
 * Slack export folder (one entry) a glob can name the whole export, a channel or a day file.
 */
export function scanCorpus(
  root: string,
  opts: { maxFileBytes?: number; exclude?: readonly string[] } = {},
): { entries: CorpusEntry[]; skipped: SkippedFile[] } {
  const max = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const excludedBy = excludeMatcher(opts.exclude ?? []);
  const entries: CorpusEntry[] = [];
  const skipped: SkippedFile[] = [];
  const rel = (abs: string): string => path.relative(root, abs).split(path.sep).join('/');

  const visitFile = (abs: string, relPath: string, size: number): void => {
    if (size > max) return void skipped.push({ path: relPath, reason: oversizedReason(size, max) });
    if (size === 0) return void skipped.push({ path: relPath, reason: 'empty file' });
    let head: Buffer;
    try {
      head = readHead(abs);
    } catch (err) {
      return void skipped.push({ path: relPath, reason: `unreadable: ${errCode(err)}` });
    }
    if (detectFormat(abs, head) === 'binary') return void skipped.push({ path: relPath, reason: 'binary file with no loader' });
    entries.push({ path: relPath, abs, type: 'file', files: [abs], size });
  };

  const visitDir = (dir: string): void => {
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch (err) {
      return void skipped.push({ path: rel(dir) || '.', reason: `unreadable folder: ${errCode(err)}` });
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const abs = path.join(dir, name);
      const glob = excludedBy(rel(abs));
      if (glob) {
        skipped.push({ path: rel(abs), reason: excludedReason(glob) });
        continue;
      }
      let st: fs.Stats;
      try {
        st = fs.lstatSync(abs);
      } catch (err) {
        skipped.push({ path: rel(abs), reason: `unreadable: ${errCode(err)}` });
        continue;
      }
      if (st.isSymbolicLink()) skipped.push({ path: rel(abs), reason: 'symbolic link (not followed)' });
      else if (st.isDirectory()) {
        if (isSlackExportDir(abs)) entries.push(slackEntry(abs, rel(abs), skipped, rel, excludedBy));
        else visitDir(abs);
      } else if (st.isFile()) visitFile(abs, rel(abs), st.size);
      else skipped.push({ path: rel(abs), reason: 'not a regular file' });
    }
  };

  let rootStat: fs.Stats;
  try {
    rootStat = fs.statSync(root);
  } catch (err) {
    throw new UnderstudyError('FILE_UNREADABLE', `Corpus not found or unreadable: ${root} (${errCode(err)})`, { cause: err, details: { file: root } });
  }
  if (rootStat.isFile()) {
    const glob = excludedBy(path.basename(root));
    if (glob) skipped.push({ path: path.basename(root), reason: excludedReason(glob) });
    else visitFile(root, path.basename(root), rootStat.size);
  } else if (isSlackExportDir(root)) entries.push(slackEntry(root, '.', skipped, rel, excludedBy));
  else visitDir(root);
  return { entries, skipped };
}
