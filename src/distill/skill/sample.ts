import { DECISION, DECISION_ZH, GOTCHA, GOTCHA_ZH, HEURISTIC, HEURISTIC_ZH, LIST_ITEM, SEQUENCE, SEQUENCE_ZH } from './patterns';
import type { EvidenceChunk } from './types';

export const DEFAULT_MAX_CHUNKS = 4000;

const CUES = [DECISION, DECISION_ZH, GOTCHA, GOTCHA_ZH, HEURISTIC, HEURISTIC_ZH, SEQUENCE, SEQUENCE_ZH];

function hasCue(text: string): boolean {
  return CUES.some((re) => re.test(text)) || text.split('\n').filter((l) => LIST_ITEM.test(l)).length >= 2;
}

/**
 * At most `max` chunks, in input order: up to a third with cue words (steps, decisions,
 * warnings), the rest evenly spread over time, so the sample keeps the whole period. Every
 * chunk kept is an input chunk, so anchors into the sample stay valid.
 */
export function sampleChunks(chunks: readonly EvidenceChunk[], max = DEFAULT_MAX_CHUNKS): EvidenceChunk[] {
  if (chunks.length <= max) return [...chunks];
  const keep = new Set<number>();
  const cued = chunks.map((c, i) => ({ c, i })).filter(({ c }) => hasCue(c.text));
  const cueBudget = Math.floor(max / 3);
  const step = cued.length / Math.max(1, cueBudget);
  for (let k = 0; k < Math.min(cueBudget, cued.length); k++) keep.add(cued[Math.floor(k * Math.max(1, step))].i);
  const byDate = chunks.map((c, i) => ({ d: c.date ?? '', i })).sort((a, b) => a.d.localeCompare(b.d) || a.i - b.i).filter(({ i }) => !keep.has(i));
  const rest = max - keep.size;
  for (let k = 0; k < rest && byDate.length; k++) keep.add(byDate[Math.floor((k * byDate.length) / rest)].i);
  return [...keep].sort((a, b) => a - b).map((i) => chunks[i]);
}
