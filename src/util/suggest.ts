import { distance } from 'fastest-levenshtein';

/** The candidates closest to `input`, best first: prefix and substring matches, then edit distance. */
export function suggest(input: string, candidates: readonly string[], max = 3): string[] {
  const q = input.toLowerCase().replace(/^@/, '');
  const scored = candidates.map((c) => {
    const lc = c.toLowerCase();
    let score = distance(q, lc) / Math.max(q.length, lc.length, 1);
    if (lc.startsWith(q) || q.startsWith(lc)) score -= 0.5;
    else if (lc.includes(q) || q.includes(lc)) score -= 0.3;
    return { c, score };
  });
  return scored
    .filter((s) => s.score <= 0.6)
    .sort((a, b) => a.score - b.score || a.c.localeCompare(b.c))
    .slice(0, max)
    .map((s) => s.c);
}
