import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { writeFileAtomic } from '../util/fs-atomic';
import type { VectorFileStamp } from './vector-index';

export interface IndexFiles {
  dir: string;
  chunks: string;
  lexical: string;
  vectors: string;
  manifest: string;
}

/** The files of one index directory (a version under indexes/, or the legacy avatars/<slug>/). */
export function filesIn(dir: string): IndexFiles {
  return {
    dir,
    chunks: path.join(dir, 'chunks.db'),
    lexical: path.join(dir, 'lexical.bin'),
    vectors: path.join(dir, 'vectors.hnsw'),
    manifest: path.join(dir, 'index.json'),
  };
}

/**
 * Written last, after the lexical and vector files: it names the chunk-store generation they
 * were built from and stamps each file, so a crash between writes is noticed at load.
 */
export interface IndexManifest {
  version: 1;
  generation: number;
  embedder: string;
  /** TOKENIZER_VERSION of the lexical index; absent in indexes built before it was stamped. */
  tokenizer?: string;
  dimensions: number;
  chunks: number;
  lexical: VectorFileStamp;
  vectors: VectorFileStamp | null;
  builtAt: string;
}

export function readManifest(file: string): IndexManifest | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as IndexManifest;
    return m.version === 1 ? m : undefined;
  } catch {
    return undefined;
  }
}

export function writeManifest(file: string, manifest: IndexManifest): void {
  writeFileAtomic(file, JSON.stringify(manifest, null, 2));
}

export function stampOf(buf: Uint8Array): VectorFileStamp {
  return { bytes: buf.length, crc32: zlib.crc32(buf) };
}

/*
 * Before versions, a rebuild was written into `<slug>.rebuild-<pid>-<hex>/` beside the live
 * directory and swapped in by two renames (live -> `<slug>.old-<pid>-<hex>`, staged -> live).
 * What a killed rebuild of that layout left is tidied before the legacy index is migrated.
 */
const SIDE_DIR = /^(.+)\.(rebuild|old)-(\d+)-[0-9a-f]+$/;

/** Whether a process with this pid runs on this host (one we may not signal counts as running). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Tidy what a killed rebuild left beside `live`: a swapped-out index comes back when the live
 * one is missing (killed between the two renames), and dead processes' staging directories
 * are deleted. Directories of a rebuild still running in another process are left alone.
 * Returns what was done, for the log.
 */
export function recoverIndexDir(live: string): string[] {
  const parent = path.dirname(live);
  const slug = path.basename(live);
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return [];
  }
  const done: string[] = [];
  const side = names
    .map((name) => ({ name, m: SIDE_DIR.exec(name) }))
    .filter((s) => s.m && s.m[1] === slug && Number(s.m[3]) !== process.pid && !processAlive(Number(s.m[3])))
    .sort((a, b) => (a.m?.[2] === b.m?.[2] ? 0 : a.m?.[2] === 'old' ? -1 : 1));
  for (const { name, m } of side) {
    const dir = path.join(parent, name);
    if (m?.[2] === 'old' && !fs.existsSync(live)) {
      fs.renameSync(dir, live);
      done.push(`restored ${name} (a rebuild was killed while swapping)`);
    } else {
      fs.rmSync(dir, { recursive: true, force: true });
      done.push(`removed ${name} (left by a killed rebuild)`);
    }
  }
  return done;
}

/**
 * Delete the live index and everything beside it (revoke): a swapped-out copy left behind would
 * otherwise be restored by the next start, and a running rebuild loses its staging directory
 * and fails instead of swapping the deleted data back in.
 */
export function removeIndexDirs(live: string): void {
  fs.rmSync(live, { recursive: true, force: true });
  const slug = path.basename(live);
  let names: string[] = [];
  try {
    names = fs.readdirSync(path.dirname(live));
  } catch {
    return;
  }
  for (const name of names) {
    if (SIDE_DIR.exec(name)?.[1] === slug) fs.rmSync(path.join(path.dirname(live), name), { recursive: true, force: true });
  }
}
