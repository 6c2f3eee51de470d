import fs from 'node:fs';
import zlib from 'node:zlib';
import { HierarchicalNSW } from 'hnswlib-node';
import { UnderstudyError } from '../errors';

export interface VectorHit {
  label: number;
  /** Cosine similarity in [-1, 1]. */
  similarity: number;
}

export interface HnswParams {
  m: number;
  efConstruction: number;
  efSearch: number;
}

/** efSearch 384 reaches a tie-aware recall@10 of about 0.95 at 100k chunks, even for short queries against exact search (`npm run bench`). */
export const DEFAULT_HNSW: HnswParams = { m: 16, efConstruction: 100, efSearch: 384 };

/** What we record beside the hnswlib file to detect truncation and bit rot before loading it. */
export interface VectorFileStamp {
  bytes: number;
  crc32: number;
}

/**
 * Resident bytes of a loaded hnswlib graph of `count` vectors, for the index memory budget. Each
 * element holds its vector (dims * 4), its level-0 links (2M ids of 4 bytes, a count, an 8-byte
 * label), one in M also upper-level links (M ids and a count), and about 400 bytes of
 * bookkeeping (its lock, level, label lookup entry, list pointer, allocator overhead: measured,
 * 22 MB resident for 10k vectors of 384 dimensions); each graph also has 65,536 label locks of
 * 40 bytes (2.5 MB) however small it is.
 */
export function hnswBytes(count: number, dimensions: number, m = DEFAULT_HNSW.m): number {
  const level0 = dimensions * 4 + 2 * m * 4 + 4 + 8;
  const upper = (m * 4 + 4) / m;
  return count * Math.ceil(level0 + upper + 400) + 65_536 * 40;
}

/** hnswlib-node behind a small interface: cosine space, labels are chunk ids. */
export class VectorIndex {
  private index: HierarchicalNSW | undefined;

  private constructor(
    index: HierarchicalNSW,
    readonly dimensions: number,
    private readonly params: HnswParams,
  ) {
    this.index = index;
    index.setEf(params.efSearch);
  }

  static create(dimensions: number, capacity: number, params: HnswParams = DEFAULT_HNSW): VectorIndex {
    // initIndex on a reused wrapper deletes its placeholder graph; if it throws, hnswlib-node leaves no graph (safe to drop).
    const index = takeWrapper(dimensions).index;
    index.initIndex({ maxElements: Math.max(capacity, 16), m: params.m, efConstruction: params.efConstruction, randomSeed: 42, allowReplaceDeleted: true });
    return new VectorIndex(index, dimensions, params);
  }

  /** Load a saved index, verifying its size and checksum first (hnswlib itself may not notice bit rot). */
  static load(file: string, dimensions: number, stamp: VectorFileStamp, params: HnswParams = DEFAULT_HNSW): VectorIndex {
    const corrupt = (why: string, cause?: unknown): UnderstudyError =>
      new UnderstudyError('INDEX_CORRUPT', `${file} is corrupt (${why}); rebuild it with \`understudy ingest <slug> --rebuild\``, { cause, details: { file } });
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (err) {
      throw corrupt('cannot read it', err);
    }
    try {
      let size: number;
      let crc: number;
      try {
        ({ size, crc } = crcOfFd(fd));
      } catch (err) {
        throw corrupt('cannot read it', err);
      }
      if (size !== stamp.bytes) throw corrupt(`${size} bytes, expected ${stamp.bytes}: truncated or replaced`);
      if (crc !== stamp.crc32) throw corrupt('checksum mismatch');
      // A failed readIndexSync leaves a reused wrapper with a freed graph it deletes again in its
      // destructor (at the latest when the process exits): so a wrapper is reused only for bytes
      // that already loaded (or were written) in this process, read through the descriptor checked above (a file
      // replaced or deleted meanwhile cannot fail the read); anything else gets a fresh wrapper.
      const content = `${dimensions}:${size}:${crc}`;
      const through = PROC_FD ? `/proc/self/fd/${fd}` : undefined;
      const { index, reused } = takeWrapper(dimensions, through !== undefined && loadedBefore.has(content));
      try {
        // On a reused wrapper this deletes its placeholder graph and builds a new one from the file (lock arrays included).
        index.readIndexSync(reused ? (through as string) : file, true);
      } catch (err) {
        // Should not happen (same bytes loaded before): such a wrapper must never run again. Held for good.
        if (reused) wrappers.broken.push(index);
        throw corrupt((err as Error).message, err);
      }
      rememberLoaded(content);
      return new VectorIndex(index, dimensions, params);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** The native graph, or a clear error once closed (hnswlib would answer from an empty graph). */
  private get graph(): HierarchicalNSW {
    if (!this.index) throw new UnderstudyError('INTERNAL', 'this vector index was closed (its avatar index was unloaded); load the index again');
    return this.index;
  }

  get closed(): boolean {
    return this.index === undefined;
  }

  /**
   * Free the graph now. hnswlib-node deletes it only when V8 collects the JS wrapper, and V8,
   * blind to the native size behind a small object, may keep dozens of unloaded graphs alive;
   * initIndex deletes the current graph at once and puts a one-element graph (about 2.5 MB of
   * label locks) in its place. The wrapper then waits among the spares for the next load or
   * create of its dimensions, which replaces that placeholder, instead of holding its 2.5 MB
   * until V8 collects it (past SPARE_WRAPPERS spares the oldest is left to the collector). Using this
   * index afterwards throws: it no longer refers to the wrapper, so a reused wrapper is never
   * reached through it. Callers close an index only when no search holds it (AvatarIndex's refs).
   */
  close(): void {
    const index = this.index;
    if (!index) return;
    this.index = undefined;
    index.initIndex({ maxElements: 1, m: 2, efConstruction: 1 });
    giveWrapper(this.dimensions, index);
  }

  get count(): number {
    return this.graph.getCurrentCount();
  }

  add(label: number, vector: ArrayLike<number>): void {
    if (vector.length !== this.dimensions) {
      throw new UnderstudyError('INDEX_MISMATCH', `vector of ${vector.length} dimensions added to an index of ${this.dimensions}`);
    }
    const index = this.graph;
    if (index.getCurrentCount() >= index.getMaxElements()) {
      index.resizeIndex(Math.ceil(index.getMaxElements() * 1.5) + 16);
    }
    index.addPoint(Array.from(vector), label, true);
  }

  remove(label: number): void {
    const index = this.graph;
    try {
      index.markDelete(label);
    } catch {
      // Already gone: removal is idempotent.
    }
  }

  /** `ef` overrides the search breadth (a fused ranker needs less recall than exact nearest neighbours). */
  search(vector: ArrayLike<number>, k: number, filter?: (label: number) => boolean, ef = this.params.efSearch): VectorHit[] {
    const index = this.graph;
    const n = index.getCurrentCount();
    if (n === 0 || k <= 0) return [];
    index.setEf(Math.max(ef, k));
    const res = index.searchKnn(Array.from(vector), Math.min(k, n), filter);
    return res.neighbors.map((label, i) => ({ label, similarity: 1 - res.distances[i] }));
  }

  /** Write to `file` through a temp file and rename; returns the stamp to record. */
  save(file: string): VectorFileStamp {
    const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
    this.graph.writeIndexSync(tmp);
    fs.chmodSync(tmp, 0o600);
    const fd = fs.openSync(tmp, 'r+');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    const { size, crc } = crcOfFile(tmp);
    fs.renameSync(tmp, file);
    // Written by hnswlib in this process: safe to read into a reused wrapper.
    rememberLoaded(`${this.dimensions}:${size}:${crc}`);
    return { bytes: size, crc32: crc };
  }
}

/**
 * Closed hnswlib-node wrappers kept for reuse (close()), each with its dimensions (the space is
 * always cosine), most recently closed last: a few, enough for loads and unloads that alternate
 * under the memory budget. Past SPARE_WRAPPERS the oldest is left to the collector.
 */
const SPARE_WRAPPERS = 4;
const wrappers = { spares: [] as { dimensions: number; index: HierarchicalNSW }[], created: 0, reused: 0, broken: [] as HierarchicalNSW[] };

/** Contents (dimensions, size, CRC) loaded without error, or written, in this process: safe to read into a reused wrapper. */
const loadedBefore = new Set<string>();
const LOADED_KEPT = 10_000;
function rememberLoaded(content: string): void {
  if (loadedBefore.size >= LOADED_KEPT) loadedBefore.clear();
  loadedBefore.add(content);
}
/** Linux: a file can be read by the path of a descriptor this process holds. */
const PROC_FD = fs.existsSync('/proc/self/fd');

function takeWrapper(dimensions: number, reuse = true): { index: HierarchicalNSW; reused: boolean } {
  const at = reuse ? wrappers.spares.findLastIndex((w) => w.dimensions === dimensions) : -1;
  if (at >= 0) {
    const [spare] = wrappers.spares.splice(at, 1);
    wrappers.reused++;
    return { index: spare.index, reused: true };
  }
  wrappers.created++;
  return { index: new HierarchicalNSW('cosine', dimensions), reused: false };
}

function giveWrapper(dimensions: number, index: HierarchicalNSW): void {
  wrappers.spares.push({ dimensions, index });
  if (wrappers.spares.length > SPARE_WRAPPERS) wrappers.spares.shift();
}

/** Native wrappers made and reused since start, spares waiting, and those a failed load left unusable. */
export function vectorWrapperStats(): { created: number; reused: number; spare: number; broken: number } {
  return { created: wrappers.created, reused: wrappers.reused, spare: wrappers.spares.length, broken: wrappers.broken.length };
}

/** CRC32 and size of a file, read in 8 MB blocks so a large index never sits in memory twice. */
function crcOfFile(file: string): { size: number; crc: number } {
  const fd = fs.openSync(file, 'r');
  try {
    return crcOfFd(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** CRC32 and size of an open file, from its start. */
function crcOfFd(fd: number): { size: number; crc: number } {
  const block = Buffer.allocUnsafe(8 * 1024 * 1024);
  let crc = 0;
  let size = 0;
  for (;;) {
    const n = fs.readSync(fd, block, 0, block.length, size);
    if (n === 0) break;
    crc = zlib.crc32(block.subarray(0, n), crc);
    size += n;
  }
  return { size, crc };
}
