import fs from 'node:fs';
import path from 'node:path';
import { createAvatarPackage } from '../cli/avatar-create';
import { UnderstudyError } from '../errors';
import type { AvatarService } from '../avatars/service';
import type { SearchMode } from '../retrieval/avatar-index';
import { evaluate, readQaFile, type EvalReport } from './qa';

export interface EvalTarget {
  slug: string;
  qa: string;
  /** For avatars built from the shared corpora: how to create them under the eval data dir. */
  create?: { name: string; from: string; author?: string; lang?: 'zh' | 'en' };
}

/** The QA sets `npm run eval` runs: the demo avatars and two avatars built from real corpora. */
export function defaultTargets(repoRoot: string): EvalTarget[] {
  const corpora = path.resolve(repoRoot, '..', 'shared', 'corpora');
  return [
    { slug: 'lao-zhang', qa: path.join(repoRoot, 'eval/qa/lao-zhang.jsonl') },
    { slug: 'lin-xiaoyu', qa: path.join(repoRoot, 'eval/qa/lin-xiaoyu.jsonl') },
    {
      slug: 'allen-p',
      qa: path.join(repoRoot, 'eval/qa/allen-p.jsonl'),
      create: { name: 'Phillip Allen', from: path.join(corpora, 'enron_maildir_sent/maildir/allen-p/sent_items'), author: 'k..allen@enron.com,phillip.allen@enron.com', lang: 'en' },
    },
    { slug: 'ruanyf', qa: path.join(repoRoot, 'eval/qa/ruanyf.jsonl'), create: { name: '阮一峰', from: path.join(corpora, 'ruanyf_weekly_zh/docs'), lang: 'zh' } },
  ];
}

export const EVAL_RUNS: { mode: SearchMode; expansion: boolean; label: string }[] = [
  { mode: 'hybrid', expansion: true, label: 'hybrid + expansion (default)' },
  { mode: 'hybrid', expansion: false, label: 'hybrid, no expansion' },
  { mode: 'lexical', expansion: false, label: 'BM25 only' },
  { mode: 'vector', expansion: false, label: 'vector only (local embedder)' },
];

/**
 * Make sure each target avatar exists (creating the real-corpus ones in the eval avatars dir,
 * never in the repository) and is ingested, then run every retrieval mode on its QA set.
 */
export async function runAllEvals(
  demo: AvatarService,
  realAvatarsDir: string,
  real: AvatarService,
  targets: EvalTarget[],
  log: (line: string) => void,
): Promise<{ slug: string; reports: EvalReport[] }[]> {
  const out: { slug: string; reports: EvalReport[] }[] = [];
  for (const t of targets) {
    if (!fs.existsSync(t.qa)) throw new UnderstudyError('FILE_UNREADABLE', `QA set ${t.qa} is missing`);
    const service = t.create ? real : demo;
    if (t.create) {
      if (!fs.existsSync(t.create.from)) {
        throw new UnderstudyError('FILE_UNREADABLE', `${t.create.from} is missing: the real corpora must sit in ../shared/corpora beside the checkout`);
      }
      if (!service.registry.find(t.slug)) {
        createAvatarPackage(realAvatarsDir, { slug: t.slug, name: t.create.name, from: [t.create.from], author: t.create.author, lang: t.create.lang }, process.cwd());
        service.reload();
      }
    }
    const started = Date.now();
    const report = await service.ingest(t.slug);
    log(`${t.slug}: ${report.totalChunks} chunks (${report.filesRead} files read now, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    const items = readQaFile(t.qa);
    const index = service.index(t.slug);
    const reports: EvalReport[] = [];
    for (const r of EVAL_RUNS) reports.push(await evaluate(index, items, r.mode, r.expansion));
    out.push({ slug: t.slug, reports });
  }
  return out;
}
