import { distance } from 'fastest-levenshtein';
import { termOverlap } from './similarity';

export const MAX_CORRECTIONS = 20;

function normal(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function similar(a: string, b: string): boolean {
  const x = normal(a).toLowerCase();
  const y = normal(b).toLowerCase();
  if (x === y) return true;
  if (distance(x, y) / Math.max(x.length, y.length) <= 0.15) return true;
  return termOverlap(a, b) >= 0.6;
}

/**
 * Approved corrections for the Corrections section: newest first, near-duplicates merged into
 * the newest wording (with how many times it was asked), at most `cap`.
 * `corrections` come newest first.
 */
export function mergeCorrections(corrections: readonly string[], cap = MAX_CORRECTIONS): string[] {
  const kept: { text: string; times: number }[] = [];
  for (const raw of corrections) {
    const text = normal(raw.replace(/\s*\(merged from \d+ corrections\)$/, ''));
    if (!text) continue;
    const same = kept.find((k) => similar(k.text, text));
    if (same) same.times++;
    else kept.push({ text, times: 1 });
  }
  return kept.slice(0, cap).map((k) => (k.times > 1 ? `${k.text} (merged from ${k.times} corrections)` : k.text));
}
