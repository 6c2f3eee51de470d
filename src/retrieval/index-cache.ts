import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { silentLogger } from '../log';
import { trimMalloc } from '../util/malloc-tuning';
import { readManifest, type IndexFiles } from './index-files';
import { hnswBytes } from './vector-index';

/**
 * What one loaded index holds besides its lexical file and HNSW graph: the chunk store's page
 * cache (capped at 1 MB for published versions) and, per chunk, the JS maps built at load
 * (visibility policy, file of each chunk, lexical position). Measured with `npm run bench --
 * scale` (10k-chunk avatars): about 30 MB resident per held index, of which the graph is 22 MB,
 * the lexical file 6 MB and the maps 2.5 MB.
 */
const BASE_BYTES = 1 << 20;
const JS_BYTES_PER_CHUNK = 250;

/**
 * The memory one avatar's index takes once loaded, estimated from what is on disk: the lexical
 * file is read into memory whole, the HNSW graph's size follows from its chunk count and
 * dimensions (hnswBytes), and the semantic vectors are read whole when built (their cache sits
 * beside the versions, in the parent of the version directory).
 */
export function indexFootprint(files: IndexFiles): number {
  const size = (file: string): number => fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0;
  const manifest = readManifest(files.manifest);
  const chunks = manifest?.chunks ?? 0;
  // No manifest yet (nothing built): the vector file's size stands in for the graph.
  const graph = manifest ? (manifest.vectors ? hnswBytes(chunks, manifest.dimensions) : 0) : size(files.vectors);
  return BASE_BYTES + size(files.lexical) + graph + size(path.join(path.dirname(files.dir), 'semantic.bin')) + chunks * JS_BYTES_PER_CHUNK;
}

interface Held {
  bytes: number;
  evict: () => void;
}

/**
 * Which avatar indexes may stay in memory: a hub with a hundred avatars cannot hold a hundred
 * indexes. Each use of an index marks it most recent; past the budget
 * (UNDERSTUDY_INDEX_MEMORY_MB) the least recently used are unloaded (they reload from disk on
 * their next question). The index in use is never the one evicted, so one larger than the
 * whole budget still answers, alone.
 */
export class IndexCache {
  /** Most recently used last (a Map keeps insertion order). */
  private readonly held = new Map<string, Held>();
  private used = 0;
  private evictions = 0;
  /** Heap trims after unloads (0 unless the process tuned malloc: serve, the benchmarks). */
  private trims = 0;

  constructor(
    readonly budgetBytes: number,
    private readonly log: Logger = silentLogger,
  ) {}

  /**
   * `key` is about to be used. A key not held yet is measured (`bytes`, only then) and takes
   * its place by unloading the least recently used others; `evict` unloads it in its turn.
   */
  touch(key: string, bytes: () => number, evict: () => void): void {
    const held = this.held.get(key);
    if (held) {
      this.held.delete(key);
      this.held.set(key, held);
      return;
    }
    const entry = { bytes: bytes(), evict };
    const evictionsBefore = this.evictions;
    for (const [other, h] of this.held) {
      if (this.used + entry.bytes <= this.budgetBytes) break;
      this.drop(other, h);
      this.evictions++;
      this.log.debug({ avatar: other, mb: mb(h.bytes), for: key }, 'index unloaded to stay within UNDERSTUDY_INDEX_MEMORY_MB');
    }
    // The graphs just freed: glibc's heap keeps free pages resident until trimmed (util/malloc-tuning).
    if (this.evictions > evictionsBefore) this.trim();
    if (entry.bytes > this.budgetBytes) {
      this.log.warn({ avatar: key, mb: mb(entry.bytes), budget_mb: mb(this.budgetBytes) }, 'this index alone is larger than UNDERSTUDY_INDEX_MEMORY_MB; holding it anyway');
    }
    this.held.set(key, entry);
    this.used += entry.bytes;
  }

  /** Stop accounting for `key` (its index was closed or removed) without calling its evict. */
  forget(key: string): void {
    const h = this.held.get(key);
    if (!h) return;
    this.held.delete(key);
    this.used -= h.bytes;
  }

  /** Unload everything. */
  clear(): void {
    const any = this.held.size > 0;
    for (const [key, h] of [...this.held]) this.drop(key, h);
    if (any) this.trim();
  }

  /** Keys held, least recently used first. */
  keys(): string[] {
    return [...this.held.keys()];
  }

  stats(): { held: number; usedBytes: number; budgetBytes: number; evictions: number; trims: number } {
    return { held: this.held.size, usedBytes: this.used, budgetBytes: this.budgetBytes, evictions: this.evictions, trims: this.trims };
  }

  private trim(): void {
    if (trimMalloc()) this.trims++;
  }

  private drop(key: string, h: Held): void {
    this.held.delete(key);
    this.used -= h.bytes;
    h.evict();
  }
}

function mb(bytes: number): number {
  return Math.round((bytes / (1 << 20)) * 10) / 10;
}
