import { UnderstudyError } from '../errors';
import { CJK_SCRIPTS } from '../text/cjk';
import { fnv1a, fnv1aWords, mix32 } from '../text/hash';

/**
 * Near-duplicate collapse for chunks: e-mails quoting each other, a message pasted into two
 * channels, the same page exported twice.
 *
 * Similarity is the Jaccard index of shingle sets. Shingles are words for Latin text and
 * character bigrams for CJK text (a Chinese bigram plays the part of a word), so one changed word
 * or character moves the index only a little. Candidates come from MinHash signatures cut into LSH
 * bands, and every candidate is checked with the exact Jaccard index, so the threshold is exact
 * and the work grows roughly linearly with the number of texts.
 */

export interface DedupeOptions {
  /** Jaccard index at or above which a text collapses into an earlier one (default 0.85). */
  threshold?: number;
}

/** Texts with fewer tokens than this collapse only when equal after normalisation. */
const SHORT = 5;
/** MinHash functions per signature. */
const HASHES = 64;
/** The chance that a pair exactly at the threshold shares a band, which sets rows per band. */
const RECALL_AT_THRESHOLD = 0.999;
/** A crowded bucket (shared boilerplate) is searched from its newest entries up to this many. */
const BUCKET_SCAN = 64;

const CJK = new RegExp(`[${CJK_SCRIPTS}]`);
// A CJK run, or a run of other letters, digits and marks (punctuation, symbols and spaces split).
const TOKEN = new RegExp(`[${CJK_SCRIPTS}]+|[^\\p{P}\\p{S}\\p{Z}\\p{C}\\s${CJK_SCRIPTS}]+`, 'gu');

// A module-level alias: under Jest's vm sandbox every global lookup in a hot loop is slow.
const imul = Math.imul;

const NON_ASCII = /[^\x00-\x7f]/;

// Fixed seeds: every run collapses the same texts.
const SEEDS = Uint32Array.from({ length: HASHES }, (_, i) => mix32(0x9e3779b9 + i * 0x632be5ab));
const MULTS = Uint32Array.from({ length: HASHES }, (_, i) => mix32(0x7f4a7c15 ^ (i * 0x27d4eb2f)) | 1);

interface Shingled {
  /** Normalised token sequence, the key for exact equality. */
  key: string;
  tokens: number;
  /** Sorted, distinct shingle hashes. */
  shingles: Uint32Array;
}

function shingle(text: string): Shingled {
  const words: string[] = [];
  const set = new Set<number>();
  let tokens = 0;
  const norm = (NON_ASCII.test(text) ? text.normalize('NFKC') : text).toLowerCase();
  for (const m of norm.matchAll(TOKEN)) {
    const run = m[0];
    words.push(run);
    if (!CJK.test(run[0])) {
      tokens++;
      set.add(fnv1a(run));
      continue;
    }
    tokens += run.length;
    if (run.length === 1) set.add(fnv1a(run));
    for (let i = 0; i + 1 < run.length; i++) set.add(fnv1a(run.slice(i, i + 2)));
  }
  // Emoji-only messages have no tokens: "👍" and "🎉" still differ.
  const key = words.length > 0 ? words.join(' ') : `\u0000${norm.replace(/\s+/g, '')}`;
  return { key, tokens, shingles: Uint32Array.from(set).sort() };
}

function signature(shingles: Uint32Array): Uint32Array {
  const sig = new Uint32Array(HASHES).fill(0xffffffff);
  for (let s = 0; s < shingles.length; s++) {
    const x = shingles[s];
    for (let i = 0; i < HASHES; i++) {
      let v = imul(x ^ SEEDS[i], MULTS[i]);
      v = (v ^ (v >>> 15)) >>> 0;
      if (v < sig[i]) sig[i] = v;
    }
  }
  return sig;
}

/** Exact Jaccard index of two sorted, distinct arrays. */
function jaccard(a: Uint32Array, b: Uint32Array): number {
  let i = 0;
  let j = 0;
  let both = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      both++;
      i++;
      j++;
    } else if (a[i] < b[j]) i++;
    else j++;
  }
  return both / (a.length + b.length - both);
}

/** Rows per band: as many as keep recall at the threshold, so fewer dissimilar pairs meet. */
function banding(threshold: number): { rows: number; bands: number } {
  for (let rows = 8; rows > 1; rows--) {
    const bands = Math.floor(HASHES / rows);
    if (1 - (1 - threshold ** rows) ** bands >= RECALL_AT_THRESHOLD) return { rows, bands };
  }
  return { rows: 1, bands: HASHES };
}

function bandKey(sig: Uint32Array, band: number, rows: number): number {
  return fnv1aWords(sig, band * rows, (band + 1) * rows, band);
}

/**
 * For each text, the index of the text it collapses into: itself when it is kept, otherwise the
 * lowest-indexed kept text whose Jaccard index with it reaches the threshold. Deterministic.
 * Texts of fewer than five tokens collapse only on equality after normalisation (case, width,
 * punctuation and spacing ignored).
 */
export function nearDuplicateGroups(texts: string[], opts: DedupeOptions = {}): number[] {
  const threshold = opts.threshold ?? 0.85;
  if (!(threshold > 0 && threshold <= 1)) {
    throw new UnderstudyError('INPUT_INVALID', `nearDuplicateGroups: threshold must be in (0, 1], got ${threshold}`);
  }
  const { rows, bands } = banding(threshold);
  const groups = new Array<number>(texts.length);
  const exact = new Map<string, number>();
  const buckets = Array.from({ length: bands }, () => new Map<number, number[]>());
  const kept: (Uint32Array | undefined)[] = new Array(texts.length);
  const seen = new Int32Array(texts.length).fill(-1);
  const keys = new Array<number>(bands);

  for (let i = 0; i < texts.length; i++) {
    const s = shingle(texts[i]);
    const same = exact.get(s.key);
    if (same !== undefined) {
      groups[i] = groups[same];
      continue;
    }
    exact.set(s.key, i);
    groups[i] = i;
    if (s.tokens < SHORT || s.shingles.length === 0) continue;

    const sig = signature(s.shingles);
    let best = -1;
    for (let b = 0; b < bands; b++) {
      keys[b] = bandKey(sig, b, rows);
      const list = buckets[b].get(keys[b]);
      if (!list) continue;
      for (let k = list.length - 1; k >= Math.max(0, list.length - BUCKET_SCAN); k--) {
        const c = list[k];
        if (seen[c] === i || (best >= 0 && c >= best)) continue;
        seen[c] = i;
        if (jaccard(s.shingles, kept[c] as Uint32Array) >= threshold) best = c;
      }
    }
    if (best >= 0) {
      groups[i] = best;
      continue;
    }
    kept[i] = s.shingles;
    for (let b = 0; b < bands; b++) {
      const list = buckets[b].get(keys[b]);
      if (list) list.push(i);
      else buckets[b].set(keys[b], [i]);
    }
  }
  return groups;
}
