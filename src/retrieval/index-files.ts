import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { writeFileAtomic } from '../util/fs-atomic';
import type { VectorFileStamp } from './vector-index';

/** Where an avatar's generated data lives: `<dataDir>/avatars/<slug>/`, never inside avatars/. */
export function avatarDataDir(dataDir: string, slug: string): string {
  return path.join(dataDir, 'avatars', slug);
}

export interface IndexFiles {
  dir: string;
  chunks: string;
  lexical: string;
  vectors: string;
  manifest: string;
}

export function indexFiles(dataDir: string, slug: string): IndexFiles {
  const dir = avatarDataDir(dataDir, slug);
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
 * A rebuild is written into `<slug>.rebuild-<pid>-<hex>/` beside the live directory and swapped
 * in by two renames (live -> `<slug>.old-<pid>-<hex>`, staged -> live). A crash at any point
 * leaves a complete index: the live one, or the swapped-out one that recoverIndexDir puts back.
 * Slugs have no dots, so these names never collide with an avatar.
 */
const SIDE_DIR = /^(.+)\.(rebuild|old)-(\d+)-[0-9a-f]+$/;
/** Side directories this process made: its own pid on a leftover from before a restart is stale. */
const ours = new Set<string>();

function sideName(live: string, kind: 'rebuild' | 'old'): string {
  return `${live}.${kind}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
}

function isAlive(pid: number, dir: string): boolean {
  if (pid === process.pid) return ours.has(dir);
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A fresh, empty staging directory beside `live` for a rebuild by this process. */
export function createStagingDir(live: string): string {
  const dir = sideName(live, 'rebuild');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  ours.add(dir);
  return dir;
}

/** Forget and delete a staging directory of this process (after a swap or a failure). */
export function removeStagingDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  ours.delete(dir);
}

/** Make the complete index in `staged` the live one. */
export function swapIndexDir(staged: string, live: string): void {
  const old = sideName(live, 'old');
  ours.add(old);
  try {
    const hadLive = fs.existsSync(live);
    if (hadLive) fs.renameSync(live, old);
    try {
      fs.renameSync(staged, live);
    } catch (err) {
      if (hadLive) fs.renameSync(old, live);
      throw err;
    }
    fs.rmSync(old, { recursive: true, force: true });
  } finally {
    ours.delete(old);
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
    .filter((s) => s.m && s.m[1] === slug && !isAlive(Number(s.m[3]), path.join(parent, s.name)))
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

/** Identity of the live index directory; it changes when a rebuild is swapped in. */
export function indexDirIdentity(live: string): string | undefined {
  const st = fs.statSync(live, { throwIfNoEntry: false });
  return st ? `${st.dev}:${st.ino}` : undefined;
}
