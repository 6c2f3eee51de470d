/**
 * Chunk rankings to file rankings, and weighted fusion of several rankers.
 *
 * A long document is many chunks; its score is that of its best chunk plus a little of its
 * second best (on the QA sets this beat scoring whole files, and beat the best chunk alone).
 */

export interface ChunkScore {
  id: number;
  score: number;
}

export interface FileScore {
  file: number;
  score: number;
  /** The file's best chunk in this ranking. */
  best: number;
}

/** Aggregate chunk scores (higher is better) into file scores, best first. */
export function filesOf(hits: readonly ChunkScore[], fileOf: (id: number) => number, secondWeight: number): FileScore[] {
  const byFile = new Map<number, { first: number; second: number; best: number }>();
  for (const h of hits) {
    const f = fileOf(h.id);
    const cur = byFile.get(f);
    if (!cur) byFile.set(f, { first: h.score, second: Number.NaN, best: h.id });
    else if (h.score > cur.first) {
      cur.second = cur.first;
      cur.first = h.score;
      cur.best = h.id;
    } else if (Number.isNaN(cur.second) || h.score > cur.second) cur.second = h.score;
  }
  const out: FileScore[] = [];
  for (const [file, v] of byFile) {
    // Scores can be negative (language model): a missing second chunk adds nothing.
    const second = Number.isNaN(v.second) ? 0 : Math.max(0, v.second - Math.min(0, v.first));
    out.push({ file, score: v.first + secondWeight * second, best: v.best });
  }
  return out.sort((a, b) => b.score - a.score);
}

export interface Ranker {
  name: string;
  weight: number;
  files: FileScore[];
}

/** Reciprocal-rank fusion of file rankings. */
export function fuseFiles(rankers: readonly Ranker[], rrfK: number): { file: number; score: number; ranks: Record<string, number> }[] {
  const fused = new Map<number, { file: number; score: number; ranks: Record<string, number> }>();
  for (const r of rankers) {
    r.files.forEach((f, i) => {
      let cur = fused.get(f.file);
      if (!cur) fused.set(f.file, (cur = { file: f.file, score: 0, ranks: {} }));
      cur.score += r.weight / (rrfK + i + 1);
      cur.ranks[r.name] = i + 1;
    });
  }
  return [...fused.values()].sort((a, b) => b.score - a.score);
}

/**
 * The share of its weight the lexical ranker keeps for an English question once the semantic
 * layer is in: all of it when the best lexical chunk holds at least `lowCoverage` of the
 * question's terms (by IDF), falling linearly to none when it holds none of them (the words
 * failed, so the lexical ranking is noise beside USE). In a mixed corpus the cut shrinks with
 * the English share as the semantic weight does (`englishFactor` = share^8), so Chinese and
 * mixed avatars keep their lexical ranking.
 */
export function lexicalShare(coverage: number, englishFactor: number, lowCoverage: number): number {
  const cut = (1 - Math.min(1, Math.max(0, coverage) / lowCoverage)) * Math.min(1, Math.max(0, englishFactor));
  return 1 - cut;
}
