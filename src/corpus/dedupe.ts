import { fnv1a } from '../retrieval/hash';
import { tokenize } from '../retrieval/tokenize';

const HASHES = 64;
const BANDS = 16;
const ROWS = HASHES / BANDS;
const SHORT = 5;

// Fixed odd multipliers and offsets: every run collapses the same texts.
const A = Uint32Array.from({ length: HASHES }, (_, i) => (fnv1a(`a${i}`) | 1) >>> 0);
const B = Uint32Array.from({ length: HASHES }, (_, i) => fnv1a(`b${i}`));

function signature(shingles: Set<number>): Uint32Array {
  const sig = new Uint32Array(HASHES).fill(0xffffffff);
  for (const h of shingles) {
    for (let i = 0; i < HASHES; i++) {
      const v = (Math.imul(A[i], h) + B[i]) >>> 0;
      if (v < sig[i]) sig[i] = v;
    }
  }
  return sig;
}

function similarity(a: Uint32Array, b: Uint32Array): number {
  let same = 0;
  for (let i = 0; i < HASHES; i++) if (a[i] === b[i]) same++;
  return same / HASHES;
}

/**
 * Near-duplicate groups by MinHash over token-pair shingles with LSH banding (roughly linear).
 * Returns, for each text, the index of the first text it duplicates (itself if it is kept).
 * Texts of under five tokens collapse only when equal after normalisation.
 */
export function nearDuplicateGroups(texts: string[], opts: { threshold?: number } = {}): number[] {
  const threshold = opts.threshold ?? 0.75;
  const groups = new Array<number>(texts.length);
  const exact = new Map<string, number>();
  const buckets = new Map<string, number[]>();
  const sigs: (Uint32Array | undefined)[] = new Array(texts.length);
  for (let i = 0; i < texts.length; i++) {
    const tokens = tokenize(texts[i]);
    const norm = tokens.join(' ');
    const same = exact.get(norm);
    if (same !== undefined) {
      groups[i] = same;
      continue;
    }
    exact.set(norm, i);
    groups[i] = i;
    if (tokens.length < SHORT) continue;
    const shingles = new Set<number>();
    // Words and word pairs: one changed word moves the estimate only a little.
    for (let j = 0; j < tokens.length; j++) {
      shingles.add(fnv1a(tokens[j]));
      if (j + 1 < tokens.length) shingles.add(fnv1a(`${tokens[j]} ${tokens[j + 1]}`));
    }
    const sig = signature(shingles);
    const keys: string[] = [];
    let match = -1;
    for (let b = 0; b < BANDS; b++) {
      const key = `${b}:${Array.prototype.join.call(sig.subarray(b * ROWS, (b + 1) * ROWS), ',')}`;
      keys.push(key);
      if (match >= 0) continue;
      // Look at the newest few in a crowded bucket: enough for duplicates, bounded for templated text.
      const list = buckets.get(key) ?? [];
      for (let k = list.length - 1; k >= Math.max(0, list.length - 32); k--) {
        const c = list[k];
        if (similarity(sig, sigs[c] as Uint32Array) >= threshold) {
          match = c;
          break;
        }
      }
    }
    if (match >= 0) {
      groups[i] = match;
      continue;
    }
    sigs[i] = sig;
    for (const key of keys) {
      const list = buckets.get(key);
      if (list) list.push(i);
      else buckets.set(key, [i]);
    }
  }
  return groups;
}
