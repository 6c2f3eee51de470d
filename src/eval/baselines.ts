import type { ChunkStore } from '../retrieval/chunk-store';
import { LexicalIndex, Vocabulary } from '../retrieval/lexical-index';
import { searchableText, tokenize } from '../retrieval/tokenize';

/**
 * The two references every eval run prints beside our retrieval, computed in the same run from
 * the same chunk store: plain BM25 (no expansion, the original bigram tokenizer) over whole
 * files, and over chunks with a file ranked by its best chunk. They keep the figures honest:
 * a change only counts if it beats these on the same questions.
 */
export interface Baseline {
  label: string;
  /** Distinct source files, best first. */
  rank(question: string, k: number): string[];
}

export function bm25Baselines(store: ChunkStore): Baseline[] {
  const vocab = new Vocabulary();
  const chunkDocs: { id: number; tokens: Uint32Array }[] = [];
  const sourceOf: string[] = [];
  const fileTokens = new Map<string, number[]>();
  for (const c of store.iterateChunks()) {
    const tokens = vocab.encode(tokenize(searchableText(c)));
    sourceOf.push(c.source);
    chunkDocs.push({ id: chunkDocs.length, tokens });
    let f = fileTokens.get(c.source);
    if (!f) fileTokens.set(c.source, (f = []));
    for (const t of tokens) f.push(t);
  }
  const files = [...fileTokens.keys()];
  const chunkIndex = LexicalIndex.build(chunkDocs, vocab);
  const fileIndex = LexicalIndex.build(files.map((f, i) => ({ id: i, tokens: Uint32Array.from(fileTokens.get(f) ?? []) })), vocab);
  const terms = (q: string): { term: string; weight: number }[] => [...new Set(tokenize(q))].map((term) => ({ term, weight: 1 }));
  return [
    { label: 'file-level BM25', rank: (q, k) => fileIndex.search(terms(q), k).map((h) => files[fileIndex.docIds[h.doc]]) },
    {
      label: 'chunk-level BM25',
      rank: (q, k) => {
        const out: string[] = [];
        for (const h of chunkIndex.search(terms(q), k * 20)) {
          const s = sourceOf[chunkIndex.docIds[h.doc]];
          if (!out.includes(s)) out.push(s);
          if (out.length >= k) break;
        }
        return out;
      },
    },
  ];
}
