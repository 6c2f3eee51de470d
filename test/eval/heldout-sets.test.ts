import fs from 'node:fs';
import path from 'node:path';
import { loadCorpus } from '../../src/corpus/load';
import { slackDaySource } from '../../src/corpus/slack-day';
import type { SourceUnit } from '../../src/corpus/types';
import { matches, readQaFile, type QaItem } from '../../src/eval/qa';
import { HELDOUT_DIR, heldOutTargets } from '../../src/eval/run-all';
import { CORPORA, describeCorpora } from '../helpers/corpora';

const REPO = path.resolve(__dirname, '../..');
/** Words too common to make a paraphrase a keyword match (question words, function words). */
const STOP = new Set(
  'about above after again against also because been before being below between both could does doing down during each from further have having here hers into itself just more most other ours over same should some such than that their theirs them then there these they this those through under until very were what when where which while whom would your yours'.split(' '),
);
const targets = heldOutTargets(path.join(REPO, HELDOUT_DIR), CORPORA);

/**
 * The held-out QA sets are only ever run to report, so nobody looks at their items after they are
 * written: a typo in a source or keyword would silently count as a retrieval miss forever. These
 * tests keep them honest: the shape the issue asks for, and every source and keyword found in the
 * material the avatar is built from (loaded the way ingest loads it, with the target's author).
 */
describe('held-out QA sets (eval/qa/heldout)', () => {
  it('has the sets the issue asks for, each with a target', () => {
    expect(targets.map((t) => t.slug)).toEqual(expect.arrayContaining(['neeraj-tandon', 'paul-graham']));
    // A one-person chat avatar: the Slack export filtered to its most active member.
    expect(targets.find((t) => t.slug === 'neeraj-tandon')?.create).toMatchObject({ from: path.join(CORPORA, 'slack_export_houstondatavis'), author: 'U061A5N1G', lang: 'en' });
  });

  describe.each(targets.map((t) => [t.slug, t] as const))('%s', (_slug, t) => {
    const items = readQaFile(t.qa);
    const answerable = items.filter((i) => i.answerable);

    it('has 30+ answerable and 8+ unanswerable questions, a third of the answerable ones paraphrased', () => {
      expect(answerable.length).toBeGreaterThanOrEqual(30);
      expect(items.length - answerable.length).toBeGreaterThanOrEqual(8);
      expect(answerable.filter((i) => i.paraphrase).length * 3).toBeGreaterThanOrEqual(answerable.length);
    });

    it('is well-formed: answerable items name 1+ sources and 1-3 keywords; unanswerable ones name none and are no paraphrase', () => {
      const bad = (i: QaItem): string | undefined => {
        if (!i.lang) return 'no lang';
        if (i.answerable && (i.sources.length === 0 || i.keywords.length < 1 || i.keywords.length > 3)) return 'needs 1+ sources and 1-3 keywords';
        if (!i.answerable && (i.sources.length > 0 || i.keywords.length > 0 || i.paraphrase)) return 'unanswerable with sources, keywords or paraphrase';
        if (i.keywords.some((k) => !k.trim())) return 'blank keyword';
        return undefined;
      };
      expect(items.map((i) => [i.question, bad(i)]).filter(([, why]) => why)).toEqual([]);
      const questions = items.map((i) => i.question.trim().toLowerCase());
      expect(questions.filter((q, n) => questions.indexOf(q) !== n)).toEqual([]);
    });
  });
});

describeCorpora('held-out QA sets against their corpora', () => {
  // Sources are paths inside the avatar's corpus/ folder, where the corpus is copied under its own name.
  const units = new Map<string, SourceUnit[]>();
  const unitsOf = async (t: (typeof targets)[number]): Promise<SourceUnit[]> => {
    const from = t.create?.from as string;
    if (!units.has(t.slug)) {
      const r = await loadCorpus(from, { author: t.create?.author?.split(',').map((a) => a.trim()) });
      units.set(t.slug, r.units.map((u) => ({ ...u, source: `${path.basename(from)}/${u.source}` })));
    }
    return units.get(t.slug) ?? [];
  };

  it.each(targets.map((t) => [t.slug, t] as const))('%s: every source is loaded material, and its first source holds all its keywords verbatim in one unit', async (_slug, t) => {
    expect(fs.existsSync(t.create?.from as string)).toBe(true);
    const all = await unitsOf(t);
    expect(all.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const item of readQaFile(t.qa).filter((i) => i.answerable)) {
      for (const s of item.sources) if (!all.some((u) => matches(u.source, s))) problems.push(`${item.question}: no loaded unit under ${s}`);
      const first = all.filter((u) => matches(u.source, item.sources[0]));
      if (first.length > 0 && !first.some((u) => item.keywords.every((k) => u.text.includes(k)))) {
        problems.push(`${item.question}: keywords ${JSON.stringify(item.keywords)} not together in one unit of ${item.sources[0]}`);
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);

  // The paraphrase rule of REAL_CORPORA.md, checked where a unit is one chat message: a paraphrased
  // question shares no content word (nor a 6-letter stem, nor a 5-letter prefix) with the message
  // that answers it. Essays and mail were checked by their writers on a window of the file.
  it('chat sets: a paraphrased question shares no content word with the message that answers it', async () => {
    const words = (s: string): string[] => (s.toLowerCase().match(/[a-z][a-z0-9]+/g) ?? []).filter((w) => w.length >= 4 && !STOP.has(w));
    const same = (a: string, b: string): boolean => a === b || (a.length >= 6 && b.length >= 6 && a.slice(0, 6) === b.slice(0, 6)) || (a.length >= 5 && b.startsWith(a)) || (b.length >= 5 && a.startsWith(b));
    const shared: string[] = [];
    let checked = 0;
    for (const t of targets) {
      const all = await unitsOf(t);
      if (!all.every((u) => u.kind === 'slack' || u.kind === 'feishu')) continue;
      for (const item of readQaFile(t.qa).filter((i) => i.paraphrase)) {
        checked++;
        const answer = all.find((u) => matches(u.source, item.sources[0]) && item.keywords.every((k) => u.text.includes(k)));
        const inAnswer = words(answer?.text ?? '');
        for (const w of words(item.question)) if (inAnswer.some((a) => same(w, a))) shared.push(`${t.slug}: ${item.question}: ${w}`);
      }
    }
    expect(checked).toBeGreaterThanOrEqual(10);
    expect(shared).toEqual([]);
  }, 120_000);

  it('the chat avatar holds only its member\'s own messages, one unit per message with its Slack ts as locator, keyed by day file', async () => {
    const t = targets.find((x) => x.slug === 'neeraj-tandon');
    if (!t) throw new Error('eval/qa/heldout/neeraj-tandon.target.json is missing');
    const mine = await unitsOf(t);
    expect(mine.length).toBeGreaterThan(300);
    expect(mine.every((u) => u.kind === 'slack' && u.author === 'Neeraj Tandon (U061A5N1G)')).toBe(true);
    expect(mine.every((u) => /^\d+\.\d+$/.test(u.locator ?? ''))).toBe(true);
    expect(new Set(mine.map((u) => `${u.source}#${u.locator}`)).size).toBe(mine.length);
    // Units are keyed by their day file, and so are the set's sources (relabelled from channels by
    // scripts/relabel-slack-days.mjs): a channel as source would match every day of it (eval matches() takes a folder).
    expect(mine.every((u) => slackDaySource(u.source) !== undefined)).toBe(true);
    const sources = readQaFile(t.qa).flatMap((i) => i.sources);
    expect(sources.length).toBeGreaterThan(30);
    expect(sources.filter((s) => !slackDaySource(s))).toEqual([]);
    // Far more files than channels: a fixed list of the person's busiest channels no longer scores.
    expect(new Set(mine.map((u) => u.source)).size).toBeGreaterThan(100);
  }, 60_000);
});
