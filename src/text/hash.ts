// A module-level alias: under Jest's vm sandbox every global lookup in a hot loop is slow.
const imul = Math.imul;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** MurmurHash3's 32-bit finalizer: spreads nearby inputs over all bits. */
export function mix32(x: number): number {
  let h = imul(x ^ (x >>> 16), 0x85ebca6b);
  h = imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * FNV-1a over UTF-16 code units, finished with mix32: fast, deterministic, good enough for
 * feature hashing and MinHash shingles. Stored indexes depend on these values; never change them.
 */
export function fnv1a(text: string, seed = FNV_OFFSET): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) h = imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return mix32(h);
}

/** The same hash over 32-bit words `values[from..to)` (a MinHash band), seeded with `salt`. */
export function fnv1aWords(values: ArrayLike<number>, from: number, to: number, salt = 0): number {
  let h = FNV_OFFSET ^ salt;
  for (let k = from; k < to; k++) h = imul(h ^ values[k], FNV_PRIME);
  return mix32(h);
}
