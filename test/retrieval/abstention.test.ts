import path from 'node:path';
import { AvatarService } from '../../src/app/avatar-service';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { makeAvatar, tmpDir } from '../helpers/fixtures';
import { MODEL_FEATURES } from '../../src/eval/fit-abstention';
import { readQaFile } from '../../src/eval/qa';
import { ABSTENTION, decide, FEATURES, namedTerms, relevanceOf } from '../../src/retrieval/abstention';
import { demoService } from '../answer/demo';
import { signalsWith } from '../helpers/abstention-signals';

const base = signalsWith();

describe('abstention model', () => {
  it('declines below the decline point, hedges in the middle band, answers plainly above', () => {
    expect(decide(ABSTENTION.decline - 0.01)).toEqual({ grounded: false, confidence: 'low' });
    expect(decide((ABSTENTION.decline + ABSTENTION.high) / 2)).toEqual({ grounded: true, confidence: 'low' });
    expect(decide(ABSTENTION.high)).toEqual({ grounded: true, confidence: 'high' });
  });

  it('answers plainly when the best chunk holds the whole question', () => {
    const strong = relevanceOf({ ...base, coverage: 1, rareCoverage: 1, contentCoverage: 1, presentCoverage: 1, margin: 0.6, strength: 0.8 });
    expect(decide(strong)).toEqual({ grounded: true, confidence: 'high' });
  });

  it('declines when nothing of the question is in any hit, whatever else the signals say', () => {
    const r = relevanceOf({ ...base, coverage: 0, rareCoverage: 0, contentCoverage: 0, presentCoverage: 0, presentShare: 0, missing: 1, margin: 1 });
    expect(r).toBe(0);
    expect(decide(r).grounded).toBe(false);
  });

  it('rates a near miss lower: a named term of the question is in no top hit, lower still when the corpus lacks it', () => {
    const whole = relevanceOf({ ...base, presentCoverage: 0.8, presentShare: 1 });
    const nearMiss = relevanceOf({ ...base, presentCoverage: 0.8, presentShare: 0.6, missing: 0.4, namedFound: 0 });
    const named = relevanceOf({ ...base, presentCoverage: 0.8, presentShare: 0.6, missing: 0.4, namedFound: 0, namedMissing: 1 });
    expect(nearMiss).toBeLessThan(whole);
    expect(named).toBeLessThan(nearMiss);
  });

  it('ships a weight for every feature the fit chose (MODEL_FEATURES) and none other', () => {
    expect(Object.keys(ABSTENTION.weights).sort()).toEqual([...MODEL_FEATURES].sort());
    for (const k of MODEL_FEATURES) expect(FEATURES).toContain(k);
    expect(ABSTENTION.decline).toBeLessThan(ABSTENTION.high);
  });
});

describe('namedTerms', () => {
  it('leaves out months and weekdays: a chat message is dated by its day, not by the month named in it', () => {
    expect([...namedTerms('How many sandwiches did you order for the August meetup on Tuesday?')]).toEqual([]);
    expect([...namedTerms('What did you present at the Sept. meetup with Mapbox?')]).toEqual(['mapbox']);
  });

  it('takes capitalised words inside an English sentence, words with digits and several capitals, not the first word', () => {
    const t = namedTerms('Which GraphQL schema does billing-gateway expose to the Mobile app in 2026?');
    expect([...t]).toEqual(expect.arrayContaining(['graphql', 'mobile', '2026']));
    expect(t.has('which')).toBe(false);
    expect(t.has('schema')).toBe(false);
    expect(namedTerms('How do I enable Apple Pay? Refunds take long.').has('refund')).toBe(false);
  });

  it('takes every Latin word of a Chinese question', () => {
    expect([...namedTerms('阮一峰对 GPT-5 有什么评价？')]).toEqual(expect.arrayContaining(['gpt', 'gpt-5']));
    expect([...namedTerms('redis-payments 集群容量不够的时候怎么扩容？')]).toEqual(expect.arrayContaining(['redis', 'redis-payments']));
  });

  it('leaves out people the asker mentions (a Feishu post "cc @Tom" was declined for the name)', () => {
    expect([...namedTerms('how do I roll back billing-gateway? cc @Tom')]).toEqual([]);
    expect([...namedTerms('回滚 billing-gateway 怎么做？@Tom')]).toEqual(expect.arrayContaining(['billing-gateway']));
    expect(namedTerms('回滚 billing-gateway 怎么做？@Tom').has('tom')).toBe(false);
  });
});

/**
 * The demo avatar on its own dev QA set, offline (no semantic layer, as in the test runs): the
 * near-miss unanswerable questions are declined at about the dev rate while the answerable ones
 * are answered at the dev rate (with the semantic layer, eval-all: 8 of the 27 near misses).
 */
describe('the demo avatar declines near misses and off-topic questions', () => {
  jest.setTimeout(60_000);
  let svc: AvatarService;
  beforeAll(async () => {
    svc = await demoService(['lao-zhang']);
  });
  afterAll(() => svc.close());

  it('declines at least a quarter of the near-miss questions of eval/qa/lao-zhang.jsonl (27 since the near misses were doubled; 8 declined) with false abstention at most 15%', async () => {
    const index = svc.index('lao-zhang');
    const items = readQaFile(path.join(__dirname, '..', '..', 'eval', 'qa', 'lao-zhang.jsonl'));
    const declined: string[] = [];
    let falseAbstentions = 0;
    for (const item of items) {
      const r = await index.search(item.question, { k: 5 });
      if (!item.answerable && !r.grounded) declined.push(item.question);
      if (item.answerable && !r.grounded) falseAbstentions++;
    }
    const unanswerable = items.filter((i) => !i.answerable).length;
    expect(declined.length / unanswerable).toBeGreaterThanOrEqual(1 / 4);
    expect(falseAbstentions / items.filter((i) => i.answerable).length).toBeLessThanOrEqual(0.15);
    // Named things the corpus never mentions.
    expect(declined).toEqual(expect.arrayContaining(['Which GraphQL schema does billing-gateway expose to the mobile app?', 'How do I enable Apple Pay for international buyers?']));
  });

  it('declines questions about nothing in the corpus, in both languages', async () => {
    const index = svc.index('lao-zhang');
    for (const q of ['How do I make a good espresso?', 'Who won the Tour de France last year?', '怎么做番茄炒蛋？', '上海有什么好吃的？']) {
      const r = await index.search(q, { k: 5 });
      expect({ q, grounded: r.grounded }).toEqual({ q, grounded: false });
    }
  });
});

/** A Slack export of one member: each message is keyed by its channel's day file. */
function chatExport(days: Record<string, string>): Record<string, string> {
  const files: Record<string, string> = {
    'houston/users.json': JSON.stringify([{ id: 'U1', name: 'micah', real_name: 'Micah' }]),
    'houston/channels.json': JSON.stringify([...new Set(Object.keys(days).map((d) => d.split('/')[0]))].map((name, i) => ({ id: `C${i}`, name }))),
  };
  for (const [day, text] of Object.entries(days)) {
    const ts = `${Date.parse(day.split('/')[1]) / 1000}.000100`;
    files[`houston/${day}.json`] = JSON.stringify([{ type: 'message', user: 'U1', text, ts }]);
  }
  return files;
}

describe('a chat avatar asked about the month of a meetup', () => {
  it('answers "the August meetup" from the message of that day (the month was a named term the messages lack, and declined)', async () => {
    const root = tmpDir('abstention-chat-');
    makeAvatar(
      root,
      'micah',
      chatExport({
        'meetups/2015-08-04': "Ordered 40 sandwiches from Cali Sandwich for next week's meetup at Tx/Rx, drinks too.",
        'meetups/2015-07-10': 'Slides from the talk on d3 force layouts are up on the wiki.',
        'datasets/2015-06-09': 'The city payroll data is on the open data portal, updated monthly.',
        'general/2015-09-01': 'Next data jam is on the 26th, bring a laptop and a dataset.',
      }),
    );
    const svc = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store: new SqliteStateStore(':memory:') });
    try {
      await svc.ingest('micah');
      const r = await svc.index('micah').search('How many sandwiches did you order for the August meetup?', { k: 5 });
      expect(r.hits[0]?.chunk.source).toBe('houston/meetups/2015-08-04');
      expect(r.grounded).toBe(true);
    } finally {
      svc.close();
    }
  });
});
