import type { Logger } from 'pino';
import { silentLogger } from '../log';

/**
 * glibc malloc tuning for long-running processes that load and unload avatar indexes (serve, the
 * benchmarks). An unloaded index frees its HNSW graph at once, in blocks of several MB. glibc serves
 * blocks above its mmap threshold from their own mappings, handed back to the system on free, but
 * raises that threshold to the size of each such block freed (up to 32 MB): after the first graph
 * unloaded, the next ones land on the brk heap, whose freed pages stay resident and fragment (834 MB
 * of indexes under a 512 MB UNDERSTUDY_INDEX_MEMORY_MB in `npm run bench -- scale:avatars`).
 *
 * tuneMalloc fixes the threshold at 1 MB (mallopt M_MMAP_THRESHOLD, which also stops the dynamic
 * raise), as MALLOC_MMAP_THRESHOLD_=1048576 in the environment would; but glibc reads that variable
 * once, when the process starts, so a bare `npm start` or `understudy serve` cannot set it for
 * itself. trimMalloc (malloc_trim(0)) runs after indexes are unloaded and returns the free pages
 * that the smaller blocks leave in the heap. No npm package exposes mallopt or malloc_trim, so they
 * are called through koffi, an FFI library with prebuilt binaries.
 *
 * Linux with glibc only (musl, macOS and Windows are left alone); UNDERSTUDY_MALLOC_TUNING=off turns
 * both off. A library that cannot be loaded is logged once and skipped: tuning never stops a start.
 */

/** Blocks of 1 MB and more get their own mappings (HNSW graphs, lexical files, vector buffers). */
export const MMAP_THRESHOLD_BYTES = 1 << 20;
const M_MMAP_THRESHOLD = -3;

export interface MallocTuning {
  /** The threshold was set in this process by mallopt. */
  applied: boolean;
  /** Why not, when not applied. */
  reason?: string;
  /** malloc_trim runs after indexes are unloaded (glibc found and tuning not turned off). */
  trims: boolean;
}

/** The part of koffi used here (its typings describe an ES module, this build is CommonJS). */
interface Koffi {
  load(path: string): { func(signature: string): (...args: number[]) => number };
}

interface Libc {
  mallopt: (param: number, value: number) => number;
  mallocTrim: (pad: number) => number;
}

/** Loaded once per process; null when it could not be (the error kept for the report). */
let libc: Libc | null | undefined;
let loadError: string | undefined;
let trimming = false;

function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  try {
    const koffi = require('koffi') as Koffi;
    const lib = koffi.load('libc.so.6');
    libc = { mallopt: lib.func('int mallopt(int, int)'), mallocTrim: lib.func('int malloc_trim(size_t)') };
  } catch (err) {
    libc = null;
    loadError = err instanceof Error ? err.message : String(err);
  }
  return libc;
}

/** The glibc version this process runs on, or undefined (another libc, another system). */
function glibcVersion(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime;
}

/**
 * Fix glibc's mmap threshold for this process and turn on trimming after unloads; call once at the
 * start of a long-running command, before indexes load. `env` is read for UNDERSTUDY_MALLOC_TUNING
 * (off) and MALLOC_MMAP_THRESHOLD_ (a positive whole number of bytes: that threshold, not ours).
 */
export function tuneMalloc(env: NodeJS.ProcessEnv = process.env, log: Logger = silentLogger): MallocTuning {
  trimming = false;
  if (env.UNDERSTUDY_MALLOC_TUNING === 'off') return { applied: false, reason: 'UNDERSTUDY_MALLOC_TUNING=off', trims: false };
  const glibc = glibcVersion();
  if (!glibc) {
    log.debug({ platform: process.platform }, 'malloc tuning skipped: not Linux with glibc');
    return { applied: false, reason: 'not Linux with glibc', trims: false };
  }
  const lib = loadLibc();
  if (!lib) {
    log.info({ err: loadError }, 'malloc tuning skipped: libc could not be loaded through koffi; unloaded indexes may stay resident');
    return { applied: false, reason: `libc not loaded: ${loadError}`, trims: false };
  }
  trimming = true;
  // A MALLOC_MMAP_THRESHOLD_ of its own is applied again here: glibc read the environment at start,
  // and one that came from .env (loaded later) it never saw.
  const own = Number(env.MALLOC_MMAP_THRESHOLD_);
  const threshold = env.MALLOC_MMAP_THRESHOLD_ !== undefined && Number.isInteger(own) && own > 0 ? own : MMAP_THRESHOLD_BYTES;
  if (lib.mallopt(M_MMAP_THRESHOLD, threshold) !== 1) {
    log.info({ glibc, mmap_threshold: threshold }, 'malloc tuning: mallopt(M_MMAP_THRESHOLD) refused; trimming only');
    return { applied: false, reason: 'mallopt refused', trims: true };
  }
  log.debug({ glibc, mmap_threshold: threshold }, 'malloc tuning: fixed mmap threshold');
  return { applied: true, trims: true };
}

/** Hand the heap's free pages back to the system (after indexes were unloaded); false when tuning is not on. */
export function trimMalloc(): boolean {
  if (!trimming || !libc) return false;
  libc.mallocTrim(0);
  return true;
}
