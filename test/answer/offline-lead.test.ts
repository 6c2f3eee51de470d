import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { LOCAL_VIEWER } from '../../src/avatars/visibility';
import { composeOffline, leadUnits, selectExcerpts } from '../../src/answer/offline';
import { avatarSchema } from '../../src/avatars/schema';
import { fencesOnOwnLines } from '../../src/answer/passages';
import { renderAnswer as renderCard } from '../../src/adapters/lark/render';
import { toMrkdwn } from '../../src/adapters/slack/render';
import type { Chunk } from '../../src/corpus/types';
import type { SearchHit } from '../../src/retrieval/avatar-index';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

const fences = (s: string) => (s.match(/^\s*(```|~~~)/gm) ?? []).length;
const leadOf = (text: string) => text.replace(/^(This is the closest)[^\n]*\n\n/, '').split(/Quoted from /)[0].trim();

async function askOne(files: Record<string, string>, question: string) {
  const root = tmpDir();
  makeAvatar(root, 'p', files);
  const svc = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });
  try {
    await svc.ingest('p');
    return await svc.ask('p', { question, viewer: LOCAL_VIEWER, conversation: 'c', actor: 'x' });
  } finally {
    svc.close();
  }
}

/** A newsletter's how-to sentence over the example it leads into (its code quoted as `>` lines). */
const CLOUD = ['The shape of a node can even be a cloud, for cloud services.', '', '> A: start', '> A.shape: cloud', ''];
const CLOUD_QUESTION = 'How do I draw a node as a cloud shape in D2?';
/** A D2 newsletter's start, and paragraphs that say nothing of shapes, to push matches apart. */
const D2_INTRO = ['# D2 diagrams', '', 'D2 turns a text description of a diagram into a picture; each node is a box with its name inside.', ''];
const fillerParagraphs = (n: number) => Array.from({ length: n }, (_, i) => `Paragraph ${i + 1} is about the colours, fonts and page margins of the finished diagram, which the renderer picks.`);
const CLOUD_LEAD = /^The shape of a node can even be a cloud, for cloud services\. \[1\]\n> A: start\n> A\.shape: cloud$/m;

describe('what an offline answer leads with', () => {
  jest.setTimeout(60_000);

  it('leads with the sentence that holds the question\'s terms, not the paragraph that mentions them one per sentence', async () => {
    const a = await askOne(
      {
        'notes/lisbon.md': [
          '# Trip notes',
          '',
          'The Lisbon trip ran long. Our office manager liked the city. The shops open early there. When we left, it rained on the office party.',
          '',
          'The Lisbon office opens on 3 March 2027, in the Alcântara building.',
          '',
        ].join('\n'),
      },
      'When does the Lisbon office open?',
    );
    expect(a.grounded).toBe(true);
    expect(leadOf(a.text).split('\n')[0]).toBe('The Lisbon office opens on 3 March 2027, in the Alcântara building. [1]');
  });

  it('gives a short matching sentence the sentence after it, which says what it means', async () => {
    const a = await askOne(
      {
        'notes/policy.md': [
          '# Policy notes',
          '',
          'The committee settled remote work in March. From then on, everyone works from home on Fridays and the office stays shut.',
          '',
          'Parking permits are renewed every January at the front desk, and the form is online.',
          '',
        ].join('\n'),
      },
      'What did the committee settle about remote work?',
    );
    expect(a.grounded).toBe(true);
    expect(leadOf(a.text).split('\n')[0]).toBe('The committee settled remote work in March. From then on, everyone works from home on Fridays and the office stays shut. [1]');
  });

  it('shows the example a how-to sentence leads into, as a newsletter quotes its code (> lines), cited above it', async () => {
    const a = await askOne(
      {
        'weekly/d2.md': [
          '# D2 diagrams',
          '',
          'A node is a plain box by default, with its name inside.',
          '',
          '> A: start',
          '',
          ...CLOUD,
        ].join('\n'),
      },
      CLOUD_QUESTION,
    );
    expect(a.grounded).toBe(true);
    expect(leadOf(a.text)).toMatch(CLOUD_LEAD);
  });

  it('quotes the example after each sentence that leads into one, and no line twice', async () => {
    const filler = fillerParagraphs(8);
    const a = await askOne(
      {
        'weekly/d2.md': [
          ...D2_INTRO,
          ...filler.flatMap((f) => [f, '']),
          'To change the shape of a node, from a box to a circle, write it like this.',
          '',
          '> A: start',
          '> A.shape: circle',
          '',
          ...filler.slice(0, 3).flatMap((f) => [f.replace('Paragraph', 'Note'), '']),
          ...CLOUD,
        ].join('\n'),
      },
      CLOUD_QUESTION,
    );
    expect(a.grounded).toBe(true);
    const [lead, quoted = ''] = a.text.split(/Quoted from /);
    const count = (text: string, line: string) => text.split('\n').filter((l) => l.replace(/^(>\s?)+/, '').trim() === line).length;
    // The lead gives the example once, under its sentence (not again as a unit of its own).
    expect(count(lead, 'A.shape: cloud')).toBe(1);
    expect(leadOf(a.text)).toMatch(CLOUD_LEAD);
    expect(count(quoted, 'The shape of a node can even be a cloud, for cloud services.')).toBe(1);
    expect(count(quoted, 'A.shape: cloud')).toBe(1);
    // An example the quote starts at (the chunk began there) keeps the sentence that leads into it.
    expect(quoted).toMatch(/> To change the shape of a node, from a box to a circle, write it like this\.\n> \n> > A: start\n> > A\.shape: circle/);
  });

  it('quotes a code example once when its sentence and the example are both other matches', async () => {
    const a = await askOne(
      {
        'weekly/d2.md': [
          ...D2_INTRO,
          ...fillerParagraphs(9).flatMap((f) => [f, '']),
          'To draw a node as a cloud shape in D2, set the shape.',
          '',
          '```',
          'A.shape: cloud # a cloud node',
          '```',
          '',
        ].join('\n'),
      },
      CLOUD_QUESTION,
    );
    const quoted = a.text.split(/Quoted from /)[1] ?? '';
    expect(quoted.split('\n').filter((l) => l.includes('A.shape: cloud # a cloud node'))).toHaveLength(1);
  });

  it('quotes the steps a lead gives whole once, when the quote stopped halfway through them', async () => {
    const step = (n: number) => `${n}. Step ${n} of the backport: check out the branch, apply the revision, run make check-devel and commit it.`;
    const a = await askOne(
      {
        'notes/backport.md': [
          '# Backporting',
          '',
          `Backports are how a fix reaches the patched branch. ${'They are made by R Core members after a fix is tested on trunk, and only for regressions or serious bugs. '.repeat(4)}`,
          '',
          'To backport a fix to R-patched:',
          '',
          ...[1, 2, 3, 4, 5].map(step),
          '',
        ].join('\n'),
      },
      'How do I backport a fix to R-patched?',
    );
    expect(a.grounded).toBe(true);
    const quoted = a.text.split(/Quoted from /)[1] ?? '';
    const times = (line: string) => quoted.split('\n').filter((l) => l.replace(/^(>\s?)+/, '').trim() === line).length;
    expect(times('To backport a fix to R-patched:')).toBe(1);
    for (const n of [1, 2, 3]) expect(times(step(n))).toBe(1);
  });

  it('keeps the prompts (> lines) inside a code block it leads with', async () => {
    const a = await askOne(
      {
        'notes/r-language.md': [
          '# Checking translations',
          '',
          'To check which LANGUAGE the session uses, run:',
          '',
          '```r',
          '> Sys.getenv("LANGUAGE")',
          '[1] "es"',
          '```',
          '',
          'Translations are shipped with each R release and updated twice a year by the language teams.',
          '',
        ].join('\n'),
      },
      'How do I check which LANGUAGE the R session uses?',
    );
    expect(a.grounded).toBe(true);
    const lead = leadOf(a.text);
    expect(lead).toMatch(/```r\n> Sys\.getenv\("LANGUAGE"\)\n\[1\] "es"\n```/);
    expect(fences(lead) % 2).toBe(0);
  });

  it('quotes a Slack message whose code opens and closes mid-line as a closed code block, then the reply after it', async () => {
    const msg = (ts: string, text: string) => ({ type: 'message', user: 'U1', text, ts });
    const a = await askOne(
      {
        'rc/users.json': JSON.stringify([{ id: 'U1', name: 'ht', real_name: 'Heather' }]),
        'rc/channels.json': JSON.stringify([{ id: 'C1', name: 'help' }]),
        'rc/help/2021-02-08.json': JSON.stringify([
          msg('1612813075.003400', 'My session info for the translation bug:\n```R Under development (unstable)\nPlatform: x86_64-pc-linux-gnu\ncompiler_4.1.0```\nSo it seems to be a translation issue on Linux only, outside RStudio.'),
        ]),
      },
      'Is the translation issue specific to Linux?',
    );
    expect(a.grounded).toBe(true);
    expect(fences(a.text) % 2).toBe(0);
    const quote = a.citations[0].text;
    expect(fences(quote) % 2).toBe(0);
    // The first code line is code (not a fence's info string), and the reply is prose after the block.
    expect(quote).toMatch(/^```\nR Under development \(unstable\)\n[\s\S]*compiler_4\.1\.0\n```\n\nSo it seems to be a translation issue on Linux only/m);
  });
});

describe('fencesOnOwnLines', () => {
  it('moves Slack\'s mid-line fences onto lines of their own and leaves Markdown fences alone', () => {
    expect(fencesOnOwnLines('see: ```x <- 1``` then')).toBe('see:\n```\nx <- 1\n```\n then');
    expect(fencesOnOwnLines('```\ncode\n```')).toBe('```\ncode\n```');
    expect(fencesOnOwnLines('no code here')).toBe('no code here');
  });
});

describe('the quote an offline lead cites', () => {
  it('holds the lead sentence even when it sits outside the lines quoted around the best line of a long paragraph', () => {
    const filler = Array.from({ length: 24 }, (_, i) => `Line ${i + 1} of the notes is about the weather and the hotel breakfast menu.`);
    const text = [
      'Our travel budget was argued over at length in every single meeting.',
      ...filler,
      'When the dust settled, for the Lisbon',
      'offsite the travel',
      'budget is 900 euros a person, paid by the company card.',
      'Nobody had any complaints after that.',
    ].join('\n');
    const chunk: Chunk = { id: 1, source: 'notes/offsite.txt', kind: 'text', locator: 'part 1', text, visibility: 'public' };
    const hit: SearchHit = { chunk, score: 1, coverage: 1 };
    const [e] = selectExcerpts([hit], 'What is the travel budget per person for the Lisbon offsite?', []);
    const [lead] = leadUnits([e]);
    expect(lead.text).toContain('900 euros a person');
    const flat = (s: string) => s.replace(/\s+/g, ' ');
    expect(flat(e.quote)).toContain(flat(lead.text));
  });
});

describe('one source\'s quote', () => {
  const quoteOf = (text: string, question: string) => {
    const chunk: Chunk = { id: 1, source: 'notes/doc.md', kind: 'text', locator: 'part 1', text, visibility: 'public' };
    const excerpts = selectExcerpts([{ chunk, score: 1, coverage: 1 }], question, []);
    return excerpts[0].quote;
  };
  const times = (quote: string, line: string) => quote.split('\n').filter((l) => l.trim() === line).length;

  it('holds a code example once when its sentence and the example are both other matches', () => {
    const text = [...D2_INTRO, ...fillerParagraphs(9).flatMap((f) => [f, '']), 'To draw a node as a cloud shape in D2, set the shape.', '', '```', 'A.shape: cloud # a cloud node', '```', ''].join('\n');
    expect(times(quoteOf(text, CLOUD_QUESTION), 'A.shape: cloud # a cloud node')).toBe(1);
  });

  it('holds the steps a lead gives whole once, when it stopped halfway through them', () => {
    const step = (n: number) => `${n}. Step ${n} of the backport: check out the branch, apply the revision, run make check-devel and commit it.`;
    const intro = `Backports are how a fix reaches the patched branch. ${'They are made by R Core members after a fix is tested on trunk, and only for regressions or serious bugs. '.repeat(4)}`;
    const text = ['# Backporting', '', intro, '', 'To backport a fix to R-patched:', '', ...[1, 2, 3, 4, 5].map(step), ''].join('\n');
    const quote = quoteOf(text, 'How do I backport a fix to R-patched?');
    expect(times(quote, 'To backport a fix to R-patched:')).toBe(1);
    for (const n of [1, 2, 3, 4, 5]) expect(times(quote, step(n))).toBe(1);
  });
});

describe('which sentences of a source lead', () => {
  it('discounts the terms of the source\'s title, which it is about all through, and leads with the sentence on what was asked', () => {
    const text = [
      'Kai-Fu Lee wrote two books for the general public about what these words mean.',
      '',
      'Machine learning gives the computer material and lets it find the rules itself.',
      '',
      'A transformer reads the whole input at once and gives every word its own weight.',
    ].join('\n');
    const chunk: Chunk = { id: 1, source: 'weekly/issue-330.md', kind: 'text', locator: 'part 1', text, title: 'Kai-Fu Lee sorts out AI', visibility: 'public' };
    const hit: SearchHit = { chunk, score: 1, coverage: 1 };
    const [lead] = leadUnits(selectExcerpts([hit], 'How does Kai-Fu Lee explain the transformer?', []));
    expect(lead.text).toBe('A transformer reads the whole input at once and gives every word its own weight.');
  });
});

describe('a question that quotes a phrase', () => {
  const essay = ['## 一切都要支付两次', '', '有人说，借来的书才会读完，买来的书总是放着。', '', '他提出，人们买书却不读，是因为没有意识到每样东西都需要两次支付。', '', '第二次支付是你的时间和努力，往往比第一次贵。'].join('\n');
  const other = ['李老师用通俗的语言解释，这些词到底是什么意思？', '', '我觉得这些介绍对理解 AI 很有启发。'].join('\n');
  const chunks: Chunk[] = [
    { id: 1, source: 'weekly/issue-333.md', kind: 'text', locator: 'part 1', text: essay, title: '周刊（第 333 期）：一切都要支付两次', visibility: 'public' },
    { id: 2, source: 'weekly/issue-330.md', kind: 'text', locator: 'part 1', text: other, title: '周刊（第 330 期）：李老师梳理人工智能', visibility: 'public' },
  ];
  const hits: SearchHit[] = chunks.map((chunk, i) => ({ chunk, score: 1 - 0.1 * i, coverage: 1 - 0.5 * i }));

  it('is about the phrase: the source whose title names it leads with the sentence on it, not another that asks "what it means"', () => {
    const units = leadUnits(selectExcerpts(hits, '“一切都要支付两次”是什么意思？', []));
    expect(units[0]).toMatchObject({ n: 1, text: expect.stringContaining('两次支付') });
    expect(units.map((u) => u.text).join('\n')).not.toMatch(/什么意思|它的意思/);
  });
});

describe('what is no answer on its own', () => {
  it('never leads with a picture alone, whose only words are its alt text and file name', () => {
    const text = ['![canary rollout chart](https://cdn.example.com/canary-rollout-chart.webp)', '', 'The chart shows errors rising at 25% before the rollout stopped.'].join('\n');
    const chunk: Chunk = { id: 1, source: 'weekly/issue-1.md', kind: 'text', locator: 'part 1', text, visibility: 'public' };
    const units = leadUnits(selectExcerpts([{ chunk, score: 1, coverage: 1 }], 'What does the canary rollout chart show?', []));
    expect(units.map((u) => u.text)).toEqual(['The chart shows errors rising at 25% before the rollout stopped.']);
  });
});

describe('a cheat sheet laid out by hand', () => {
  it('leads with its commands as a code block, lines kept, and an essay\'s hanging indent stays prose', () => {
    const sheet = [
      'PGBOUNCER NOTES',
      '',
      'LONG TRANSACTIONS (run on primary)',
      '  SELECT pid, state, now() - xact_start AS xact_age',
      '  FROM pg_stat_activity',
      '  ORDER BY xact_age DESC;',
    ].join('\n');
    const chunk: Chunk = { id: 1, source: 'notes/cheatsheet.txt', kind: 'text', locator: 'part 1', text: sheet, visibility: 'public' };
    const [lead] = leadUnits(selectExcerpts([{ chunk, score: 1, coverage: 1 }], 'How do I find long transactions with pg_stat_activity?', []));
    expect(lead.text).toBe('```\nLONG TRANSACTIONS (run on primary)\n  SELECT pid, state, now() - xact_start AS xact_age\n  FROM pg_stat_activity\n  ORDER BY xact_age DESC;\n```');
    const essay = ['The organic route: as you become more eminent, gradually to', '  increase the parts of your job that you like at the expense of', '  those you don\'t.'].join('\n');
    const prose: Chunk = { id: 2, source: 'essays/love.txt', kind: 'text', locator: 'part 1', text: essay, visibility: 'public' };
    const [p] = leadUnits(selectExcerpts([{ chunk: prose, score: 1, coverage: 1 }], 'What is the organic route?', []));
    expect(p.text).not.toContain('```');
  });
});

describe('an essay scraped as plain text', () => {
  jest.setTimeout(60_000);

  it('shows its glued sentences apart and drops its footnote markers, so the only [n] in the answer are its citations', async () => {
    const essay = [
      'The Acceleration of Addictiveness',
      '',
      'When I was a kid most people smoked, and so did my parents.  You had to for guests.As knowledge',
      'spread about the dangers of smoking, customs changed. [2]Smoking went from normal to shunned.',
      'Most of the change happened within one generation.[3] Nobody planned it.',
      '',
      'Notes[1] The same happened to drinking and driving.',
    ].join('\n');
    const a = await askOne({ 'essays/addiction.txt': essay }, 'How did customs about smoking change as knowledge of its dangers spread?');
    expect(a.grounded).toBe(true);
    const lead = leadOf(a.text);
    expect(lead.split('\n')[0]).toBe('As knowledge spread about the dangers of smoking, customs changed. Smoking went from normal to shunned. [1]');
    expect(a.text).not.toMatch(/[a-z][.?!][A-Z]/);
    // Every [n] left is a citation: after the lead or heading a quoted source, never in quoted text.
    expect([...a.text.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])).every((n) => n <= a.citations.length)).toBe(true);
    expect(a.text.split('\n').filter((l) => l.startsWith('>')).join('\n')).not.toMatch(/\[\d+\]/);
    expect(a.citations.map((c) => c.text).join('\n')).not.toMatch(/\[\d+\]/);
  });
});

describe('a Slack message written as a list', () => {
  jest.setTimeout(60_000);

  it('reads its • lines as list items: the lead takes the steps, and every surface shows a list', async () => {
    const msg = (ts: string, text: string) => ({ type: 'message', user: 'U1', text, ts });
    const a = await askOne(
      {
        'rc/users.json': JSON.stringify([{ id: 'U1', name: 'ht', real_name: 'Heather' }]),
        'rc/channels.json': JSON.stringify([{ id: 'C1', name: 'help' }]),
        'rc/help/2024-03-13.json': JSON.stringify([
          msg(
            '1710331200.000100',
            'To backport a fix to R-patched:\n• open the backport pull request against the patched branch\n• ask in the help channel for a reviewer of the backport\n    ◦ name the trunk revision it comes from\n• after the merge, add the backport to the NEWS entry',
          ),
        ]),
      },
      'How do I backport a fix to R-patched?',
    );
    expect(a.grounded).toBe(true);
    const lead = leadOf(a.text);
    // The sentence that promises the steps leads with them, each on its own line as a Markdown item.
    expect(lead).toBe(
      [
        'To backport a fix to R-patched:',
        '- open the backport pull request against the patched branch',
        '- ask in the help channel for a reviewer of the backport',
        '    - name the trunk revision it comes from',
        '- after the merge, add the backport to the NEWS entry [1]',
      ].join('\n'),
    );
    expect(a.citations[0].text).toContain('\n\n- open the backport pull request against the patched branch\n- ask in the help channel for a reviewer of the backport\n    - name the trunk revision it comes from\n- after the merge');
    // Slack's mrkdwn has no lists: bullets, in the lead and in the quote; Feishu's card markdown keeps the items.
    const slack = toMrkdwn(a.text);
    expect(slack).toMatch(/^• open the backport pull request against the patched branch$/m);
    expect(slack).toMatch(/^> • ask in the help channel for a reviewer of the backport$/m);
    expect(slack).toMatch(/^> {5}◦ name the trunk revision it comes from$/m);
    const card = JSON.stringify(renderCard({ ...a, avatar: 'p' }, 'c'));
    expect(card).toContain('\\n- open the backport pull request against the patched branch\\n- ask in the help channel');
  });
});

describe('sources retrieval found past the pool', () => {
  it('quotes one briefly, by its best unit, when it holds a word of the question no quoted source holds, and leaves the others out', () => {
    const chunk = (id: number, source: string, text: string): SearchHit => ({ chunk: { id, source, kind: 'slack', locator: `17000000${id}.0001`, text, visibility: 'public' }, score: 1, coverage: 1 });
    const best = chunk(1, 'rc/bug-reporting/2022-01-01', 'package_dependencies links to the packages.rds file on CRAN, which sometimes lists a package twice with different R versions.');
    const answers = chunk(2, 'rc/bug-reporting/2022-01-11', 'It seems that the packages.rds file is generated via write_PACKAGES in the tools package.');
    const repeats = chunk(3, 'rc/bug-reporting/2022-01-12', 'The packages.rds file on CRAN lists packages with their versions.');
    const excerpts = selectExcerpts([best], 'How is the packages.rds file on CRAN generated?', [], undefined, [repeats, answers]);
    expect(excerpts.map((e) => e.hit.chunk.id)).toEqual([1, 2]);
    expect(excerpts[1].quote).toBe('It seems that the packages.rds file is generated via write_PACKAGES in the tools package.');
    // It never leads: the pool's sources answer first.
    expect(leadUnits(excerpts).every((u) => u.n === 1)).toBe(true);
  });
});

describe('a sentence that introduces a table', () => {
  const config = avatarSchema.parse({ slug: 'lz', handle: 'lz', display_name: 'Lao Zhang', person: { name: 'Lao Zhang', status: 'active' } });

  it('leads with the table it promises, the citation on the sentence so the last row stays a row', () => {
    const text = [
      '## Release with canary',
      '',
      'The Rollout walks these canary steps on its own:',
      '',
      '| Step | Traffic to new version | Pause |',
      '|------|------------------------|-------|',
      '| 1 | 5% | 10 min |',
      '| 2 | 25% | 15 min |',
      '| 3 | 100% | — |',
      '',
      'A full rollout takes about 45 minutes.',
    ].join('\n');
    const chunk: Chunk = { id: 1, source: 'runbooks/deploy.md', kind: 'markdown', locator: 'L1-L11', text, visibility: 'public' };
    const lead = composeOffline(config, selectExcerpts([{ chunk, score: 1, coverage: 1 }], 'Which canary steps does the Rollout walk?', []), 'en').split('\n\nQuoted from')[0];
    expect(lead).toBe(
      'The Rollout walks these canary steps on its own: [1]\n| Step | Traffic to new version | Pause |\n|------|------------------------|-------|\n| 1 | 5% | 10 min |\n| 2 | 25% | 15 min |\n| 3 | 100% | — |',
    );
  });
});

describe('a question that asks a quantity', () => {
  const config = avatarSchema.parse({ slug: 'pa', handle: 'pa', display_name: 'Phillip', person: { name: 'Phillip', status: 'active' } });
  const leadFor = (source: string, text: string, question: string): string => {
    const chunk: Chunk = { id: 1, source, kind: 'markdown', locator: `L1-L${text.split('\n').length}`, text, visibility: 'public' };
    return composeOffline(config, selectExcerpts([{ chunk, score: 1, coverage: 1 }], question, []), 'en').split('\n\nQuoted from')[0];
  };

  it('leads with the sentence that holds the measured thing beside a number, not one that only names it more often', () => {
    const text = [
      '# Notes',
      '',
      'The summer program read applications from students of every year.',
      '',
      // A number without the measured thing is no answer.
      'The first summer program opened in 2005 in Cambridge.',
      '',
      'The program got 225 applications in its first week.',
    ].join('\n');
    expect(leadFor('notes/program.md', text, 'How many applications did the summer program get?').split('\n')[0]).toBe('The program got 225 applications in its first week. [1]');
  });

  it('leads with the sum for a size asked of money ("how big was the difference in payout")', () => {
    const text = [
      '# Deferral plan',
      '',
      'The administrators read the payout sections as a hybrid, which gives each participant the lowest possible payout.',
      '',
      'Under Section 7.1 the payout would be $161,746, against $548,658 under Section 6.3.',
    ].join('\n');
    expect(leadFor('mail/plan.md', text, 'How big was the difference in payout between the readings of the sections?').split('\n')[0]).toBe(
      'Under Section 7.1 the payout would be $161,746, against $548,658 under Section 6.3. [1]',
    );
  });
});

describe('a question that quotes a phrase', () => {
  const config = avatarSchema.parse({ slug: 'lr', handle: 'lr', display_name: 'Lluis', person: { name: 'Lluis', status: 'active' } });

  it('leads with the unit that holds the quoted phrase word for word (the error in a build log), not the one that says most about the build', () => {
    const text = [
      'I wanted to build R from the git repo to check the failing build locally, but make does not build it from the git repo.',
      '',
      '```',
      '$ make -j4',
      'ERROR: not an svn checkout',
      'make: *** [Makefile:107: svnonly] Error 1',
      '```',
    ].join('\n');
    const chunk: Chunk = { id: 1, source: 'slack/work-out-loud/2026-02-01', kind: 'markdown', locator: 'L1-L7', text, visibility: 'public' };
    const lead = composeOffline(config, selectExcerpts([{ chunk, score: 1, coverage: 1 }], "Why does make fail with 'not an svn checkout' when building R from the git repo?", []), 'en').split('\n\nQuoted from')[0];
    expect(lead.split('\n\n')[0]).toContain('ERROR: not an svn checkout');
  });
});

describe('a question in other forms of the source\'s words', () => {
  it('matches "changing" with "change" (the light stemmer keeps the final e of one and not the other)', () => {
    const config = avatarSchema.parse({ slug: 'pg', handle: 'pg', display_name: 'Paul', person: { name: 'Paul', status: 'active' } });
    const text = ['# Notes', '', 'Most people have habits they would rather not have.', '', 'You can change a habit one small step at a time.', '', 'People who keep a diary notice their days better.'].join('\n');
    const chunk: Chunk = { id: 1, source: 'essays/habits.md', kind: 'markdown', locator: 'L1-L7', text, visibility: 'public' };
    const lead = composeOffline(config, selectExcerpts([{ chunk, score: 1, coverage: 1 }], 'How do people go about changing their habits?', []), 'en').split('\n\nQuoted from')[0];
    expect(lead.split('\n\n')[0]).toBe('You can change a habit one small step at a time. [1]');
  });
});
