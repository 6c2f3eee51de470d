import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AvatarService } from '../src/app/avatar-service';
import { createAvatarPackage } from '../src/avatars/create';
import { localEmbedderFactory } from '../src/retrieval/embedders';
import { SqliteStateStore } from '../src/store/sqlite-store';
import { tuneMalloc, type MallocTuning } from '../src/util/malloc-tuning';
import { median, ms, peakRss, percentile, rng, type Row } from './util';

/*
 * `npm run bench -- scale`, its avatars part: many avatars behind one process. One synthetic
 * avatar of CHUNKS chunks is ingested (building a million chunks would take most of the run),
 * then copied under AVATARS slugs (the chunk store copied, the read-only index files
 * hard-linked: every avatar loads its own copy into memory all the same), and a fresh process
 * asks each avatar once in turn (cold loads) and then repeats questions to the last ones asked
 * (warm searches), under the memory budget with the process's malloc tuning (util/malloc-tuning,
 * what serve does) and without it (UNDERSTUDY_MALLOC_TUNING=off: glibc's defaults), BENCH_SCALE_REPEAT
 * times each, alternating (medians), and once with every index held.
 * BENCH_SCALE_AVATARS, BENCH_SCALE_CHUNKS, BENCH_SCALE_BUDGET_MB and BENCH_SCALE_REPEAT change the
 * sizes (defaults 100, 10000, 512, 3).
 */

const WORDS = 20_000;

/** Pseudo-words with a Zipf-like frequency, so the lexical index has a realistic vocabulary. */
function syntheticCorpus(dir: string, chunks: number): void {
  const rand = rng(42);
  const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'zu', 'pe', 'ga', 'do', 'fi', 'ho', 'ju', 'be'];
  const vocab = Array.from({ length: WORDS }, (_, i) => {
    let w = '';
    for (let n = i + 1; n > 0; n = Math.floor(n / syllables.length)) w += syllables[n % syllables.length];
    return w;
  });
  const word = (): string => vocab[Math.min(WORDS - 1, Math.floor(Math.exp(rand() * Math.log(WORDS))) - 1)];
  fs.mkdirSync(dir, { recursive: true });
  const perFile = 100;
  for (let f = 0; f * perFile < chunks; f++) {
    const paras: string[] = [];
    for (let p = 0; p < perFile && f * perFile + p < chunks; p++) {
      // About 60 words: one paragraph, one chunk.
      const sentence = (): string => `${Array.from({ length: 12 }, word).join(' ')}.`;
      paras.push(`${Array.from({ length: 5 }, sentence).join(' ')} (ref ${f}-${p})`);
    }
    fs.writeFileSync(path.join(dir, `doc-${String(f).padStart(5, '0')}.md`), paras.join('\n\n'));
  }
}

/** Copy a directory tree: SQLite files copied (a hard-linked database would share its locks), the rest (read only) linked. */
function replicate(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const [src, dest] = [path.join(from, e.name), path.join(to, e.name)];
    if (e.isDirectory()) replicate(src, dest);
    else if (e.name.startsWith('chunks.db')) fs.copyFileSync(src, dest);
    else fs.linkSync(src, dest);
  }
}

/** `avatars` copies of one ingested avatar: its package, and its index data under every data folder named after it. */
function cloneAvatars(root: string, slug: string, avatars: number): void {
  const yaml = fs.readFileSync(path.join(root, 'avatars', slug, 'avatar.yaml'), 'utf8');
  const dataDirs = fs.readdirSync(path.join(root, 'data')).map((d) => path.join(root, 'data', d, slug)).filter((d) => fs.existsSync(d));
  for (let i = 1; i < avatars; i++) {
    const other = `scale-${String(i).padStart(3, '0')}`;
    fs.mkdirSync(path.join(root, 'avatars', other, 'corpus'), { recursive: true });
    fs.writeFileSync(path.join(root, 'avatars', other, 'avatar.yaml'), yaml.replaceAll(slug, other));
    for (const dir of dataDirs) replicate(dir, path.join(path.dirname(dir), other));
  }
}

interface ProbeResult {
  /** Resident memory before any index is loaded (Node, the embedder, SQLite). */
  baseRssMb: number;
  cold: number[];
  warm: number[];
  /** After the run, with nothing forced. */
  rssMb: number;
  /** Of which V8's heap and the memory outside it that V8 accounts for (Buffers: the lexical files), before collection. */
  heapMb: number;
  externalMb: number;
  /** After collections and their finalizers had run. */
  settledRssMb: number;
  peakRssMb: number;
  held: number;
  accountedMb: number;
  evictions: number;
  trims: number;
  tuning: MallocTuning;
  /** Resident memory after each cold load (BENCH_SCALE_TRACE=1). */
  trace?: number[];
}

const mbOf = (bytes: number): number => Math.round(bytes / 1048576);

/** In a fresh process: ask every avatar once, then the recent ones again; time and memory as JSON. */
async function probe(avatarsDir: string, dataDir: string, budgetMb: number, tuning: MallocTuning): Promise<ProbeResult> {
  const svc = new AvatarService({ avatarsDir, dataDir, embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:'), indexMemoryMb: budgetMb });
  const slugs = svc.registry.list().map((a) => a.config.slug);
  global.gc?.();
  const baseRssMb = mbOf(process.memoryUsage().rss);
  const rss = peakRss();
  const rand = rng(9);
  const query = (): string => `kalo mine ${['rusa', 'tivo', 'zupe', 'gado'][Math.floor(rand() * 4)]}`;
  const cold: number[] = [];
  const trace: number[] = [];
  for (const slug of slugs) {
    const t = process.hrtime.bigint();
    await svc.index(slug).search(query(), { k: 5 });
    cold.push(ms(t));
    if (process.env.BENCH_SCALE_TRACE) trace.push(mbOf(process.memoryUsage().rss));
  }
  // Warm: the five most recent avatars, which any budget that holds five keeps loaded.
  const recent = slugs.slice(-5);
  const warm: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = process.hrtime.bigint();
    await svc.index(recent[i % recent.length]).search(query(), { k: 5 });
    warm.push(ms(t));
  }
  const peakRssMb = rss.stop();
  const mem = process.memoryUsage();
  const rssMb = mbOf(mem.rss);
  // Whatever garbage is left (the JS side of unloaded indexes) once collected, finalizers run.
  for (let i = 0; i < 3; i++) {
    global.gc?.();
    await new Promise((r) => setTimeout(r, 100));
  }
  const stats = svc.indexMemory.stats();
  const result: ProbeResult = {
    baseRssMb, cold, warm, rssMb, heapMb: mbOf(mem.heapTotal), externalMb: mbOf(mem.external), settledRssMb: mbOf(process.memoryUsage().rss), peakRssMb,
    held: stats.held, accountedMb: mbOf(stats.usedBytes), evictions: stats.evictions, trims: stats.trims, tuning, ...(trace.length ? { trace } : {}),
  };
  svc.close();
  return result;
}

/** Ingest one synthetic avatar of `chunks` chunks under `root` and clone it `avatars` - 1 times; returns its chunk count. */
export async function buildAvatars(root: string, avatars: number, chunks: number): Promise<number> {
  const slug = 'scale-000';
  syntheticCorpus(path.join(root, 'src'), chunks);
  createAvatarPackage(path.join(root, 'avatars'), { slug, name: 'Scale', from: [path.join(root, 'src')] }, root);
  const svc = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });
  const report = await svc.ingest(slug);
  svc.close();
  cloneAvatars(root, slug, avatars);
  return report.totalChunks;
}

/** Run the probe in a fresh process (so one mode's memory never counts in the other's). */
function probeIn(root: string, budgetMb: number, env: Record<string, string> = {}): ProbeResult {
  // glibc's own variable would hide what the tuning (or its absence) does.
  const { MALLOC_MMAP_THRESHOLD_: _preset, ...inherited } = process.env;
  const out = execFileSync(process.execPath, ['--expose-gc', __filename, path.join(root, 'avatars'), path.join(root, 'data'), String(budgetMb)], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    env: { ...inherited, ...env },
  });
  return JSON.parse(out) as ProbeResult;
}

export async function benchScaleAvatars(): Promise<Row[]> {
  const avatars = Number(process.env.BENCH_SCALE_AVATARS ?? 100);
  const chunks = Number(process.env.BENCH_SCALE_CHUNKS ?? 10_000);
  const budgetMb = Number(process.env.BENCH_SCALE_BUDGET_MB ?? 512);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-scale-'));
  try {
    process.stderr.write(`  scale: ${avatars} avatars of ${chunks} chunks (one ingested, the rest copies)\n`);
    const chunksEach = await buildAvatars(root, avatars, chunks);
    const repeat = Math.max(1, Number(process.env.BENCH_SCALE_REPEAT ?? 3));
    const modes: [string, number, Record<string, string>][] = [
      [`budget ${budgetMb} MB, malloc tuning on`, budgetMb, {}],
      // glibc's defaults: its mmap threshold rises to the size of the last large block freed, after
      // which freed graphs and buffers land in its heap and stay resident.
      [`budget ${budgetMb} MB, UNDERSTUDY_MALLOC_TUNING=off`, budgetMb, { UNDERSTUDY_MALLOC_TUNING: 'off' }],
    ];
    const runs = new Map<string, ProbeResult[]>();
    // Alternating, so drift on a shared machine falls on both.
    for (let i = 0; i < repeat; i++) {
      for (const [mode, mb, env] of modes) {
        process.stderr.write(`  scale: ${mode} (${i + 1}/${repeat})\n`);
        runs.set(mode, [...(runs.get(mode) ?? []), probeIn(root, mb, env)]);
      }
    }
    const held = 'every index held, malloc tuning on';
    process.stderr.write(`  scale: ${held}\n`);
    runs.set(held, [probeIn(root, 1_000_000)]);
    const rows: Row[] = [];
    for (const [mode, rs] of runs) {
      const mid = (f: (r: ProbeResult) => number): number => median(rs.map(f));
      const settled = mid((r) => r.settledRssMb - r.baseRssMb);
      rows.push({
        mode, runs: rs.length, avatars, chunks_each: chunksEach, tuning: rs[0].tuning.applied ? 'mallopt' : (rs[0].tuning.reason ?? 'none'),
        // Memory the indexes take: resident memory above the process before any was loaded.
        base_rss_mb: mid((r) => r.baseRssMb), index_rss_mb: mid((r) => r.rssMb - r.baseRssMb), index_peak_rss_mb: mid((r) => r.peakRssMb - r.baseRssMb), index_settled_rss_mb: settled,
        v8_heap_mb: mid((r) => r.heapMb), external_mb: mid((r) => r.externalMb),
        held: rs[0].held, accounted_mb: rs[0].accountedMb, evictions: rs[0].evictions, trims: rs[0].trims,
        // The budget's estimate per index beside what each held index really takes (settled RSS / held).
        accounted_per_held_mb: +(rs[0].accountedMb / rs[0].held).toFixed(1), settled_rss_per_held_mb: +(settled / rs[0].held).toFixed(1),
        cold_p50_ms: +mid((r) => median(r.cold)).toFixed(1), cold_p99_ms: +mid((r) => percentile(r.cold, 99)).toFixed(1), warm_p50_ms: +mid((r) => median(r.warm)).toFixed(2),
      });
    }
    return rows;
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) {
  // What serve does at its start (UNDERSTUDY_MALLOC_TUNING=off in the environment skips it).
  const tuning = tuneMalloc(process.env);
  const [avatarsDir, dataDir, budgetMb] = process.argv.slice(2);
  probe(avatarsDir, dataDir, Number(budgetMb), tuning).then(
    (r) => process.stdout.write(JSON.stringify(r)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
