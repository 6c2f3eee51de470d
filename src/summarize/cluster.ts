/**
 * TF-IDF vectors over our tokenizer, spherical k-means for topics and MMR for picking
 * representatives. Sparse vectors keep 10k messages well under a second.
 */

export interface SparseVec {
  /** Ascending term ids. */
  ids: Int32Array;
  w: Float32Array;
}

export interface Vectors {
  vecs: SparseVec[];
  terms: string[];
}

/** TF-IDF, L2-normalised. Terms in nearly every document, or in only one of many, carry no topic. */
export function tfidf(docs: string[][]): Vectors {
  const n = docs.length;
  const df = new Map<string, number>();
  for (const d of docs) for (const t of new Set(d)) df.set(t, (df.get(t) ?? 0) + 1);
  const ids = new Map<string, number>();
  const terms: string[] = [];
  const idf: number[] = [];
  for (const [t, f] of df) {
    if (t.length > 30 || /^\d+$/.test(t)) continue;
    if (n >= 20 && f > n * 0.5) continue;
    ids.set(t, terms.length);
    terms.push(t);
    idf.push(Math.log((n + 1) / (f + 1)) + 1);
  }
  const vecs = docs.map((d) => {
    const tf = new Map<number, number>();
    for (const t of d) {
      const id = ids.get(t);
      if (id !== undefined) tf.set(id, (tf.get(id) ?? 0) + 1);
    }
    const entries = [...tf].sort((a, b) => a[0] - b[0]);
    const w = new Float32Array(entries.length);
    let norm = 0;
    entries.forEach(([id, c], i) => {
      w[i] = (1 + Math.log(c)) * idf[id];
      norm += w[i] * w[i];
    });
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < w.length; i++) w[i] /= norm;
    return { ids: Int32Array.from(entries.map((e) => e[0])), w };
  });
  return { vecs, terms };
}

export function dot(a: SparseVec, b: SparseVec): number {
  let i = 0;
  let j = 0;
  let s = 0;
  while (i < a.ids.length && j < b.ids.length) {
    if (a.ids[i] === b.ids[j]) s += a.w[i++] * b.w[j++];
    else if (a.ids[i] < b.ids[j]) i++;
    else j++;
  }
  return s;
}

export function dotDense(a: SparseVec, c: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.ids.length; i++) s += a.w[i] * c[a.ids[i]];
  return s;
}

export interface Clustering {
  /** Cluster of each vector. */
  assign: number[];
  centroids: Float32Array[];
}

/**
 * Spherical k-means, seeded deterministically: the heaviest document first, then each time the
 * document least like any seed so far (weighted by size), so small runs give the same topics.
 */
export function kmeans(vecs: SparseVec[], weights: number[], k: number, dims: number, iterations = 12): Clustering {
  const n = vecs.length;
  k = Math.max(1, Math.min(k, n));
  const seeds: number[] = [weights.indexOf(Math.max(...weights))];
  const best = new Float64Array(n).fill(-1);
  while (seeds.length < k) {
    const last = vecs[seeds[seeds.length - 1]];
    let pick = -1;
    let pickScore = -Infinity;
    for (let i = 0; i < n; i++) {
      best[i] = Math.max(best[i], dot(vecs[i], last));
      if (seeds.includes(i) || vecs[i].ids.length === 0) continue;
      const score = (1 - best[i]) * Math.log(2 + weights[i]);
      if (score > pickScore) {
        pickScore = score;
        pick = i;
      }
    }
    if (pick < 0) break;
    seeds.push(pick);
  }
  let centroids = seeds.map((s) => densify(vecs[s], dims));
  const assign = new Array<number>(n).fill(0);
  for (let it = 0; it < iterations; it++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      let bestC = 0;
      let bestS = -Infinity;
      for (let c = 0; c < centroids.length; c++) {
        const s = dotDense(vecs[i], centroids[c]);
        if (s > bestS) {
          bestS = s;
          bestC = c;
        }
      }
      if (assign[i] !== bestC || it === 0) changed++;
      assign[i] = bestC;
    }
    const next = centroids.map(() => new Float32Array(dims));
    for (let i = 0; i < n; i++) {
      const v = vecs[i];
      const c = next[assign[i]];
      const weight = Math.sqrt(weights[i]);
      for (let j = 0; j < v.ids.length; j++) c[v.ids[j]] += v.w[j] * weight;
    }
    centroids = next.map((c, ci) => (normalize(c) ? c : centroids[ci]));
    if (changed === 0) break;
  }
  return { assign, centroids };
}

function densify(v: SparseVec, dims: number): Float32Array {
  const d = new Float32Array(dims);
  for (let i = 0; i < v.ids.length; i++) d[v.ids[i]] = v.w[i];
  return d;
}

function normalize(c: Float32Array): boolean {
  let norm = 0;
  for (let i = 0; i < c.length; i++) norm += c[i] * c[i];
  if (norm === 0) return false;
  norm = Math.sqrt(norm);
  for (let i = 0; i < c.length; i++) c[i] /= norm;
  return true;
}

/** The centroid's heaviest terms. */
export function topTerms(centroid: Float32Array, terms: string[], n: number): string[] {
  const idx: number[] = [];
  for (let i = 0; i < centroid.length; i++) if (centroid[i] > 0) idx.push(i);
  idx.sort((a, b) => centroid[b] - centroid[a]);
  return idx.slice(0, n).map((i) => terms[i]);
}

/**
 * Maximal marginal relevance: each pick balances relevance against likeness to what is already
 * picked, so three links to one topic show three different threads.
 */
export function mmr(candidates: number[], relevance: (i: number) => number, vecs: SparseVec[], n: number, lambda = 0.7): number[] {
  const picked: number[] = [];
  const rel = new Map(candidates.map((i) => [i, relevance(i)]));
  while (picked.length < n && picked.length < candidates.length) {
    let best = -1;
    let bestScore = -Infinity;
    for (const i of candidates) {
      if (picked.includes(i)) continue;
      const sim = picked.length ? Math.max(...picked.map((p) => dot(vecs[i], vecs[p]))) : 0;
      const score = lambda * (rel.get(i) ?? 0) - (1 - lambda) * sim;
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    if (best < 0) break;
    picked.push(best);
  }
  return picked;
}
