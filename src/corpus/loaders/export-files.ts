import fs from 'node:fs';
import path from 'node:path';
import type { SkippedFile } from '../types';
import { formatBytes, oversizedReason } from './size';
import { inflateEntry, zipEntries, type ZipEntry } from './zip-archive';

/** Read access to the JSON files of an export, whether a folder or a .zip; paths relative to the export root. */
export interface ExportFiles {
  list(): string[];
  read(rel: string): Buffer | undefined;
  /** Files left out because they are too large, with the reason. */
  skipped: SkippedFile[];
}

/** `label` prefixes the paths reported in `skipped`. */
export function folderFiles(dir: string, maxBytes: number, label: string): ExportFiles {
  const all: string[] = [];
  const skipped: SkippedFile[] = [];
  const walk = (d: string, prefix: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      if (name.startsWith('.')) continue;
      const abs = path.join(d, name);
      const st = fs.lstatSync(abs);
      if (st.isDirectory()) walk(abs, `${prefix}${name}/`);
      else if (st.isFile() && name.endsWith('.json')) {
        if (st.size > maxBytes) skipped.push({ path: joinLabel(label, `${prefix}${name}`), reason: oversizedReason(st.size, maxBytes) });
        else all.push(`${prefix}${name}`);
      }
    }
  };
  walk(dir, '');
  const known = new Set(all);
  return { list: () => all, read: (rel) => (known.has(rel) ? fs.readFileSync(path.join(dir, rel)) : undefined), skipped };
}

/** Names of the files in a zip archive, from its central directory (nothing is inflated). */
export function zipNames(buf: Uint8Array): string[] {
  return zipEntries(buf).map((e) => e.name);
}

export interface ZipLimits {
  /** Members considered at most; a real export has one file per channel and day. */
  maxEntries?: number;
  /** Uncompressed bytes of all members read, together. */
  maxTotalBytes?: number;
}

export const DEFAULT_MAX_ZIP_ENTRIES = 20_000;
export const DEFAULT_MAX_ZIP_TOTAL_BYTES = 256 * 1024 * 1024;

/**
 * The JSON files of a zipped export. A top-level folder around the export is looked through.
 * Members are inflated one at a time when read (zip-archive.ts), each capped at `maxBytes` and
 * at its declared size, all together at `maxTotalBytes`, and at most `maxEntries` of them:
 * a small archive cannot make us hold or inflate gigabytes.
 */
export function zipFiles(buf: Uint8Array, maxBytes: number, label: string, limits: ZipLimits = {}): ExportFiles {
  const maxEntries = limits.maxEntries ?? DEFAULT_MAX_ZIP_ENTRIES;
  const maxTotal = limits.maxTotalBytes ?? DEFAULT_MAX_ZIP_TOTAL_BYTES;
  const entries = zipEntries(buf).filter((e) => !e.name.endsWith('/') && !e.name.startsWith('__MACOSX/'));
  const usersAt = entries.find((e) => e.name === 'users.json')?.name ?? entries.find((e) => e.name.endsWith('/users.json'))?.name ?? 'users.json';
  const prefix = usersAt.slice(0, usersAt.length - 'users.json'.length);
  const skipped: SkippedFile[] = [];
  const rel = (e: ZipEntry): string => e.name.slice(prefix.length);
  // Top-level lists (users, channels) first: without them no day file can be placed.
  const json = entries
    .filter((e) => e.name.startsWith(prefix) && e.name.endsWith('.json'))
    .sort((a, b) => Number(rel(a).includes('/')) - Number(rel(b).includes('/')) || (rel(a) < rel(b) ? -1 : rel(a) > rel(b) ? 1 : 0));
  const files = new Map<string, ZipEntry>();
  let total = 0;
  for (const e of json) {
    if (files.size >= maxEntries) {
      skipped.push({ path: joinLabel(label, rel(e)), reason: `archive cap: more than ${maxEntries} members` });
      continue;
    }
    if (e.size > maxBytes) {
      skipped.push({ path: joinLabel(label, rel(e)), reason: oversizedReason(e.size, maxBytes) });
      continue;
    }
    if (total + e.size > maxTotal) {
      skipped.push({ path: joinLabel(label, rel(e)), reason: `archive cap: total uncompressed size over ${formatBytes(maxTotal)}` });
      continue;
    }
    total += e.size;
    files.set(rel(e), e);
  }
  const list = [...files.keys()].sort();
  return {
    list: () => list,
    read: (name) => {
      const e = files.get(name);
      return e ? inflateEntry(buf, e) : undefined;
    },
    skipped,
  };
}

/** `ws.zip` + `general/x.json` → `ws.zip/general/x.json`; a corpus-root export has no label. */
export function joinLabel(label: string, rel: string): string {
  return label && label !== '.' ? `${label}/${rel}` : rel;
}
