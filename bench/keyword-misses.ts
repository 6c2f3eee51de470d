/**
 * Why offline answers miss their keywords, per dev QA set:
 *
 *   npm run build && node dist/bench/keyword-misses.js [--data-dir DIR] [--set slug] [--dump misses.json]
 *
 * Asks every answerable dev question that has keywords the way `npm run eval` does (the same
 * `keywordHit`: some keyword appears, case-sensitive, in the answer text), and sorts each miss:
 *   declined   the answer abstained (no sources);
 *   retrieval  no keyword is in any of the top-k chunks retrieval returned, nor in their windows;
 *   window     no retrieved chunk holds a keyword, but the window the answer reads around a quoted
 *              hit does (the neighbouring chunks of the same source): the answer quoted other lines;
 *   quoted     a keyword is in a retrieved chunk of a source the answer quotes, but not in the lines quoted;
 *   dropped    a keyword is only in retrieved chunks (or their windows) the answer did not quote at all.
 * Also prints the median length (characters) of the answers given (not declined), and how many
 * of them quote the same line in two segments of one source's quote (`repeated`: a defect, should be 0).
 * Held-out sets are never opened here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { answerQuestion } from '../src/answer/answer';
import { AvatarService } from '../src/app/avatar-service';
import { createRuntime } from '../src/app/runtime';
import { readQaFile } from '../src/eval/qa';
import { defaultTargets, openTarget } from '../src/eval/run-all';
import { LOCAL_VIEWER } from '../src/avatars/visibility';
import { windowOf } from '../src/answer/passages';

const REPO = path.resolve(__dirname, '..', '..');
const K = 6;

type MissClass = 'declined' | 'retrieval' | 'window' | 'quoted' | 'dropped';

interface Miss {
  set: string;
  cls: MissClass;
  question: string;
  keywords: string[];
  /** Ranks (1-based) of the retrieved chunks that hold a keyword, and whether the answer quotes that source. */
  ranks: { rank: number; source: string; locator: string; quotedSource: boolean }[];
  /** For a retrieval miss: ranks of hits whose window (the chunks the answer can quote) or whole source holds a keyword. */
  inWindow: number[];
  inSource: number[];
  answer: string;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main(): Promise<void> {
  const rt = createRuntime(process.env, { dataDir: arg('--data-dir') }, { cwd: REPO });
  const evalData = path.join(rt.config.dataDir, 'eval');
  const realAvatarsDir = path.join(evalData, 'avatars');
  const real = new AvatarService({ avatarsDir: realAvatarsDir, dataDir: evalData, embedders: rt.service.embedders, store: rt.service.store, log: rt.log });
  const only = arg('--set');
  const targets = defaultTargets(REPO).filter((t) => t.split === 'dev' && (!only || t.slug === only));
  const misses: Miss[] = [];
  const rows: string[] = [];
  try {
    for (const t of targets) {
      const { index, service, line } = await openTarget(t, { demo: rt.service, real, realAvatarsDir });
      console.error(line);
      const config = service.get(t.slug).config;
      const counts: Record<MissClass, number> = { declined: 0, retrieval: 0, window: 0, quoted: 0, dropped: 0 };
      let hits = 0;
      let of = 0;
      const lengths: number[] = [];
      let repeated = 0;
      for (const item of readQaFile(t.qa).filter((i) => i.answerable && i.keywords.length > 0)) {
        of++;
        const a = await answerQuestion({ config, skill: '', index }, { question: item.question, viewer: LOCAL_VIEWER, firstContact: false });
        if (a.citations.length > 0) lengths.push(a.text.length);
        if (quotesALineTwice(a.text)) repeated++;
        if (item.keywords.some((k) => a.text.includes(k))) {
          hits++;
          continue;
        }
        const result = await index.search(item.question, { k: K, viewer: LOCAL_VIEWER });
        const quotedSources = new Set(a.citations.map((c) => c.source));
        const ranks = result.hits
          .map((h, i) => ({ rank: i + 1, source: h.chunk.source, locator: h.chunk.locator, quotedSource: quotedSources.has(h.chunk.source), has: item.keywords.some((k) => h.chunk.text.includes(k)) }))
          .filter((r) => r.has)
          .map(({ has: _has, ...r }) => r);
        const has = (text: string): boolean => item.keywords.some((k) => text.includes(k));
        const inWindow = result.hits.map((h, i) => (has(windowOf(h, { index, viewer: LOCAL_VIEWER }).lines.join('\n')) ? i + 1 : 0)).filter((r) => r > 0);
        const inSource = result.hits.map((h, i) => (index.chunkStore().bySource(h.chunk.source).some((c) => has(c.text)) ? i + 1 : 0)).filter((r) => r > 0);
        const quotedRank = (r: number): boolean => quotedSources.has(result.hits[r - 1].chunk.source);
        const cls: MissClass =
          a.citations.length === 0
            ? 'declined'
            : ranks.some((r) => r.quotedSource)
              ? 'quoted'
              : inWindow.some(quotedRank)
                ? 'window'
                : ranks.length > 0 || inWindow.length > 0
                  ? 'dropped'
                  : 'retrieval';
        counts[cls]++;
        misses.push({ set: t.slug, cls, question: item.question, keywords: item.keywords, ranks, inWindow, inSource, answer: a.text });
      }
      rows.push(
        `${t.slug.padEnd(16)} ${`${((100 * hits) / Math.max(1, of)).toFixed(1)}% (${hits}/${of})`.padEnd(16)} ${String(counts.declined).padStart(8)} ${String(counts.retrieval).padStart(9)} ${String(counts.window).padStart(6)} ${String(counts.quoted).padStart(6)} ${String(counts.dropped).padStart(7)} ${String(median(lengths)).padStart(10)} ${String(repeated).padStart(8)}`,
      );
    }
  } finally {
    real.close();
    await rt.close();
  }
  console.log(`${'set'.padEnd(16)} ${'kw-hit'.padEnd(16)} ${'declined'.padStart(8)} ${'retrieval'.padStart(9)} ${'window'.padStart(6)} ${'quoted'.padStart(6)} ${'dropped'.padStart(7)} ${'median len'.padStart(10)} ${'repeated'.padStart(8)}`);
  for (const r of rows) console.log(r);
  const dump = arg('--dump');
  if (dump) fs.writeFileSync(dump, JSON.stringify(misses, null, 2));
}

/**
 * True when one source's quote (after the answer's lead) holds the same line in two of its
 * segments (the parts an ellipsis separates): the same lines quoted twice. A line a source itself
 * repeats (code run twice in one message) is not counted.
 */
function quotesALineTwice(answer: string): boolean {
  const sources = answer.split(/^\[\d+\] /m).slice(1);
  return sources.some((quote) => {
    const lines = quote
      .split('\n')
      .filter((l) => l.startsWith('>'))
      .map((l) => l.replace(/^(\s*>\s?)+/, '').trim());
    const segmentOf = new Map<string, number>();
    let segment = 0;
    for (const line of lines) {
      if (line === '…') segment++;
      if (line.length < 12 || line.startsWith('```')) continue;
      const seen = segmentOf.get(line);
      if (seen !== undefined && seen !== segment) return true;
      segmentOf.set(line, segment);
    }
    return false;
  });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
