import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryVectorStore } from '@langchain/classic/vectorstores/memory';
import { AvatarService } from '../src/app/avatar-service';
import { createAvatarPackage } from '../src/avatars/create';
import { localEmbedderFactory } from '../src/retrieval/embedders';
import { isEnglishText, SemanticVectors, useLiteEncoder } from '../src/retrieval/semantic';
import { SqliteStateStore } from '../src/store/sqlite-store';
import { splitSentences } from '../src/text/sentences';
import { lengthUnits } from '../src/text/cjk';
import { CORPORA, median, ms, peakRss, percentile, requireCorpora, rng, type Row } from './util';

function service(root: string): AvatarService {
  return new AvatarService({
    avatarsDir: path.join(root, 'avatars'),
    dataDir: path.join(root, 'data'),
    embedders: localEmbedderFactory(),
    store: new SqliteStateStore(':memory:'),
  });
}

/** Ingest throughput on the real corpora, each as its own avatar. */
export async function benchIngest(root: string): Promise<Row[]> {
  requireCorpora();
  const svc = service(root);
  const sets = [
    { slug: 'allen-p', name: 'Phillip Allen', from: path.join(CORPORA, 'enron_maildir_sent/maildir/allen-p/sent_items') },
    { slug: 'ruanyf', name: '阮一峰', from: path.join(CORPORA, 'ruanyf_weekly_zh/docs') },
    { slug: 'paul-graham', name: 'Paul Graham', from: path.join(CORPORA, 'paul_graham_essays') },
    { slug: 'r-contributors', name: 'R contributors', from: path.join(CORPORA, 'slack_export_r_contributors') },
  ];
  const rows: Row[] = [];
  for (const s of sets) {
    createAvatarPackage(path.join(root, 'avatars'), { slug: s.slug, name: s.name, from: [s.from] }, root);
    svc.reload();
    const t = process.hrtime.bigint();
    const r = await svc.ingest(s.slug);
    const sec = ms(t) / 1000;
    rows.push({ corpus: s.slug, files: r.filesRead, chunks: r.totalChunks, seconds: +sec.toFixed(2), chunks_per_s: Math.round(r.chunksAdded / sec) });
  }
  svc.close();
  return rows;
}

/** Sentences from the real corpora, the material for synthetic large avatars. */
function sentencePool(): string[] {
  const pool: string[] = [];
  const add = (dir: string, filter: (f: string) => boolean) => {
    for (const f of fs.readdirSync(dir).filter(filter)) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      for (const s of splitSentences(text)) if (s.length > 30 && s.length < 400) pool.push(s);
    }
  };
  add(path.join(CORPORA, 'paul_graham_essays'), (f) => f.endsWith('.txt'));
  add(path.join(CORPORA, 'ruanyf_weekly_zh/docs'), (f) => f.endsWith('.md'));
  return pool;
}

/** Write a synthetic corpus of about `chunks` paragraphs (one chunk each) sampled from real text. */
function writeSyntheticCorpus(dir: string, chunks: number, pool: string[]): string[] {
  const rand = rng(chunks);
  const perFile = 100;
  const paragraphs: string[] = [];
  fs.mkdirSync(dir, { recursive: true });
  for (let f = 0; f * perFile < chunks; f++) {
    const parts: string[] = [];
    for (let p = 0; p < perFile && f * perFile + p < chunks; p++) {
      // Between half and all of a chunk, so that each paragraph becomes exactly one chunk.
      let para = pool[Math.floor(rand() * pool.length)];
      while (lengthUnits(para) < 330) para += ` ${pool[Math.floor(rand() * pool.length)]}`;
      while (lengthUnits(para) > 560) para = para.slice(0, Math.floor(para.length * 0.9));
      parts.push(`${para} (ref ${f}-${p})`);
      paragraphs.push(para);
    }
    fs.writeFileSync(path.join(dir, `doc-${String(f).padStart(5, '0')}.md`), parts.join('\n\n'));
  }
  return paragraphs;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Search at scale: hybrid p50/p99 against exact brute-force cosine and LangChain's
 * MemoryVectorStore on the same vectors, HNSW recall@10 against exact, load time and RSS.
 */
export async function benchScale(root: string, size: number): Promise<Row> {
  requireCorpora();
  const pool = sentencePool();
  const slug = `synthetic-${size}`;
  const src = path.join(root, 'src', slug);
  const paragraphs = writeSyntheticCorpus(src, size, pool);
  const svc = service(root);
  createAvatarPackage(path.join(root, 'avatars'), { slug, name: 'Synthetic', from: [src] }, root);
  svc.reload();
  const peak = peakRss();
  const t0 = process.hrtime.bigint();
  const report = await svc.ingest(slug);
  const ingestSec = ms(t0) / 1000;
  const buildPeak = peak.stop();
  svc.close();

  // Load cold in a fresh process, as a restart would, to measure load time and RSS honestly.
  const probe = JSON.parse(
    execFileSync(process.execPath, ['--expose-gc', path.join(__dirname, 'load-probe.js'), path.join(root, 'avatars'), path.join(root, 'data'), slug], { encoding: 'utf8' }),
  ) as { loadMs: number; peakRssMb: number; rssMb: number };
  const fresh = service(root);
  const index = fresh.index(slug);
  index.load();

  const rand = rng(7);
  const queries = Array.from({ length: 200 }, () => {
    const p = paragraphs[Math.floor(rand() * paragraphs.length)];
    const words = p.split(/\s+/);
    return words.length > 6 ? words.slice(0, 6).join(' ') : p.slice(0, 12);
  });
  const hybrid: number[] = [];
  for (const q of queries) {
    const t = process.hrtime.bigint();
    await index.search(q, { k: 10 });
    hybrid.push(ms(t));
  }

  // Exact search and MemoryVectorStore over the very same stored vectors.
  const store = index.chunkStore();
  const ids: number[] = [];
  const vecs: Float32Array[] = [];
  for (const row of store.iterateForIndex()) {
    ids.push(row.id);
    vecs.push(row.vector);
  }
  const L = index.load();
  const qv = await Promise.all(queries.map((q) => L.embedder.embedQuery(q)));
  const exact: number[] = [];
  const hnsw: number[] = [];
  let recall = 0;
  let tieRecall = 0;
  for (let i = 0; i < queries.length; i++) {
    let t = process.hrtime.bigint();
    const scored = vecs.map((v, j) => ({ id: ids[j], s: dot(v, qv[i]) }));
    scored.sort((a, b) => b.s - a.s);
    const truth = new Set(scored.slice(0, 10).map((x) => x.id));
    const tenth = scored[Math.min(9, scored.length - 1)].s - 1e-5;
    exact.push(ms(t));
    t = process.hrtime.bigint();
    const got = L.vectors ? L.vectors.search(qv[i], 10) : [];
    hnsw.push(ms(t));
    recall += got.filter((g) => truth.has(g.label)).length / Math.max(1, truth.size);
    // Sampled text repeats sentences, so exact scores tie; count any neighbour as good as the 10th.
    tieRecall += got.filter((g) => g.similarity >= tenth).length / Math.max(1, truth.size);
  }
  let memoryStoreP50 = NaN;
  if (size <= 20_000) {
    // MemoryVectorStore keeps number[] per document; at 100k it would need several GB.
    const mvs = new MemoryVectorStore({ embedQuery: async () => [], embedDocuments: async () => [] } as never);
    await mvs.addVectors(vecs.map((v) => Array.from(v)), ids.map((id) => ({ pageContent: '', metadata: { id } })));
    const t: number[] = [];
    for (const q of qv.slice(0, 50)) {
      const s = process.hrtime.bigint();
      await mvs.similaritySearchVectorWithScore(Array.from(q), 10);
      t.push(ms(s));
    }
    memoryStoreP50 = median(t);
  }
  fresh.close();
  return {
    chunks: report.totalChunks,
    ingest_s: +ingestSec.toFixed(1),
    ingest_chunks_per_s: Math.round(report.chunksAdded / ingestSec),
    build_peak_rss_mb: buildPeak,
    load_ms: +probe.loadMs.toFixed(0),
    load_peak_rss_mb: probe.peakRssMb,
    loaded_rss_mb: probe.rssMb,
    hybrid_p50_ms: +median(hybrid).toFixed(2),
    hybrid_p99_ms: +percentile(hybrid, 99).toFixed(2),
    hnsw_p50_ms: +median(hnsw).toFixed(3),
    exact_p50_ms: +median(exact).toFixed(2),
    memory_vector_store_p50_ms: Number.isNaN(memoryStoreP50) ? 'skipped (>20k)' : +memoryStoreP50.toFixed(2),
    exact_over_hnsw: +(median(exact) / median(hnsw)).toFixed(1),
    hnsw_recall_at_10: +(tieRecall / queries.length).toFixed(3),
    hnsw_recall_at_10_by_id: +(recall / queries.length).toFixed(3),
  };
}

/**
 * The offline semantic layer (USE lite): how fast it builds (chunks/s on real essay
 * paragraphs) and what a semantic query costs (query embedding plus brute-force cosine).
 */
export async function benchSemantic(): Promise<Row> {
  requireCorpora();
  const pool = sentencePool().filter((s) => isEnglishText(s));
  const rand = rng(11);
  const chunks = Array.from({ length: 64 }, () => {
    let para = pool[Math.floor(rand() * pool.length)];
    while (lengthUnits(para) < 330) para += ` ${pool[Math.floor(rand() * pool.length)]}`;
    return para;
  });
  const t0 = process.hrtime.bigint();
  const encoder = await useLiteEncoder();
  const loadMs = ms(t0);
  const t1 = process.hrtime.bigint();
  const vecs: Float32Array[] = [];
  for (let i = 0; i < chunks.length; i += 8) vecs.push(...(await encoder.embed(chunks.slice(i, i + 8))));
  const buildSec = ms(t1) / 1000;
  const n = 10_000;
  const dims = vecs[0].length;
  const all = new Float32Array(n * dims);
  for (let i = 0; i < n; i++) all.set(vecs[i % vecs.length], i * dims);
  const layer = new SemanticVectors('bench', dims, Uint32Array.from({ length: n }, (_, i) => i), new Uint32Array(n), all);
  const embedMs: number[] = [];
  const searchMs: number[] = [];
  for (const q of chunks.slice(0, 20).map((c) => c.split(/\s+/).slice(0, 8).join(' '))) {
    let t = process.hrtime.bigint();
    const [v] = await encoder.embed([q]);
    embedMs.push(ms(t));
    t = process.hrtime.bigint();
    layer.search(v, 200);
    searchMs.push(ms(t));
  }
  return {
    model_load_ms: Math.round(loadMs),
    build_chunks_per_s: +(chunks.length / buildSec).toFixed(1),
    query_embed_p50_ms: +median(embedMs).toFixed(1),
    cosine_10k_p50_ms: +median(searchMs).toFixed(2),
  };
}

async function scaleRows(root: string, sizes: number[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const size of sizes) rows.push({ size, ...(await benchScale(path.join(root, `scale-${size}`), size)) });
  return rows;
}

/**
 * BENCH_RETRIEVAL=scale runs only the search-at-scale part (no ingest of the real corpora, no USE):
 * it returns `scale` alone, so bench/results.json keeps the other parts' last figures.
 */
export async function benchRetrieval(): Promise<{ ingest?: Row[]; scale: Row[]; semantic?: Row[] }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'understudy-bench-'));
  const only = process.env.BENCH_RETRIEVAL;
  const sizes = (process.env.BENCH_RETRIEVAL_SIZES ?? '10000,100000').split(',').map(Number).filter((x) => x > 0);
  try {
    if (only === 'scale') return { scale: await scaleRows(root, sizes) };
    const ingest = await benchIngest(path.join(root, 'ingest'));
    const scale = await scaleRows(root, sizes);
    return { ingest, scale, semantic: [await benchSemantic()] };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
