import fs from 'node:fs';
import path from 'node:path';
import { loadCorpus } from '../../src/corpus/load';
import { slackDaySource } from '../../src/corpus/slack-day';
import { matches, readQaFile } from '../../src/eval/qa';
import { defaultTargets } from '../../src/eval/run-all';
import { describeCorpora } from '../helpers/corpora';

const REPO = path.resolve(__dirname, '../..');

/**
 * Every QA set built from a Slack export (dev or held-out) names day files as sources, as the
 * loader keys messages: a channel would match all of its days (eval's matches() takes a folder).
 * Each source is a day the avatar holds, and the first one has a message with every keyword.
 */
describeCorpora('QA sets of Slack exports name day files', () => {
  const chat = defaultTargets(REPO).filter((t) => t.create?.from && fs.existsSync(path.join(t.create.from, 'channels.json')));

  it('covers the dev and the held-out chat sets', () => {
    expect(chat.map((t) => `${t.slug}:${t.split}`).sort()).toEqual(['heather-turner:dev', 'lluis-revilla:dev', 'micah-stubbs:dev', 'neeraj-tandon:held-out']);
  });

  it.each(chat.map((t) => [t.slug, t] as const))('%s', async (_slug, t) => {
    const from = t.create?.from as string;
    const r = await loadCorpus(from, { author: t.create?.author?.split(',').map((a) => a.trim()) });
    const units = r.units.map((u) => ({ ...u, source: `${path.basename(from)}/${u.source}` }));
    const problems: string[] = [];
    for (const item of readQaFile(t.qa).filter((i) => i.answerable)) {
      for (const s of item.sources) {
        if (!slackDaySource(s)) problems.push(`${item.question}: ${s} is not a day file`);
        else if (!units.some((u) => u.source === s)) problems.push(`${item.question}: no loaded message in ${s}`);
      }
      if (!units.some((u) => matches(u.source, item.sources[0]) && item.keywords.every((k) => u.text.includes(k)))) problems.push(`${item.question}: keywords not in one message of ${item.sources[0]}`);
    }
    expect(problems).toEqual([]);
  }, 60_000);
});
