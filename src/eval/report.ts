import type { EvalMetrics } from './qa';
import type { SetResult, Split } from './run-all';

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`.padStart(7);

function row(label: string, m: EvalMetrics, para: EvalMetrics, abstains: boolean): string {
  const dash = '      —';
  return [
    `  ${label.padEnd(26)}`,
    pct(m.recallAt1),
    pct(m.recallAt5),
    m.mrr.toFixed(3).padStart(7),
    para.answerable ? pct(para.recallAt5) : dash,
    abstains ? pct(m.falseAbstention) : dash,
    abstains && m.unanswerable ? pct(m.abstentionAccuracy) : dash,
    abstains ? pct(m.hedged) : dash,
  ].join(' ');
}

/**
 * What `npm run eval` prints: per QA set, split into dev (tuned on) and held-out (never tuned
 * on), our retrieval beside file-level and chunk-level BM25 from the same run, then a summary.
 */
export function formatEvalAll(results: SetResult[]): string {
  const lines: string[] = [];
  const header = `  ${'run'.padEnd(26)}     R@1     R@5     MRR para R@5 false-abst declined  hedged`;
  for (const split of ['dev', 'held-out'] as Split[]) {
    const sets = results.filter((r) => r.split === split);
    lines.push('', `######## ${split.toUpperCase()} ${split === 'dev' ? '(tuned on)' : '(never tuned on)'} ########`);
    if (sets.length === 0) lines.push('  (no sets)');
    for (const r of sets) {
      const a = r.reports[0].all;
      lines.push(
        '',
        `== ${r.slug} [${split}]: ${r.files} files, ${r.chunks} chunks; ${a.questions} questions (${a.answerable} answerable, ${a.unanswerable} unanswerable, ${r.reports[0].paraphrase.answerable} paraphrased, ${r.reports[0].crosslingual.answerable} cross-lingual)`,
      );
      lines.push(header);
      r.reports.forEach((rep, i) => lines.push(row(rep.label, rep.all, rep.paraphrase, i < r.reports.length - 2)));
      if (r.reports[0].crosslingual.answerable) lines.push(`  cross-lingual R@5: ${r.reports.map((rep) => `${rep.label} ${pct(rep.crosslingual.recallAt5).trim()}`).join(', ')}`);
      lines.push(`  keyword hit of offline answers: ${pct(r.keywordHit.of ? r.keywordHit.hits / r.keywordHit.of : 0).trim()} (${r.keywordHit.hits}/${r.keywordHit.of})`);
    }
  }
  lines.push('', 'Summary (ours = hybrid default; BM25 = file-level BM25, same run)');
  lines.push(`  ${'set'.padEnd(22)} ${'split'.padEnd(8)}  R@5 ours  R@5 BM25  para ours  para BM25  false-abst  declined  kw-hit`);
  for (const r of results) {
    const ours = r.reports[0];
    const bm = r.reports[r.reports.length - 2];
    lines.push(
      `  ${r.slug.padEnd(22)} ${r.split.padEnd(8)}  ${pct(ours.all.recallAt5)}   ${pct(bm.all.recallAt5)}    ${pct(ours.paraphrase.recallAt5)}    ${pct(bm.paraphrase.recallAt5)}     ${pct(ours.all.falseAbstention)}   ${pct(ours.all.abstentionAccuracy)} ${pct(r.keywordHit.of ? r.keywordHit.hits / r.keywordHit.of : 0)}`,
    );
  }
  return lines.join('\n');
}
