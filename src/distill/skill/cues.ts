import type { ChunkView, CorpusView } from './corpus-view';
import { specificityScore } from './specificity';
import { wordCount } from './text';

/** A sentence picked for a section, with every chunk that says it (the same mail sent twice). */
export interface Candidate {
  text: string;
  ids: number[];
  items: ChunkView[];
  score: number;
}

function key(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9\u4e00-\u9fff]+/g, '')
    .slice(0, 140);
}

/**
 * Sentences of the subject's own prose that pass `test`, deduplicated across chunks, ranked by
 * how specific and how repeated they are. Forwards rank last: they are often someone else's words.
 */
export function collectSentences(view: CorpusView, test: (sentence: string, item: ChunkView) => boolean): Candidate[] {
  const byKey = new Map<string, Candidate>();
  for (const item of view.items) {
    for (const s of item.sentences) {
      if (!test(s, item)) continue;
      const k = key(s);
      if (k.length < 8) continue;
      let c = byKey.get(k);
      if (!c) byKey.set(k, (c = { text: s, ids: [], items: [], score: 0 }));
      if (!c.ids.includes(item.chunk.id)) {
        c.ids.push(item.chunk.id);
        c.items.push(item);
      }
    }
  }
  for (const c of byKey.values()) c.score = scoreSentence(c.text, c.items);
  return [...byKey.values()].sort((a, b) => b.score - a.score || a.ids[0] - b.ids[0]);
}

export function scoreSentence(text: string, items: readonly ChunkView[]): number {
  const words = wordCount(text);
  // Sentences of 8 to 40 words read best as claims.
  const length = words < 5 ? -1 : words <= 40 ? 1 : words <= 70 ? 0.3 : -0.5;
  const repeated = Math.log2(1 + new Set(items.map((i) => i.messageKey)).size) - 1;
  const forward = items.every((i) => i.forward) ? -1.5 : 0;
  return specificityScore(text) + length + repeated * 0.5 + forward;
}

/** The best `n`, at most `perMessage` from one message, so one long mail does not fill a section. */
export function pickDiverse(cands: readonly Candidate[], n: number, perMessage = 1, exclude?: Set<string>): Candidate[] {
  const used = new Map<string, number>();
  const out: Candidate[] = [];
  for (const c of cands) {
    if (out.length >= n) break;
    if (c.score < 0) continue;
    const k = key(c.text);
    if (exclude?.has(k)) continue;
    const m = c.items[0].messageKey;
    if ((used.get(m) ?? 0) >= perMessage) continue;
    used.set(m, (used.get(m) ?? 0) + 1);
    exclude?.add(k);
    out.push(c);
  }
  return out;
}

export function sentenceKey(text: string): string {
  return key(text);
}
