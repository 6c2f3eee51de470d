import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { silentLogger } from '../log';
import { mkdirPrivate, writeFileAtomic } from '../util/fs-atomic';
import { filesIn, processAlive, recoverIndexDir, type IndexFiles } from './index-files';

/*
 * An avatar's index is a series of immutable versions under `<data>/indexes/<slug>/`:
 *
 *   v<ms>-<hex>/     chunks.db, lexical.bin, vectors.hnsw, index.json (never changed once published)
 *   current.json     { version, previous, history } - replaced by rename, so a reader sees the old
 *                    pointer or the new one, and a version only after all its files are synced
 *   semantic.bin     the USE cache (keyed by chunk id and text checksum, so it serves every version)
 *
 * A build writes a new version directory (marked `.building` with its pid and host until
 * published), syncs it and switches the pointer. Superseded versions stay for a grace period
 * (readers elsewhere may still have them open), the previous one always.
 */

const POINTER = 'current.json';
const BUILDING = '.building';
const VERSION_DIR = /^v(\d{13})-[0-9a-f]{8}$/;
/** How many publications current.json remembers (to date when each version was superseded). */
const HISTORY = 20;
/** Superseded versions are deleted this long after they stopped being current (readers may still hold them). */
export const VERSION_GRACE_MS = 10 * 60_000;
/** A build on another host whose directory is older than this is taken for abandoned. */
const STALE_BUILD_MS = 24 * 3_600_000;

export interface IndexPointer {
  version: string;
  /** The version current before this one (kept whatever its age, for a quick way back). */
  previous?: string;
  publishedAt: string;
  /** Recent publications, newest last: when each version became current. */
  history: { version: string; at: string }[];
}

/** Where an avatar's index versions live. */
export function indexRoot(dataDir: string, slug: string): string {
  return path.join(dataDir, 'indexes', slug);
}

/** The directory of an index in the layout before versions: `<data>/avatars/<slug>/`. */
export function legacyIndexDir(dataDir: string, slug: string): string {
  return path.join(dataDir, 'avatars', slug);
}

export function versionFiles(root: string, version: string): IndexFiles {
  return filesIn(path.join(root, version));
}

/** The published pointer, or undefined when nothing was published (or it is unreadable, which is logged). */
export function readPointer(root: string, log: Logger = silentLogger): IndexPointer | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(root, POINTER), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.error({ err, file: path.join(root, POINTER) }, 'cannot read the index pointer');
    return undefined;
  }
  try {
    const p = JSON.parse(text) as IndexPointer;
    return typeof p.version === 'string' && VERSION_DIR.test(p.version) ? { ...p, history: p.history ?? [] } : undefined;
  } catch (err) {
    log.error({ err, file: path.join(root, POINTER) }, 'the index pointer is not valid JSON; treating the index as unpublished');
    return undefined;
  }
}

function newVersionName(): string {
  return `v${String(Date.now()).padStart(13, '0')}-${crypto.randomBytes(4).toString('hex')}`;
}

/** A fresh, empty, unpublished version directory, marked as being built by this process. */
export function createVersion(root: string): { version: string; dir: string } {
  mkdirPrivate(root);
  const version = newVersionName();
  const dir = path.join(root, version);
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.writeFileSync(path.join(dir, BUILDING), JSON.stringify({ pid: process.pid, host: os.hostname() }), { mode: 0o600 });
  return { version, dir };
}

/** Delete an unpublished version (a build that failed or changed nothing). */
export function discardVersion(root: string, version: string): void {
  fs.rmSync(path.join(root, version), { recursive: true, force: true });
}

function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

type PublishedListener = (slug: string, version: string) => void;
const listeners = new Set<PublishedListener>();

/**
 * Be told of every version this process publishes (index-watch.ts tells the other replicas).
 * Returns the function that stops listening.
 */
export function onIndexPublished(listener: PublishedListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export interface PublishOptions {
  /** Publish only if the pointer still names this version (a repair must not undo a newer build). */
  expected?: string | undefined;
  graceMs?: number;
  log?: Logger;
}

/**
 * Make `version` current: sync its files and directory, then replace the pointer by rename.
 * Returns the new pointer, or undefined when `expected` no longer matched. Old versions past
 * their grace period are deleted afterwards.
 */
export function publishVersion(root: string, version: string, options: PublishOptions = {}): IndexPointer | undefined {
  const dir = path.join(root, version);
  for (const name of fs.readdirSync(dir)) {
    if (name !== BUILDING) fsyncPath(path.join(dir, name));
  }
  fsyncPath(dir);
  const before = readPointer(root, options.log);
  if ('expected' in options && before?.version !== options.expected) return undefined;
  const at = new Date().toISOString();
  const pointer: IndexPointer = {
    version,
    ...(before ? { previous: before.version } : {}),
    publishedAt: at,
    history: [...(before?.history ?? []), { version, at }].slice(-HISTORY),
  };
  writeFileAtomic(path.join(root, POINTER), JSON.stringify(pointer, null, 2));
  fsyncPath(root);
  fs.rmSync(path.join(dir, BUILDING), { force: true });
  for (const listener of listeners) {
    try {
      listener(path.basename(root), version);
    } catch (err) {
      (options.log ?? silentLogger).error({ err, root, version }, 'an index-published listener failed');
    }
  }
  for (const line of collectVersions(root, { graceMs: options.graceMs })) (options.log ?? silentLogger).info({ root }, line);
  return pointer;
}

function buildAlive(dir: string, now: number, born: number): boolean {
  let marker: { pid?: number; host?: string };
  try {
    marker = JSON.parse(fs.readFileSync(path.join(dir, BUILDING), 'utf8')) as typeof marker;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    // Unreadable: possibly being written this instant.
    return now - born < STALE_BUILD_MS;
  }
  if (marker.host !== os.hostname()) return now - born < STALE_BUILD_MS;
  return marker.pid === process.pid || processAlive(Number(marker.pid));
}

/**
 * Delete what is no longer needed under `root`: versions superseded more than `graceMs` ago
 * (never the current or the previous one), builds whose process died, and builds on another
 * host untouched for a day. Returns what was deleted, for the log.
 */
export function collectVersions(root: string, options: { graceMs?: number; now?: number } = {}): string[] {
  const grace = options.graceMs ?? VERSION_GRACE_MS;
  const now = options.now ?? Date.now();
  const pointer = readPointer(root);
  const keep = new Set([pointer?.version, pointer?.previous]);
  const history = pointer?.history ?? [];
  const supersededAt = new Map<string, number>();
  history.forEach((h, i) => {
    if (i + 1 < history.length) supersededAt.set(h.version, Date.parse(history[i + 1].at));
  });
  if (!fs.existsSync(root)) return [];
  const removed: string[] = [];
  for (const name of fs.readdirSync(root)) {
    const m = VERSION_DIR.exec(name);
    if (!m || keep.has(name)) continue;
    const dir = path.join(root, name);
    const born = Number(m[1]);
    const since = supersededAt.get(name);
    let why: string | undefined;
    if (since !== undefined) {
      if (now - since > grace) why = `superseded ${Math.round((now - since) / 1000)} s ago`;
    } else if (fs.existsSync(path.join(dir, BUILDING))) {
      if (!buildAlive(dir, now, born)) why = 'left by a build that did not finish';
    } else if (now - born > grace) {
      why = 'never published';
    }
    if (why) {
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(`removed index version ${name} (${why})`);
    }
  }
  return removed;
}

/** Delete every version, the pointer and the caches (revoke). */
export function removeIndexRoot(root: string): void {
  fs.rmSync(root, { recursive: true, force: true });
}

/**
 * The files an index in the layout before versions kept in `<data>/avatars/<slug>/`: the chunk
 * store (with SQLite's side files, folded in by `seal` but moved all the same if sealing failed),
 * the lexical and vector files, the manifest and the semantic cache. Only these move: that folder
 * may also be an avatar package (the eval keeps avatar.yaml, corpus/ and skill.md beside them).
 */
const LEGACY_INDEX_FILES = ['chunks.db', 'chunks.db-wal', 'chunks.db-shm', 'chunks.db-journal', 'lexical.bin', 'vectors.hnsw', 'index.json'] as const;
const SEMANTIC_FILE = 'semantic.bin';

/**
 * An index in the layout before versions (`<data>/avatars/<slug>/`) becomes the first version:
 * what a killed rebuild left beside it is tidied, `seal` folds its write-ahead log into the
 * file, its index files (LEGACY_INDEX_FILES, nothing else) are moved into a new version under
 * indexes/ and published. Nothing is rebuilt; the manifest's tokenizer stamp is checked at load
 * as before. Returns whether it migrated.
 */
export function migrateLegacyIndex(dataDir: string, slug: string, seal: (chunksFile: string) => void, log: Logger = silentLogger): boolean {
  const root = indexRoot(dataDir, slug);
  const legacy = legacyIndexDir(dataDir, slug);
  if (!fs.existsSync(path.dirname(legacy)) || readPointer(root, log)) return false;
  for (const line of recoverIndexDir(legacy)) log.warn({ avatar: slug }, line);
  const files = filesIn(legacy);
  if (!fs.existsSync(files.chunks)) return false;
  try {
    seal(files.chunks);
  } catch (err) {
    // A damaged file is moved all the same: search names it, and ingest rebuilds it from the corpus.
    log.error({ err, avatar: slug, file: files.chunks }, 'cannot seal the legacy chunk store before migrating it');
  }
  const { version, dir } = createVersion(root);
  try {
    // The chunk store first: when another process migrated it first, this one stops here.
    fs.renameSync(files.chunks, path.join(dir, 'chunks.db'));
  } catch (err) {
    discardVersion(root, version);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  for (const name of LEGACY_INDEX_FILES.slice(1)) moveIfThere(path.join(legacy, name), path.join(dir, name));
  moveIfThere(path.join(legacy, SEMANTIC_FILE), path.join(root, SEMANTIC_FILE));
  publishVersion(root, version, { log });
  // The folder goes only when nothing else was in it (not an avatar package).
  try {
    fs.rmdirSync(legacy);
  } catch {
    // Not empty: a package, or files of someone else's; they stay.
  }
  log.info({ avatar: slug, version }, `index moved from ${legacy} to ${dir} (versioned layout)`);
  return true;
}

function moveIfThere(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
