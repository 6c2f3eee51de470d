import fs from 'node:fs';
import { z } from 'zod';
import { UnderstudyError } from '../errors';
import type { AbstentionSignals } from '../retrieval/abstention';
import type { AvatarIndex, SearchMode } from '../retrieval/avatar-index';

export const qaItemSchema = z.object({
  question: z.string().min(1),
  answerable: z.boolean(),
  sources: z.array(z.string()).default([]),
  keywords: z.array(z.string()).default([]),
  paraphrase: z.boolean().optional(),
  crosslingual: z.boolean().optional(),
  lang: z.string().optional(),
});
export type QaItem = z.infer<typeof qaItemSchema>;

export function readQaFile(file: string): QaItem[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UnderstudyError('FILE_UNREADABLE', `${file}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  const items: QaItem[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (err) {
      throw new UnderstudyError('PARSE_FAILED', `${file}:${i + 1}: invalid JSON: ${(err as Error).message}`);
    }
    const parsed = qaItemSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UnderstudyError('INPUT_INVALID', `${file}:${i + 1}: field ${issue.path.join('.') || '(line)'}: ${issue.message}`);
    }
    items.push(parsed.data);
  });
  return items;
}

export interface EvalMetrics {
  questions: number;
  answerable: number;
  unanswerable: number;
  /** File-level: the rank of the first expected source among distinct retrieved files. */
  recallAt1: number;
  recallAt5: number;
  mrr: number;
  /** Share of unanswerable questions where the avatar declined (grounded false). */
  abstentionAccuracy: number;
  /** Share of answerable questions where the avatar wrongly declined. */
  falseAbstention: number;
  /** Share of answered (grounded) questions that came with confidence 'low' (a hedged answer). */
  hedged: number;
}

export interface EvalReport {
  mode: SearchMode;
  expansion: boolean;
  all: EvalMetrics;
  paraphrase: EvalMetrics;
  crosslingual: EvalMetrics;
  misses: { question: string; expected: string[]; got: string[] }[];
  /** Per question, for fitting and auditing abstention (not printed). */
  rows?: EvalRow[];
}

/** A source matches when the retrieved path equals it or is inside it (export folders). */
export function matches(got: string, expected: string): boolean {
  const g = got.split('#')[0];
  return g === expected || g.startsWith(`${expected}/`) || got === expected;
}

/** 1-based rank of the first expected source among distinct files in `got` order; 0 = not in the top `k`. */
export function fileRank(got: readonly string[], expected: readonly string[], k = 5): number {
  const files: string[] = [];
  for (const g of got) if (!files.includes(g)) files.push(g);
  const idx = files.slice(0, k).findIndex((f) => expected.some((s) => matches(f, s)));
  return idx + 1;
}

export interface EvalRow {
  item: QaItem;
  rank: number; // 0 = not in top 5
  grounded: boolean;
  hedged: boolean;
  got: string[];
  relevance?: number;
  signals?: AbstentionSignals;
}

export function metrics(rows: EvalRow[]): EvalMetrics {
  const ans = rows.filter((r) => r.item.answerable);
  const un = rows.filter((r) => !r.item.answerable);
  const share = (n: number, d: number): number => (d === 0 ? 0 : n / d);
  const answered = rows.filter((r) => r.grounded);
  return {
    questions: rows.length,
    answerable: ans.length,
    unanswerable: un.length,
    recallAt1: share(ans.filter((r) => r.rank === 1).length, ans.length),
    recallAt5: share(ans.filter((r) => r.rank >= 1 && r.rank <= 5).length, ans.length),
    mrr: share(ans.reduce((s, r) => s + (r.rank > 0 ? 1 / r.rank : 0), 0), ans.length),
    abstentionAccuracy: share(un.filter((r) => !r.grounded).length, un.length),
    falseAbstention: share(ans.filter((r) => !r.grounded).length, ans.length),
    hedged: share(answered.filter((r) => r.hedged).length, answered.length),
  };
}

export function reportOf(mode: SearchMode, expansion: boolean, rows: EvalRow[]): EvalReport {
  return {
    mode,
    expansion,
    all: metrics(rows),
    paraphrase: metrics(rows.filter((r) => r.item.paraphrase)),
    crosslingual: metrics(rows.filter((r) => r.item.crosslingual)),
    misses: rows.filter((r) => r.item.answerable && r.rank === 0).map((r) => ({ question: r.item.question, expected: r.item.sources, got: [...new Set(r.got)] })),
    rows,
  };
}

/** Retrieval quality on a QA set: file-level recall@1/@5 and MRR over sources, and abstention. */
export async function evaluate(index: AvatarIndex, items: QaItem[], mode: SearchMode = 'hybrid', expansion = true): Promise<EvalReport> {
  const { rows, ...report } = await evaluateRows(index, items, mode, expansion);
  return report;
}

/** `evaluate` with the per-question rows kept (abstention fitting, eval-all). */
export async function evaluateRows(index: AvatarIndex, items: QaItem[], mode: SearchMode = 'hybrid', expansion = true): Promise<EvalReport> {
  const rows: EvalRow[] = [];
  for (const item of items) {
    const res = await index.search(item.question, { k: 5, mode, lexicon: expansion, associations: expansion });
    const got = res.hits.map((h) => h.chunk.source);
    rows.push({ item, rank: fileRank(got, item.sources), grounded: res.grounded, hedged: res.grounded && res.confidence === 'low', got, relevance: res.relevance, signals: res.signals });
  }
  return reportOf(mode, expansion, rows);
}

export function formatMetrics(label: string, m: EvalMetrics): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`.padStart(6);
  return `${label.padEnd(28)} n=${String(m.questions).padStart(3)}  R@1 ${pct(m.recallAt1)}  R@5 ${pct(m.recallAt5)}  MRR ${m.mrr.toFixed(3)}  abstain-ok ${pct(m.abstentionAccuracy)}  false-abstain ${pct(m.falseAbstention)}`;
}
