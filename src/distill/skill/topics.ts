import { idf, type ChunkView, type CorpusView } from './corpus-view';
import { isWeakTerm } from './terms';
import { monthOf, wordCount } from './text';

export interface Topic {
  /** Key terms, most characteristic first, as people write them. */
  terms: string[];
  /** Members, closest to the centre first. */
  members: ChunkView[];
  messages: number;
  representative: ChunkView;
  /** The representative's sentence that carries the most key terms. */
  sentence?: string;
  from?: string;
  to?: string;
}

interface SparseVec {
  idx: Int32Array;
  val: Float64Array;
}

/** Deterministic PRNG so the same material gives the same skill. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function dot(v: SparseVec, c: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.idx.length; i++) s += v.val[i] * c[v.idx[i]];
  return s;
}

/**
 * Topic clusters: spherical k-means over sparse TF-IDF vectors of the chunks. Sparse vectors
 * (rather than the hashed embedder) keep each centre readable as weighted terms, which become
 * the topic's key terms.
 */
export function findTopics(view: CorpusView, maxTopics = 8): Topic[] {
  const n = view.items.length;
  const vocab = new Map<string, number>();
  const terms: string[] = [];
  const maxDf = Math.max(3, n * 0.4);
  const docs: { item: ChunkView; vec: SparseVec }[] = [];
  for (const item of view.items) {
    if (item.forward && !item.sentences.length) continue;
    const tf = new Map<string, number>();
    for (const t of item.terms) {
      const d = view.df.get(t) ?? 0;
      if (d < 2 || d > maxDf) continue;
      tf.set(t, (tf.get(t) ?? 0) + 1);
    }
    if (tf.size < 3) continue;
    const idx: number[] = [];
    const val: number[] = [];
    let norm = 0;
    for (const [t, c] of tf) {
      let id = vocab.get(t);
      if (id === undefined) {
        id = terms.length;
        vocab.set(t, id);
        terms.push(t);
      }
      const w = (1 + Math.log(c)) * idf(view, t);
      idx.push(id);
      val.push(w);
      norm += w * w;
    }
    norm = Math.sqrt(norm);
    docs.push({ item, vec: { idx: Int32Array.from(idx), val: Float64Array.from(val.map((v) => v / norm)) } });
  }
  if (docs.length < 4) return [];
  const k = Math.max(2, Math.min(maxTopics, Math.round(Math.sqrt(docs.length / 8))));
  const V = terms.length;
  const rand = mulberry32(docs.length * 7919 + V);

  // k-means++ seeding.
  const centres: Float64Array[] = [];
  const toDense = (v: SparseVec) => {
    const c = new Float64Array(V);
    for (let i = 0; i < v.idx.length; i++) c[v.idx[i]] = v.val[i];
    return c;
  };
  centres.push(toDense(docs[Math.floor(rand() * docs.length)].vec));
  const best = new Float64Array(docs.length).fill(-1);
  while (centres.length < k) {
    let total = 0;
    const d2 = docs.map((d, i) => {
      best[i] = Math.max(best[i], dot(d.vec, centres[centres.length - 1]));
      const dist = Math.max(0, 1 - best[i]);
      total += dist;
      return dist;
    });
    if (total <= 0) break;
    let r = rand() * total;
    let pick = 0;
    for (; pick < d2.length - 1 && r > d2[pick]; pick++) r -= d2[pick];
    centres.push(toDense(docs[pick].vec));
  }

  const assign = new Int32Array(docs.length).fill(-1);
  const sims = new Float64Array(docs.length);
  for (let iter = 0; iter < 15; iter++) {
    let moved = 0;
    docs.forEach((d, i) => {
      let bi = 0;
      let bs = -Infinity;
      centres.forEach((c, j) => {
        const s = dot(d.vec, c);
        if (s > bs) [bs, bi] = [s, j];
      });
      if (assign[i] !== bi) moved++;
      assign[i] = bi;
      sims[i] = bs;
    });
    for (const c of centres) c.fill(0);
    docs.forEach((d, i) => {
      const c = centres[assign[i]];
      for (let j = 0; j < d.vec.idx.length; j++) c[d.vec.idx[j]] += d.vec.val[j];
    });
    for (const c of centres) {
      let norm = 0;
      for (let j = 0; j < V; j++) norm += c[j] * c[j];
      norm = Math.sqrt(norm) || 1;
      for (let j = 0; j < V; j++) c[j] /= norm;
    }
    if (moved === 0) break;
  }

  const topics: Topic[] = [];
  centres.forEach((centre, j) => {
    const members = docs.map((d, i) => ({ d, s: sims[i], i })).filter((m) => assign[m.i] === j);
    if (members.length < 3) return;
    members.sort((a, b) => b.s - a.s);
    const memberDf = new Map<number, number>();
    for (const m of members) for (const id of m.d.vec.idx) memberDf.set(id, (memberDf.get(id) ?? 0) + 1);
    const keyIds = [...memberDf.entries()]
      .filter(([id, c]) => c >= 2 && !isWeakTerm(terms[id]))
      .sort((a, b) => centre[b[0]] - centre[a[0]])
      .slice(0, 6)
      .map(([id]) => id);
    if (keyIds.length < 2) return;
    const keys = keyIds.map((id) => terms[id]);
    const items = members.map((m) => m.d.item);
    const rep = items.find((it) => it.sentences.length > 0 && wordCount(it.clean.body) >= 10 && !it.forward) ?? items[0];
    const shown = keys.map((t) => view.surfaces.show(t).toLowerCase());
    let sentence: string | undefined;
    let score = -1;
    for (const s of rep.sentences) {
      if (s.length > 400) continue;
      const low = s.toLowerCase();
      const sc = shown.filter((k) => low.includes(k)).length + Math.min(s.length, 200) / 1000;
      if (sc > score) [score, sentence] = [sc, s];
    }
    const months = items.map((it) => monthOf(it.chunk.date)).filter((m): m is string => !!m).sort();
    topics.push({
      terms: keys.map((t) => view.surfaces.show(t)),
      members: items,
      messages: new Set(items.map((it) => it.messageKey)).size,
      representative: rep,
      sentence,
      from: months[0],
      to: months.at(-1),
    });
  });
  return topics.sort((a, b) => b.messages - a.messages);
}
