import fs from 'node:fs';
import path from 'node:path';
import { unzipSync, type UnzipFileInfo } from 'fflate';
import type { SkippedFile } from '../types';
import { oversizedReason } from './size';

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

/** Names of the files in a zip archive, without inflating anything. */
export function zipNames(buf: Uint8Array): string[] {
  const names: string[] = [];
  unzipSync(buf, {
    filter: (f) => {
      names.push(f.name);
      return false;
    },
  });
  return names;
}

/** The JSON files of a zipped export. A top-level folder around the export is looked through. */
export function zipFiles(buf: Uint8Array, maxBytes: number, label: string): ExportFiles {
  const names = zipNames(buf).filter((n) => !n.endsWith('/') && !n.startsWith('__MACOSX/'));
  const usersAt = names.find((n) => n === 'users.json') ?? names.find((n) => n.endsWith('/users.json')) ?? 'users.json';
  const prefix = usersAt.slice(0, usersAt.length - 'users.json'.length);
  const skipped: SkippedFile[] = [];
  const wanted = (f: UnzipFileInfo): boolean => {
    if (!f.name.startsWith(prefix) || !f.name.endsWith('.json') || f.name.startsWith('__MACOSX/')) return false;
    if (f.originalSize > maxBytes) {
      skipped.push({ path: joinLabel(label, f.name.slice(prefix.length)), reason: oversizedReason(f.originalSize, maxBytes) });
      return false;
    }
    return true;
  };
  const raw = unzipSync(buf, { filter: wanted });
  const files = new Map(Object.entries(raw).map(([n, data]) => [n.slice(prefix.length), data]));
  const list = [...files.keys()].sort();
  return { list: () => list, read: (rel) => (files.has(rel) ? Buffer.from(files.get(rel) as Uint8Array) : undefined), skipped };
}

/** `ws.zip` + `general/x.json` → `ws.zip/general/x.json`; a corpus-root export has no label. */
export function joinLabel(label: string, rel: string): string {
  return label && label !== '.' ? `${label}/${rel}` : rel;
}
