import { FakeListChatModel } from '@langchain/core/utils/testing';
import { allCites, assertCitesValid, assertRenderedLinks, linksIn } from '../../src/summarize/links';
import type { HistoryMessage } from '../../src/summarize/message';
import { renderSummary } from '../../src/summarize/render';
import { summarize } from '../../src/summarize/summarize';
import { chineseChannel, englishChannel, msg, WS } from './history-fixtures';

/** Every link a summary shows is the permalink of a message that was fetched. */
function expectAllLinksResolve(text: string, messages: HistoryMessage[]): void {
  const permalinks = new Set(messages.map((m) => m.link));
  const links = linksIn(text);
  expect(links.length).toBeGreaterThan(0);
  for (const l of links) expect(permalinks).toContain(l);
}

describe('offline summary', () => {
  it('has an overview, topics with 1-3 links, decisions, actions, open questions and participants, every link a fetched message', async () => {
    const messages = englishChannel();
    const s = await summarize(messages, { channelName: 'eng' });
    expect(s.lang).toBe('en');
    expect(s.overview.length).toBeGreaterThanOrEqual(2);
    expect(s.overview.length).toBeLessThanOrEqual(4);
    expect(s.topics.length).toBeGreaterThan(0);
    for (const t of s.topics) {
      expect(t.cites.length).toBeGreaterThanOrEqual(1);
      expect(t.cites.length).toBeLessThanOrEqual(3);
    }
    expect(s.decisions.map((d) => d.what)).toEqual(['We decided to ship v2.15 on Thursday with the 5% canary.', "Let's go with killing the migration and rerunning it tonight."]);
    expect(s.decisions[0]).toMatchObject({ who: 'alice' });
    expect(s.actions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ owner: 'bob', due: 'Wednesday' }),
        expect.objectContaining({ owner: 'alice', task: expect.stringMatching(/announce the release window/) }),
      ]),
    );
    expect(s.questions.map((q) => q.who)).toEqual(['heidi']);
    expect(s.participants[0]).toMatchObject({ name: 'alice', messages: 2 });
    assertCitesValid(s, messages);
    const text = renderSummary(s);
    expectAllLinksResolve(text, messages);
    expect(text).toMatch(/\*\*Decisions\*\*/);
  });

  it('represents the busiest threads in the topics', async () => {
    const messages = englishChannel();
    const s = await summarize(messages);
    const cited = new Set(allCites(s).map((c) => messages.find((m) => m.id === c.id)?.threadId ?? c.id));
    expect(cited).toContain(messages[0].id);
    expect(cited).toContain(messages[6].id);
  });

  it('writes a Chinese channel in Chinese, with its decision, owners and due dates', async () => {
    const messages = chineseChannel();
    const s = await summarize(messages, { channelName: '运维' });
    expect(s.lang).toBe('zh');
    expect(s.overview[0]).toMatch(/共有 \d+ 人发了 7 条消息/);
    expect(s.decisions.map((d) => d.what)).toEqual(['那就这么定了：订单服务扩到 60 个副本，数据库加两个只读实例。']);
    expect(s.actions).toEqual(
      expect.arrayContaining([expect.objectContaining({ owner: '王五', due: '周五' }), expect.objectContaining({ owner: '赵六', due: '11月5日' })]),
    );
    expect(s.questions.map((q) => q.question)).toEqual(['压测环境的数据要不要脱敏？']);
    const text = renderSummary(s);
    expect(text).toMatch(/\*\*决定\*\*/);
    expect(text).toMatch(/\*\*未回答的问题\*\*/);
    expectAllLinksResolve(text, messages);
  });

  it('says nothing was said for an empty range, in the asked language', async () => {
    expect((await summarize([])).overview).toEqual(['Nothing was said in this range.']);
    expect((await summarize([], { lang: 'zh' })).overview).toEqual(['这段时间里没有人发言。']);
    const text = renderSummary(await summarize([msg(0, 'a', '   ')]));
    expect(text).toMatch(/Nothing was said/);
    expect(linksIn(text)).toEqual([]);
  });

  it('covers the whole range it is given, however long (offline map-reduce over windows), and says what it covered', async () => {
    // Two years, one subject a quarter: the summary must reach back to the first, not keep the last 90 days.
    const subjects = ['build farm migration to the new datacenter', 'billing gateway canary releases', 'ledger database vacuum tuning', 'partner API rate limits', 'search index rebuild schedule', 'mobile app crash reporting', 'payroll export to the new bank', 'onboarding docs for the data team'];
    const history: HistoryMessage[] = [];
    subjects.forEach((subject, q) => {
      for (let k = 0; k < 40; k++) {
        const minute = (q * 91 + Math.floor(k / 4)) * 24 * 60 + k * 7;
        history.push(msg(minute, `u${(q + k) % 6}`, `${k % 4 === 0 ? 'Status of the' : 'More on the'} ${subject}: item ${k} is done and checked.`));
      }
    });
    const s = await summarize(history);
    expect(s.messageCount).toBe(history.length);
    expect(s.from).toBe(history[0].ts);
    expect(s.to).toBe(history[history.length - 1].ts);
    expect(s.notes.join(' ')).not.toMatch(/left out/);
    expect(s.notes.join(' ')).toMatch(/^Covers 320 messages from 6 May 2024 to \d+ \w+ 2026, summarised in \d+ windows/);
    // Topics and cites come from the early quarters as well as the late ones.
    const cited = allCites(s).map((c) => c.ts);
    expect(Math.min(...cited)).toBeLessThan(history[0].ts + 200 * 24 * 60 * 60_000);
    expect(Math.max(...cited)).toBeGreaterThan(history[history.length - 1].ts - 200 * 24 * 60 * 60_000);
    assertCitesValid(s, history);
    expect(renderSummary(s)).toMatch(/Covers 320 messages/);
    // An explicit cap still works, and says so.
    const capped = await summarize(history, { maxDays: 90 });
    expect(capped.notes.join(' ')).toMatch(/more than 90 days.*earlier messages are left out/);
  });

  it('treats a question answered later in its thread as answered', async () => {
    const q = msg(0, 'alice', 'Is the staging cluster down for everyone?', { replies: 1 });
    const a = msg(2, 'bob', 'Yes, the nodes are being replaced.', { thread: 0 });
    expect((await summarize([q, a])).questions).toEqual([]);
    expect((await summarize([q])).questions).toEqual([]); // replies exist outside the range
    expect((await summarize([{ ...q, replyCount: 0, threadId: undefined }])).questions).toHaveLength(1);
  });

  it('refuses a summary whose cite is not a fetched message or carries another link', async () => {
    const messages = englishChannel();
    const s = await summarize(messages);
    s.decisions[0].cite = { ...s.decisions[0].cite, link: `${WS}/archives/C1/p1` };
    expect(() => assertCitesValid(s, messages)).toThrow(/not its permalink/);
    s.decisions[0].cite = { ...s.decisions[0].cite, id: '1.1' };
    expect(() => assertCitesValid(s, messages)).toThrow(/not in the fetched range/);
    expect(() => assertRenderedLinks(`see ${WS}/archives/C9/p123`, messages)).toThrow(/not permalinks of fetched messages/);
  });

  it('summarises 10k messages offline in a few seconds', async () => {
    const words = ['deploy', 'rollback', 'canary', 'ledger', 'webhook', 'queue', 'migration', 'dashboard', 'alert', 'pricing'];
    const many: HistoryMessage[] = [];
    for (let i = 0; i < 10_000; i++) many.push(msg(i, `u${i % 40}`, `${words[i % 10]} ${words[(i * 7) % 10]} update number ${i}: the ${words[(i * 3) % 10]} looks fine`, i % 10 === 0 ? { replies: 3 } : i % 10 < 4 ? { thread: i - (i % 10) } : {}));
    const t = Date.now();
    const s = await summarize(many);
    expect(Date.now() - t).toBeLessThan(10_000);
    assertCitesValid(s, many);
  });
});

describe('open questions and topic titles', () => {
  it('lists a question once however often it is asked, and drops questions answered later in the thread', async () => {
    const again = [0, 30, 60, 90, 120, 150].map((minute) => msg(minute, 'ivan', 'Does anyone know where the staging VPN config lives now?'));
    const q = msg(200, 'judy', 'Who can review the ledger schema change before Friday?', { replies: 1 });
    const answer = msg(5000, 'ken', 'I can, send it over.', { thread: 200 });
    const s = await summarize([...again, q, answer, msg(6000, 'leo', 'Deploy finished for the billing gateway.')]);
    expect(s.questions.map((x) => x.question)).toEqual(['Does anyone know where the staging VPN config lives now?']);
  });

  it('keeps the model path free of repeats and of questions a later window answers', async () => {
    const q = msg(0, 'judy', 'Who can review the ledger schema change before Friday?', { replies: 1 });
    const filler = Array.from({ length: 200 }, (_, i) => msg(10 + i, `u${i % 5}`, `Routine deploy note ${i} for the billing gateway, nothing to see.`));
    const answer = msg(400, 'ken', 'I can review it tomorrow morning.', { thread: 0 });
    const dup = msg(500, 'ivan', 'Does anyone know where the staging VPN config lives now?');
    const history = [q, ...filler, answer, dup];
    // Every window (and the merge) reports both questions: the model sees only its window.
    const idOf = (m: HistoryMessage): string => `m${history.indexOf(m) + 1}`;
    const part = JSON.stringify({ overview: ['Deploy notes.', 'Reviews.'], topics: [{ title: 'Deploy notes', summary: 'Routine.', ids: [idOf(filler[0])] }], decisions: [], actions: [], questions: [{ who: 'judy', question: 'Who can review the ledger schema change before Friday?', id: idOf(q) }, { who: 'ivan', question: 'Where is the staging VPN config?', id: idOf(dup) }, { who: 'ivan', question: 'Does anyone know where the staging VPN config lives now?', id: idOf(dup) }] });
    const model = new FakeListChatModel({ responses: [part] });
    const s = await summarize(history, { model });
    expect(s.model).not.toBe('offline-extractive');
    expect(s.questions.map((x) => x.cite.id)).toEqual([dup.id]);
  });

  it('titles topics with short phrases, not lists of words', async () => {
    const s = await summarize(englishChannel());
    for (const t of s.topics) {
      expect(t.title).not.toMatch(/ · |、/);
      expect(t.title.split(/\s+/).length).toBeLessThanOrEqual(5);
    }
    const filler = [msg(0, 'sam', 'so, uh, sorta following up on my intro post, who would I contact about helping out with rtools?'), msg(3, 'tom', 'uh, for rtools help ask in the rtools channel, sorta the usual place.')];
    const f = await summarize(filler);
    for (const t of f.topics) expect(t.title).not.toMatch(/\b(uh|sorta)\b/i);
  });
});

describe('summary with a model (map-reduce)', () => {
  it('keeps only ids of fetched messages through map and reduce and scrubs links the model writes', async () => {
    const messages = englishChannel();
    const m = (i: number): string => `m${i}`;
    const model = new FakeListChatModel({
      responses: [
        JSON.stringify({
          overview: ['The team planned the v2.15 release and handled a ledger incident (see https://evil.example.com/x).', 'Lunch was tacos.'],
          topics: [
            { title: 'v2.15 release', summary: 'Canary plan agreed [m4].', ids: [m(1), m(4), 'm999'] },
            { title: 'Invented', summary: 'Not real.', ids: ['m404'] },
          ],
          decisions: [{ who: 'alice', what: 'Ship v2.15 on Thursday', id: m(4) }, { who: 'x', what: 'made up', id: 'm77' }],
          actions: [{ owner: 'bob', task: 'Update the rollback runbook', due: 'Wednesday', id: m(5) }],
          questions: [{ who: 'heidi', question: 'Who owns the partner API rota?', id: m(13) }],
        }),
      ],
    });
    const s = await summarize(messages, { model, channelName: 'eng' });
    expect(s.model).not.toBe('offline-extractive');
    expect(s.topics.map((t) => t.title)).toEqual(['v2.15 release']);
    expect(s.topics[0].cites.map((c) => c.id)).toEqual([messages[0].id, messages[3].id]);
    expect(s.topics[0].summary).toBe('Canary plan agreed.');
    expect(s.decisions).toHaveLength(1);
    expect(s.overview.join(' ')).not.toMatch(/evil\.example\.com\/x/);
    const text = renderSummary(s);
    expectAllLinksResolve(text, messages);
    assertCitesValid(s, messages);
  });

  it('falls back to the offline extract for a window the model answers with no JSON', async () => {
    const messages = englishChannel();
    const model = new FakeListChatModel({ responses: ['Sorry, I cannot help with that.'] });
    const s = await summarize(messages, { model });
    expect(s.notes.join(' ')).toMatch(/could not summarise 1 of 1 windows/);
    expect(s.decisions.length).toBeGreaterThan(0);
    expectAllLinksResolve(renderSummary(s), messages);
  });
});
