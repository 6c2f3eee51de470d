import type { AvatarService } from '../../src/app/avatar-service';
import type { Viewer } from '../../src/avatars/visibility';
import { createChatModel } from '../../src/answer/llm';
import { isReferential } from '../../src/answer/follow-up';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai';
import { demoService } from './demo';

const DM: Viewer = { platform: 'slack', surface: 'dm', userId: 'U_FOLLOW' };

let n = 0;
async function conversation(svc: AvatarService, slug: string, questions: string[]) {
  const c = `follow-${n++}`;
  const out = [];
  for (const q of questions) out.push(await svc.ask(slug, { question: q, viewer: DM, conversation: c, actor: 'slack:U_FOLLOW' }));
  return out;
}
const sources = (a: { citations: { source: string }[] }) => a.citations.map((c) => c.source);

describe('follow-up questions', () => {
  jest.setTimeout(60_000);
  let svc: AvatarService;
  beforeAll(async () => {
    svc = await demoService(['lao-zhang', 'lin-xiaoyu']);
  });
  afterAll(() => svc.close());

  it('tells referential follow-ups from new questions, in both languages', () => {
    for (const q of ['and what if the migration already ran?', 'And the credential rotation?', 'what about it?', 'that one', 'Is it safe?', 'and in the first year?', '那回滚之后呢？', '那个呢？', '它多久跑一次？', '如果失败了呢'])
      expect([q, isReferential(q)]).toEqual([q, true]);
    for (const q of ["What's the weather in Paris tomorrow?", '发票 2.0 什么时候上线？', 'How do I rotate the billing DB credentials?', 'Who is on call?', '今天中午吃什么？', 'What is the PLUS price?'])
      expect([q, isReferential(q)]).toEqual([q, false]);
  });

  it('searches an unrelated short English question on its own (no credential runbook for the weather)', async () => {
    const [first, weather] = await conversation(svc, 'lao-zhang', ['How do I rotate the billing DB credentials?', "What's the weather in Paris tomorrow?"]);
    expect(first.grounded).toBe(true);
    expect(weather.grounded).toBe(false);
    expect(weather.citations).toEqual([]);
  });

  it('searches an unrelated short Chinese question on its own (not refused after an off-topic one)', async () => {
    const fresh = (await conversation(svc, 'lin-xiaoyu', ['发票 2.0 什么时候上线？']))[0];
    const [offTopic, invoice] = await conversation(svc, 'lin-xiaoyu', ['今天中午食堂吃什么？', '发票 2.0 什么时候上线？']);
    expect(offTopic.grounded).toBe(false);
    expect(fresh.grounded).toBe(true);
    expect(invoice.grounded).toBe(true);
    expect(sources(invoice)).toEqual(sources(fresh));
  });

  it('reads an English referential follow-up with the conversation', async () => {
    const [, follow] = await conversation(svc, 'lao-zhang', ['How do I roll back a billing-gateway release?', 'and what if the migration already ran?']);
    expect(follow.grounded).toBe(true);
    expect(sources(follow)).toContain('runbooks/rollback-billing-gateway.md');
  });

  it('reads a Chinese referential follow-up with the conversation', async () => {
    const [, follow] = await conversation(svc, 'lao-zhang', ['billing-gateway 怎么回滚？', '那回滚之后呢？']);
    expect(follow.grounded).toBe(true);
    expect(sources(follow)).toContain('runbooks/rollback-billing-gateway.md');
  });
});

describe('follow-up questions with a model', () => {
  jest.setTimeout(60_000);
  let fake: FakeOpenAi;
  afterEach(async () => fake?.close());

  it('condenses a referential follow-up into a standalone question and searches with that', async () => {
    fake = await startFakeOpenAi((messages) => {
      if (/standalone question/i.test(messages[0].content)) return 'What should I do if the billing-gateway migration already ran before the rollback?';
      return 'Roll back the code only; the schema stays [1].';
    });
    const svc = await demoService(['lao-zhang'], createChatModel({ model: 'm', apiKey: 'sk-test', baseURL: fake.baseURL }, { maxRetries: 0 }));
    const [, follow] = await conversation(svc, 'lao-zhang', ['How do I roll back a billing-gateway release?', 'and what if the migration already ran?']);
    const condense = fake.requests.filter((r) => /standalone question/i.test(r.messages[0].content));
    expect(condense).toHaveLength(1);
    expect(condense[0].messages.map((m) => m.content).join('\n')).toMatch(/How do I roll back a billing-gateway release\?[\s\S]*and what if the migration already ran\?/);
    expect(follow.grounded).toBe(true);
    expect(sources(follow)).toContain('runbooks/rollback-billing-gateway.md');
    svc.close();
  });

  it('does not condense a question that stands on its own', async () => {
    fake = await startFakeOpenAi(() => 'From the runbook [1].');
    const svc = await demoService(['lao-zhang'], createChatModel({ model: 'm', apiKey: 'sk-test', baseURL: fake.baseURL }, { maxRetries: 0 }));
    const [, weather] = await conversation(svc, 'lao-zhang', ['How do I rotate the billing DB credentials?', "What's the weather in Paris tomorrow?"]);
    expect(fake.requests.filter((r) => /standalone question/i.test(r.messages[0].content))).toHaveLength(0);
    expect(weather.grounded).toBe(false);
    svc.close();
  });
});
