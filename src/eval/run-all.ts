import fs from 'node:fs';
import path from 'node:path';
import { answerQuestion } from '../answer/answer';
import { createAvatarPackage } from '../avatars/create';
import { saveAvatarConfig } from '../avatars/package';
import { excludeGlobProblem } from '../avatars/schema';
import { UnderstudyError } from '../errors';
import type { AvatarHost } from '../avatars/host';
import { LOCAL_VIEWER } from '../avatars/visibility';
import type { AvatarIndex, SearchMode } from '../retrieval/avatar-index';
import { bm25Baselines } from './baselines';
import { evaluateRows, fileRank, readQaFile, reportOf, type EvalReport, type EvalRow, type QaItem } from './qa';

export type Split = 'dev' | 'held-out';

export interface EvalTarget {
  slug: string;
  qa: string;
  /** dev: tuned on; held-out: only ever reported. */
  split: Split;
  /** For avatars built from the shared corpora: how to create them under the eval data dir. */
  create?: { name: string; from: string; author?: string; lang?: 'zh' | 'en'; exclude?: string[] };
}

/** Where held-out sets live: `<slug>.jsonl` beside `<slug>.target.json` ({name, from, author?, lang, exclude?}). */
export const HELDOUT_DIR = 'eval/qa/heldout';

/**
 * The QA sets `npm run eval` runs: the dev sets (demo avatars and two real corpora, tuned on)
 * and every held-out set found in eval/qa/heldout (never tuned on), built the same way.
 */
export function defaultTargets(repoRoot: string): EvalTarget[] {
  const corpora = path.resolve(repoRoot, '..', 'shared', 'corpora');
  const dev: EvalTarget[] = [
    { slug: 'lao-zhang', split: 'dev', qa: path.join(repoRoot, 'eval/qa/lao-zhang.jsonl') },
    { slug: 'lin-xiaoyu', split: 'dev', qa: path.join(repoRoot, 'eval/qa/lin-xiaoyu.jsonl') },
    {
      slug: 'allen-p',
      split: 'dev',
      qa: path.join(repoRoot, 'eval/qa/allen-p.jsonl'),
      create: { name: 'Phillip Allen', from: path.join(corpora, 'enron_maildir_sent/maildir/allen-p/sent_items'), author: 'k..allen@enron.com,phillip.allen@enron.com', lang: 'en' },
    },
    { slug: 'ruanyf', split: 'dev', qa: path.join(repoRoot, 'eval/qa/ruanyf.jsonl'), create: { name: '阮一峰', from: path.join(corpora, 'ruanyf_weekly_zh/docs'), lang: 'zh' } },
    // English prose: the same avatar as the held-out paul-graham set (same corpus and exclude), different passages.
    // SOURCE.txt is the data set's provenance note, not an essay of his.
    {
      slug: 'paul-graham',
      split: 'dev',
      qa: path.join(repoRoot, 'eval/qa/paul-graham-dev.jsonl'),
      create: { name: 'Paul Graham', from: path.join(corpora, 'paul_graham_essays'), lang: 'en', exclude: ['SOURCE.txt'] },
    },
    // Chat: one member's Slack messages (another export than the held-out chat set's).
    {
      slug: 'heather-turner',
      split: 'dev',
      qa: path.join(repoRoot, 'eval/qa/heather-turner.jsonl'),
      create: { name: 'Heather Turner', from: path.join(corpora, 'slack_export_r_contributors'), author: 'U01DZUA88S1', lang: 'en' },
    },
    // A second member of the same export: his own messages, the other set's questions never asked of him.
    {
      slug: 'lluis-revilla',
      split: 'dev',
      qa: path.join(repoRoot, 'eval/qa/lluis-revilla.jsonl'),
      create: { name: 'Lluís Revilla Sancho', from: path.join(corpora, 'slack_export_r_contributors'), author: 'U01KXU8UNRX', lang: 'en' },
    },
    // Chat from the held-out chat set's export, another member (its second most active): the
    // abstention fit sees day files of that community's talk without the held-out questions.
    {
      slug: 'micah-stubbs',
      split: 'dev',
      qa: path.join(repoRoot, 'eval/qa/micah-stubbs.jsonl'),
      create: { name: 'Micah Stubbs', from: path.join(corpora, 'slack_export_houstondatavis'), author: 'U061A1R2R', lang: 'en' },
    },
  ];
  return [...dev, ...heldOutTargets(path.join(repoRoot, HELDOUT_DIR), corpora)];
}

/** Held-out sets: each `<slug>.jsonl` with its `<slug>.target.json`; a set without a target is an error. */
export function heldOutTargets(dir: string, corpora: string): EvalTarget[] {
  if (!fs.existsSync(dir)) return [];
  const out: EvalTarget[] = [];
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort()) {
    const slug = f.slice(0, -'.jsonl'.length);
    const targetFile = path.join(dir, `${slug}.target.json`);
    let t: { name?: unknown; from?: unknown; author?: unknown; lang?: unknown; exclude?: unknown };
    try {
      t = JSON.parse(fs.readFileSync(targetFile, 'utf8'));
    } catch (err) {
      throw new UnderstudyError('FILE_UNREADABLE', `${targetFile}: cannot read the held-out target for ${f} (${(err as Error).message}); it needs {"name", "from", "author"?, "lang"}`, { cause: err });
    }
    if (typeof t.name !== 'string' || typeof t.from !== 'string') {
      throw new UnderstudyError('INPUT_INVALID', `${targetFile}: fields "name" and "from" (a folder relative to shared/corpora) must be strings`);
    }
    if (t.lang !== undefined && t.lang !== 'zh' && t.lang !== 'en') throw new UnderstudyError('INPUT_INVALID', `${targetFile}: field "lang" must be "zh" or "en"`);
    if (t.author !== undefined && typeof t.author !== 'string') throw new UnderstudyError('INPUT_INVALID', `${targetFile}: field "author" must be a string`);
    if (t.exclude !== undefined && (!Array.isArray(t.exclude) || t.exclude.some((g) => excludeGlobProblem(g) !== undefined))) {
      throw new UnderstudyError('INPUT_INVALID', `${targetFile}: field "exclude" must be a list of globs relative to the corpus folder (avatar.yaml exclude)`);
    }
    out.push({
      slug,
      split: 'held-out',
      qa: path.join(dir, f),
      create: { name: t.name, from: path.resolve(corpora, t.from), author: t.author as string | undefined, lang: t.lang as 'zh' | 'en' | undefined, exclude: t.exclude as string[] | undefined },
    });
  }
  return out;
}

export const EVAL_RUNS: { mode: SearchMode; expansion: boolean; label: string }[] = [
  { mode: 'hybrid', expansion: true, label: 'ours: hybrid (default)' },
  { mode: 'lexical', expansion: true, label: 'ours: lexical only' },
];

export interface SetResult {
  slug: string;
  split: Split;
  chunks: number;
  files: number;
  /** Our runs (EVAL_RUNS order), then the two BM25 baselines (no abstention). */
  reports: (EvalReport & { label: string })[];
  /** Share of answerable questions whose offline answer text holds one of the expected keywords. */
  keywordHit: { hits: number; of: number };
}

export interface EvalServices {
  /** Hosts the demo avatars (the repository's own avatars dir). */
  demo: AvatarHost;
  /** Hosts the avatars built from the shared corpora, in `realAvatarsDir` (never in the repository). */
  real: AvatarHost;
  realAvatarsDir: string;
}

/**
 * Make sure a target avatar exists (creating a real-corpus one in the eval avatars dir) and is
 * ingested; its index, service and a line describing what ingest did.
 */
export async function openTarget(t: EvalTarget, s: EvalServices): Promise<{ index: AvatarIndex; service: AvatarHost; line: string }> {
  if (!fs.existsSync(t.qa)) throw new UnderstudyError('FILE_UNREADABLE', `QA set ${t.qa} is missing`);
  const service = t.create ? s.real : s.demo;
  if (t.create) {
    if (!fs.existsSync(t.create.from)) {
      throw new UnderstudyError('FILE_UNREADABLE', `${t.create.from} is missing: the real corpora must sit in ../shared/corpora beside the checkout`);
    }
    if (!service.registry.find(t.slug)) {
      createAvatarPackage(s.realAvatarsDir, { slug: t.slug, name: t.create.name, from: [t.create.from], author: t.create.author, lang: t.create.lang, exclude: t.create.exclude }, process.cwd());
      service.reload();
    } else {
      // The target defines the corpus: an avatar built before its exclude list changed takes the
      // new list, and the ingest below drops (or adds back) the files it names.
      const pkg = service.get(t.slug);
      const want = t.create.exclude && t.create.exclude.length > 0 ? t.create.exclude : undefined;
      if (JSON.stringify(pkg.config.exclude) !== JSON.stringify(want)) {
        saveAvatarConfig(pkg.dir, { ...pkg.config, exclude: want });
        service.reload();
      }
    }
  }
  const started = Date.now();
  const ingest = await service.ingest(t.slug);
  const index = service.index(t.slug);
  const semantic = await index.semanticReady();
  const line = `${t.slug} (${t.split}): ${ingest.totalChunks} chunks (${ingest.filesRead} files read now, ${((Date.now() - started) / 1000).toFixed(1)} s${semantic ? `; ${semantic}` : ''})`;
  return { index, service, line };
}

/**
 * Open each target (see openTarget), then run our retrieval and the BM25 baselines on its QA set.
 */
export async function runAllEvals(
  demo: AvatarHost,
  realAvatarsDir: string,
  real: AvatarHost,
  targets: EvalTarget[],
  log: (line: string) => void,
): Promise<SetResult[]> {
  const out: SetResult[] = [];
  for (const t of targets) {
    const { index, service, line } = await openTarget(t, { demo, real, realAvatarsDir });
    log(line);
    const items = readQaFile(t.qa);
    const reports: SetResult['reports'] = [];
    for (const r of EVAL_RUNS) reports.push({ label: r.label, ...(await evaluateRows(index, items, r.mode, r.expansion)) });
    const baselines = bm25Baselines(index.chunkStore());
    for (const b of baselines) reports.push({ label: b.label, ...reportOf('lexical', false, baselineRows(items, (q) => b.rank(q, 5))) });
    const pkg = service.get(t.slug);
    const keywordHit = { hits: 0, of: 0 };
    for (const item of items.filter((i) => i.answerable && i.keywords.length > 0)) {
      const a = await answerQuestion({ config: pkg.config, skill: '', index }, { question: item.question, viewer: LOCAL_VIEWER, firstContact: false });
      keywordHit.of++;
      if (item.keywords.some((k) => a.text.includes(k))) keywordHit.hits++;
    }
    out.push({ slug: t.slug, split: t.split, chunks: index.count(), files: index.chunkStore().sourceCounts().length, reports, keywordHit });
  }
  return out;
}

/** Baselines never abstain: every question counts as answered. */
function baselineRows(items: QaItem[], rank: (q: string) => string[]): EvalRow[] {
  return items.map((item) => {
    const got = rank(item.question);
    return { item, rank: fileRank(got, item.sources), grounded: true, hedged: false, got };
  });
}
