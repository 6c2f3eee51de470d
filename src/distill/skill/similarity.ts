import { contentTerms } from './terms';

/** Jaccard overlap of two texts' content terms (stemmed words, CJK bigrams), 0..1. */
export function termOverlap(a: string, b: string): number {
  const ta = new Set(contentTerms(a));
  const tb = new Set(contentTerms(b));
  if (!ta.size || !tb.size) return 0;
  let shared = 0;
  for (const t of ta) if (tb.has(t)) shared++;
  return shared / (ta.size + tb.size - shared);
}

/** The bold head of a claim ("**San Marcos** — ..."), lower-cased, if it has one. */
export function headOf(text: string): string | undefined {
  return text.match(/^\*\*([^*]+)\*\*/)?.[1].trim().toLowerCase() ?? text.match(/^`([^`]+)`/)?.[1].trim().toLowerCase();
}

/** Whether two claims say the same thing: same bold head, or mostly the same words. */
export function sameClaim(a: string, b: string, threshold = 0.5): boolean {
  const ha = headOf(a);
  const hb = headOf(b);
  if (ha && hb) return ha === hb;
  return termOverlap(a, b) >= threshold;
}
