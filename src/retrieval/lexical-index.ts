import { UnderstudyError } from '../errors';

const MAGIC = 'USLEX1';
const K1 = 1.2;
const B = 0.75;

export interface WeightedTerm {
  term: string;
  weight: number;
}


export interface LexicalHit {
  /** Position of the document in the index (not the chunk id). */
  doc: number;
  score: number;
}

/**
 * BM25 over pre-tokenised documents, held in flat typed arrays so that a 100k-document index
 * loads from disk without re-tokenising anything. A forward index (document -> term ids) backs
 * the term associations used for query expansion.
 */
export class LexicalIndex {
  private constructor(
    private readonly terms: string[],
    private readonly termIds: Map<string, number>,
    /** postings of term t: docs[offsets[t] .. offsets[t+1]) with frequencies tfs[...] */
    private readonly offsets: Uint32Array,
    private readonly docs: Uint32Array,
    private readonly tfs: Uint16Array,
    private readonly docLens: Uint32Array,
    /** forward index: term ids of document d are fwd[fwdOffsets[d] .. fwdOffsets[d+1]) (unique) */
    private readonly fwdOffsets: Uint32Array,
    private readonly fwd: Uint32Array,
    readonly docIds: Uint32Array,
    private readonly avgLen: number,
  ) {}

  /**
   * Kept between searches (searches are synchronous) and cleaned after use: allocating and
   * zeroing them per query cost about as much as scoring at 100k chunks.
   */
  private scratch: { scores: Float64Array; seen: Uint8Array; touched: Uint32Array } | undefined;

  get size(): number {
    return this.docIds.length;
  }

  get vocabularySize(): number {
    return this.terms.length;
  }

  /**
   * Build from documents whose tokens are strings, or term ids of `vocab` (what ingest passes,
   * so that 100k token lists do not hold millions of small strings).
   */
  static build(documents: { id: number; tokens: readonly string[] | Uint32Array }[], vocab: Vocabulary = new Vocabulary()): LexicalIndex {
    const perDoc: { ids: Uint32Array; tf: Uint16Array; len: number }[] = [];
    for (const d of documents) {
      const encoded = d.tokens instanceof Uint32Array ? d.tokens : vocab.encode(d.tokens);
      const counts = new Map<number, number>();
      for (const id of encoded) counts.set(id, (counts.get(id) ?? 0) + 1);
      const ids = Uint32Array.from(counts.keys()).sort();
      perDoc.push({ ids, tf: Uint16Array.from(ids, (id) => Math.min(counts.get(id) ?? 0, 65535)), len: encoded.length });
    }
    // Keep only terms that occur, renumbered densely.
    const df = new Uint32Array(vocab.size);
    for (const p of perDoc) for (const id of p.ids) df[id]++;
    const remap = new Int32Array(vocab.size).fill(-1);
    const terms: string[] = [];
    for (let t = 0; t < vocab.size; t++) {
      if (df[t] > 0) {
        remap[t] = terms.length;
        terms.push(vocab.terms[t]);
      }
    }
    const offsets = new Uint32Array(terms.length + 1);
    for (let t = 0; t < vocab.size; t++) if (remap[t] >= 0) offsets[remap[t] + 1] = df[t];
    for (let t = 0; t < terms.length; t++) offsets[t + 1] += offsets[t];
    const cursor = offsets.slice(0, terms.length);
    const docs = new Uint32Array(offsets[terms.length]);
    const tfs = new Uint16Array(offsets[terms.length]);
    const fwdOffsets = new Uint32Array(documents.length + 1);
    const docLens = new Uint32Array(documents.length);
    let totalLen = 0;
    perDoc.forEach((p, d) => {
      fwdOffsets[d + 1] = fwdOffsets[d] + p.ids.length;
      docLens[d] = p.len;
      totalLen += p.len;
      p.ids.forEach((old, j) => {
        const id = remap[old];
        docs[cursor[id]] = d;
        tfs[cursor[id]] = p.tf[j];
        cursor[id]++;
      });
    });
    const fwd = new Uint32Array(fwdOffsets[documents.length]);
    perDoc.forEach((p, d) => {
      // Sorted new ids: the forward index is binary-searched by coverage().
      fwd.set(Uint32Array.from(p.ids, (old) => remap[old]).sort(), fwdOffsets[d]);
    });
    const termIds = new Map<string, number>();
    terms.forEach((t, i) => termIds.set(t, i));
    const docIds = Uint32Array.from(documents.map((d) => d.id));
    return new LexicalIndex(terms, termIds, offsets, docs, tfs, docLens, fwdOffsets, fwd, docIds, documents.length ? totalLen / documents.length : 0);
  }

  df(term: string): number {
    const id = this.termIds.get(term);
    return id === undefined ? 0 : this.offsets[id + 1] - this.offsets[id];
  }

  /** BM25 IDF (always positive); unseen terms get the rarest value. */
  idf(term: string): number {
    const n = this.size;
    const df = this.df(term);
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  /**
   * Score documents for weighted query terms by BM25. `allow` filters by document position.
   * Returns the top `k` by score, best first.
   */
  search(query: readonly WeightedTerm[], k: number, allow?: (doc: number) => boolean): LexicalHit[] {
    if (this.size === 0 || query.length === 0) return [];
    this.scratch ??= { scores: new Float64Array(this.size), seen: new Uint8Array(this.size), touched: new Uint32Array(this.size) };
    const { scores, seen, touched } = this.scratch;
    // The hot loops read fields from locals and list touched documents in a typed array: at 100k
    // chunks a common word has ~100k postings, and this took lexical search from 2.4 to 1.7 ms.
    const docs = this.docs;
    const tfs = this.tfs;
    const docLens = this.docLens;
    const avgLen = this.avgLen;
    let count = 0;
    for (const { term, weight } of mergeTerms(query)) {
      const id = this.termIds.get(term);
      if (id === undefined) continue;
      const start = this.offsets[id];
      const end = this.offsets[id + 1];
      const idf = this.idf(term) * weight;
      for (let p = start; p < end; p++) {
        const d = docs[p];
        const tf = tfs[p];
        if (seen[d] === 0) {
          seen[d] = 1;
          touched[count++] = d;
        }
        scores[d] += (idf * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * docLens[d]) / avgLen));
      }
    }
    // Select the k best without an object per touched document.
    const best = new TopK(k);
    for (let i = 0; i < count; i++) {
      const d = touched[i];
      if (best.wouldTake(scores[d]) && (!allow || allow(d))) best.push(d, scores[d]);
    }
    for (let i = 0; i < count; i++) {
      const d = touched[i];
      scores[d] = 0;
      seen[d] = 0;
    }
    return best.sorted().map(([doc, score]) => ({ doc, score }));
  }

  /**
   * Share of the query's IDF mass that document `doc` contains: a calibrated relevance signal.
   * Synonyms found in the document count too (at their weight), up to a full match.
   */
  coverage(query: readonly WeightedTerm[], doc: number, synonyms: readonly WeightedTerm[] = []): number {
    let have = 0;
    let total = 0;
    const start = this.fwdOffsets[doc];
    const end = this.fwdOffsets[doc + 1];
    const holds = (term: string): boolean => {
      const id = this.termIds.get(term);
      return id !== undefined && binarySearch(this.fwd, start, end, id);
    };
    for (const { term, weight } of mergeTerms(query)) {
      const w = this.idf(term) * weight;
      total += w;
      if (holds(term)) have += w;
    }
    for (const { term, weight } of synonyms) if (holds(term)) have += this.idf(term) * weight;
    return total > 0 ? Math.min(1, have / total) : 0;
  }

  /**
   * Terms that co-occur with `term` in this corpus more than chance predicts, strongest first.
   * Looks at up to `sampleDocs` documents holding the term.
   */
  associations(term: string, max = 5, sampleDocs = 64): WeightedTerm[] {
    const key = `${term}\u0000${max}\u0000${sampleDocs}`;
    const cached = this.associationCache.get(key);
    if (cached) return cached;
    const found = this.computeAssociations(term, max, sampleDocs);
    if (this.associationCache.size >= 20_000) this.associationCache.clear();
    this.associationCache.set(key, found);
    return found;
  }

  private readonly associationCache = new Map<string, WeightedTerm[]>();
  private coCounts: Uint16Array | undefined;

  private computeAssociations(term: string, max: number, sampleDocs: number): WeightedTerm[] {
    const id = this.termIds.get(term);
    if (id === undefined) return [];
    const start = this.offsets[id];
    // A term is counted once per document (the forward index lists it once), so counts fit 16 bits.
    const n = Math.min(this.offsets[id + 1] - start, sampleDocs, 0xffff);
    if (n < 2) return [];
    // Counts per term id in a kept array (at most n each, cleaned after use), terms in
    // the order first met: a Map per call cost about a millisecond a question at 100k chunks.
    const counts = (this.coCounts ??= new Uint16Array(this.terms.length));
    const met: number[] = [];
    const fwd = this.fwd;
    const fwdOffsets = this.fwdOffsets;
    for (let p = start; p < start + n; p++) {
      const d = this.docs[p];
      for (let q = fwdOffsets[d]; q < fwdOffsets[d + 1]; q++) {
        const t = fwd[q];
        if (t === id) continue;
        if (counts[t] === 0) met.push(t);
        counts[t]++;
      }
    }
    const out: WeightedTerm[] = [];
    for (const t of met) {
      const c = counts[t];
      counts[t] = 0;
      if (c < 2) continue;
      const dfT = this.offsets[t + 1] - this.offsets[t];
      // Lift of P(t | term) over P(t), damped by how often they meet.
      const lift = (c / n) / (dfT / this.size);
      if (lift < 2) continue;
      out.push({ term: this.terms[t], weight: Math.log(lift) * Math.log(1 + c) });
    }
    return out.sort((a, b) => b.weight - a.weight).slice(0, max);
  }

  serialize(): Buffer {
    const vocab = Buffer.from(this.terms.join('\n'), 'utf8');
    const json = JSON.stringify({ n: this.size, v: this.terms.length, p: this.docs.length, f: this.fwd.length, avg: this.avgLen, vocabBytes: vocab.length });
    // Pad the header with spaces so that the typed arrays start 4-byte aligned and load as views.
    const header = Buffer.from(json.padEnd(align4(MAGIC.length + 4 + json.length) - MAGIC.length - 4, ' '));
    const parts: Buffer[] = [Buffer.from(MAGIC), u32(header.length), header, pad4(vocab)];
    for (const arr of [this.offsets, this.docs, this.docLens, this.fwdOffsets, this.fwd, this.docIds]) parts.push(Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength));
    parts.push(pad4(Buffer.from(this.tfs.buffer, this.tfs.byteOffset, this.tfs.byteLength)));
    return Buffer.concat(parts);
  }

  static deserialize(buf: Buffer, file = 'lexical index'): LexicalIndex {
    const fail = (why: string): never => {
      throw new UnderstudyError('INDEX_CORRUPT', `${file} is corrupt (${why}); rebuild it with \`understudy ingest <slug> --rebuild\``, { details: { file } });
    };
    if (buf.length < 10 || buf.subarray(0, MAGIC.length).toString() !== MAGIC) fail('bad header');
    const hlen = buf.readUInt32LE(MAGIC.length);
    let pos = MAGIC.length + 4;
    let h: { n: number; v: number; p: number; f: number; avg: number; vocabBytes: number } = { n: 0, v: 0, p: 0, f: 0, avg: 0, vocabBytes: 0 };
    try {
      h = JSON.parse(buf.subarray(pos, pos + hlen).toString());
    } catch {
      fail('unreadable header');
    }
    pos += hlen;
    const expected = pos + align4(h.vocabBytes) + 4 * (h.v + 1 + h.p + h.n + h.n + 1 + h.f + h.n) + align4(2 * h.p);
    if (buf.length !== expected) fail(`size ${buf.length} bytes, expected ${expected}`);
    const terms = h.v === 0 ? [] : buf.subarray(pos, pos + h.vocabBytes).toString('utf8').split('\n');
    if (terms.length !== h.v) fail('vocabulary size');
    pos += align4(h.vocabBytes);
    // View the file's bytes in place when aligned (large reads own their ArrayBuffer); else copy.
    let body: Uint8Array;
    let off: number;
    if ((buf.byteOffset + pos) % 4 === 0) {
      body = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
      off = buf.byteOffset + pos;
    } else {
      body = new Uint8Array(buf.length - pos);
      body.set(buf.subarray(pos));
      off = 0;
    }
    const take32 = (len: number): Uint32Array => {
      const a = new Uint32Array(body.buffer, off, len);
      off += 4 * len;
      return a;
    };
    const offsets = take32(h.v + 1);
    const docs = take32(h.p);
    const docLens = take32(h.n);
    const fwdOffsets = take32(h.n + 1);
    const fwd = take32(h.f);
    const docIds = take32(h.n);
    const tfs = new Uint16Array(body.buffer, off, h.p);
    const termIds = new Map<string, number>();
    terms.forEach((t, i) => termIds.set(t, i));
    return new LexicalIndex(terms, termIds, offsets, docs, tfs, docLens, fwdOffsets, fwd, docIds, h.avg);
  }
}

/** Term strings to dense ids, shared while an ingest tokenises many chunks. */
export class Vocabulary {
  readonly ids = new Map<string, number>();
  readonly terms: string[] = [];

  get size(): number {
    return this.terms.length;
  }

  encode(tokens: readonly string[]): Uint32Array {
    const out = new Uint32Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) {
      let id = this.ids.get(tokens[i]);
      if (id === undefined) {
        id = this.terms.length;
        this.ids.set(tokens[i], id);
        this.terms.push(tokens[i]);
      }
      out[i] = id;
    }
    return out;
  }
}

function mergeTerms(query: readonly WeightedTerm[]): WeightedTerm[] {
  const m = new Map<string, number>();
  for (const q of query) m.set(q.term, Math.max(m.get(q.term) ?? 0, q.weight));
  return [...m].map(([term, weight]) => ({ term, weight }));
}

function binarySearch(arr: Uint32Array, lo: number, hi: number, value: number): boolean {
  let a = lo;
  let b = hi - 1;
  while (a <= b) {
    const mid = (a + b) >>> 1;
    const v = arr[mid];
    if (v === value) return true;
    if (v < value) a = mid + 1;
    else b = mid - 1;
  }
  return false;
}

/** A bounded min-heap of (id, score) pairs. */
class TopK {
  private readonly ids: number[] = [];
  private readonly scores: number[] = [];
  constructor(private readonly k: number) {}

  wouldTake(score: number): boolean {
    return this.ids.length < this.k || score > this.scores[0];
  }

  push(id: number, score: number): void {
    const { ids, scores } = this;
    if (ids.length < this.k) {
      ids.push(id);
      scores.push(score);
      let i = ids.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (scores[p] <= scores[i]) break;
        [ids[p], ids[i]] = [ids[i], ids[p]];
        [scores[p], scores[i]] = [scores[i], scores[p]];
        i = p;
      }
      return;
    }
    ids[0] = id;
    scores[0] = score;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < ids.length && scores[l] < scores[m]) m = l;
      if (r < ids.length && scores[r] < scores[m]) m = r;
      if (m === i) return;
      [ids[m], ids[i]] = [ids[i], ids[m]];
      [scores[m], scores[i]] = [scores[i], scores[m]];
      i = m;
    }
  }

  sorted(): [number, number][] {
    return this.ids.map((id, i) => [id, this.scores[i]] as [number, number]).sort((a, b) => b[1] - a[1]);
  }
}

/** The k best items by score, best first, with a bounded min-heap (no full sort). */
export function topK<T extends { score: number }>(items: readonly T[], k: number): T[] {
  if (k <= 0) return [];
  const heap = new TopK(k);
  items.forEach((it, i) => {
    if (heap.wouldTake(it.score)) heap.push(i, it.score);
  });
  return heap.sorted().map(([i]) => items[i]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
function align4(n: number): number {
  return (n + 3) & ~3;
}
function pad4(b: Buffer): Buffer {
  const extra = align4(b.length) - b.length;
  return extra === 0 ? b : Buffer.concat([b, Buffer.alloc(extra)]);
}
