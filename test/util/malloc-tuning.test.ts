import { spawn } from 'node:child_process';
import path from 'node:path';
import { IndexCache } from '../../src/retrieval/index-cache';
import { MMAP_THRESHOLD_BYTES, trimMalloc, tuneMalloc } from '../../src/util/malloc-tuning';
import { capturingLogger } from '../helpers/capturing-logger';
import { tmpDir } from '../helpers/fixtures';

const BIN = path.resolve(__dirname, '../../bin/understudy.js');

/** Start the built `understudy serve` with debug logs until it listens; its log lines as objects. */
async function serveLogs(env: NodeJS.ProcessEnv): Promise<Record<string, unknown>[]> {
  const { MALLOC_MMAP_THRESHOLD_: _preset, ...inherited } = process.env;
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: tmpDir('malloc-serve-'),
    env: { ...inherited, LOG_LEVEL: 'debug', LOG_FORMAT: 'json', PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Logs go to stderr, the playground's banner to stdout.
  let logs = '';
  child.stdout.resume();
  const closed = new Promise<void>((r) => child.on('close', () => r()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not listen: ${logs}`)), 20_000);
      child.stderr.on('data', (d) => {
        logs += d;
        if (/"msg":"listening"/.test(logs)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    child.kill('SIGTERM');
    await closed;
  }
  return logs.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * glibc's malloc, seen through koffi as the tuning uses it: mallinfo2().hblks counts the blocks
 * served from their own mappings (handed back to the system on free).
 */
interface Koffi {
  load(path: string): { func(...signature: unknown[]): (...args: unknown[]) => unknown };
  struct(name: string, fields: Record<string, string>): unknown;
}
function glibcMalloc() {
  const koffi = require('koffi') as Koffi;
  const libc = koffi.load('libc.so.6');
  const info = koffi.struct('mallinfo2', Object.fromEntries(['arena', 'ordblks', 'smblks', 'hblks', 'hblkhd', 'usmblks', 'fsmblks', 'uordblks', 'fordblks', 'keepcost'].map((f) => [f, 'size_t'])));
  const mallinfo2 = libc.func('mallinfo2', info, []) as () => { hblks: number };
  const malloc = libc.func('void *malloc(size_t)');
  const free = libc.func('void free(void *)');
  return {
    /** Whether a block of `bytes` allocated now gets its own mapping. */
    mapped(bytes: number): boolean {
      const before = mallinfo2().hblks;
      const block = malloc(bytes);
      const after = mallinfo2().hblks;
      free(block);
      return after > before;
    },
    churn(bytes: number): void {
      free(malloc(bytes));
    },
  };
}

const glibc = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime;
// The project's machines (and its Docker image) are Linux with glibc; elsewhere the tuning is a no-op.
const onGlibc = process.platform === 'linux' && glibc ? it : it.skip;

describe('glibc malloc tuning for unloaded indexes (UNDERSTUDY_MALLOC_TUNING)', () => {
  onGlibc('fixes the mmap threshold: a 24 MB block still gets its own mapping after a 30 MB one was freed', () => {
    const { log, lines } = capturingLogger();
    expect(tuneMalloc({}, log)).toEqual({ applied: true, trims: true });
    expect(lines()).toContainEqual(expect.objectContaining({ mmap_threshold: MMAP_THRESHOLD_BYTES }));
    // glibc's default would raise its threshold to 30 MB on this free, and serve the 24 MB from its
    // heap (sizes beyond any free stretch a test process's heap has left once trimmed).
    const m = glibcMalloc();
    m.churn(30 << 20);
    expect(trimMalloc()).toBe(true);
    expect(m.mapped(24 << 20)).toBe(true);
  });

  onGlibc('applies a MALLOC_MMAP_THRESHOLD_ of its own (one from .env glibc never read at start), and still trims', () => {
    expect(tuneMalloc({ MALLOC_MMAP_THRESHOLD_: '2097152' })).toEqual({ applied: true, trims: true });
    expect(trimMalloc()).toBe(true);
    // Not a positive whole number: ours.
    expect(tuneMalloc({ MALLOC_MMAP_THRESHOLD_: 'lots' })).toEqual({ applied: true, trims: true });
  });

  it('does nothing with UNDERSTUDY_MALLOC_TUNING=off: no mallopt, no trims', () => {
    expect(tuneMalloc({ UNDERSTUDY_MALLOC_TUNING: 'off' })).toEqual({ applied: false, reason: 'UNDERSTUDY_MALLOC_TUNING=off', trims: false });
    expect(trimMalloc()).toBe(false);
  });

  onGlibc('trims once after the indexes a load unloads, and not when nothing was unloaded', () => {
    tuneMalloc({});
    const evicted: string[] = [];
    const cache = new IndexCache(100);
    const use = (key: string, bytes: number): void => cache.touch(key, () => bytes, () => evicted.push(key));
    use('a', 40);
    use('b', 40);
    expect(cache.stats().trims).toBe(0);
    use('c', 90); // unloads a and b, one trim
    expect(evicted).toEqual(['a', 'b']);
    expect(cache.stats()).toMatchObject({ evictions: 2, trims: 1 });
    cache.clear();
    expect(evicted).toEqual(['a', 'b', 'c']);
    expect(cache.stats()).toMatchObject({ held: 0, trims: 2 });

    tuneMalloc({ UNDERSTUDY_MALLOC_TUNING: 'off' });
    use('d', 90);
    use('e', 90);
    expect(evicted).toContain('d');
    expect(cache.stats().trims).toBe(2);
  });

  onGlibc('is applied by a bare `understudy serve` (npm start), and not with UNDERSTUDY_MALLOC_TUNING=off', async () => {
    const tuned = (lines: Record<string, unknown>[]) => lines.some((l) => l.msg === 'malloc tuning: fixed mmap threshold' && l.mmap_threshold === MMAP_THRESHOLD_BYTES);
    expect(tuned(await serveLogs({}))).toBe(true);
    expect(tuned(await serveLogs({ UNDERSTUDY_MALLOC_TUNING: 'off' }))).toBe(false);
  });
});
