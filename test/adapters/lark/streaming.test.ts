import { startFakeOpenAi, type FakeOpenAi } from '../../helpers/fake-openai';
import type { LarkCall } from '../../helpers/fake-lark';
import { messageEvent, startLark, type LarkHarness } from '../../helpers/lark-harness';

/**
 * Answers stream in Feishu: an encrypted event into the real Lark dispatcher, the real ChatOpenAI
 * on a slowly streaming fake endpoint; the thinking card is patched with the text so far.
 */
const REPLY =
  'Roll back first [1]. <at id=all></at> If it touches money, run deployctl rollback billing-gateway to v2.14.2, then debug later, calmly and with the logs in hand. ' +
  'Tell the channel what you did and why, so nobody redeploys the broken build while you look. Keep the incident notes short. ';

const text = (c: LarkCall) => JSON.stringify(c.content ?? {});
const isDraft = (c: LarkCall) => c.method === 'im.v1.message.patch' && text(c).includes('✍️');
const isAnswer = (c: LarkCall) => !c.failed && text(c).includes('understudy_feedback');
/** The least gap between two drafts as the fake sees them: the transports send one a second; arrival can lag a send. */
const THROTTLE_FLOOR_MS = 750;
const gaps = (calls: LarkCall[]) => calls.slice(1).map((c, i) => (c.at ?? 0) - (calls[i].at ?? 0));

describe('Feishu: the thinking card shows the answer as it is written', () => {
  let h: LarkHarness | undefined;
  let fake: FakeOpenAi;
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await fake?.close();
  });

  const start = async () => {
    fake = await startFakeOpenAi(() => REPLY);
    fake.mode = 'slow';
    fake.slowMs = 120;
    h = await startLark({ env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.baseURL, OPENAI_MAX_RETRIES: '0' } });
    return h;
  };

  it('patches the thinking card with escaped drafts at most once a second, then with the answer, label and sources', async () => {
    const hh = await start();
    expect((await hh.send(messageEvent(hh.fake, { app: 'lz', text: 'How do I roll back billing-gateway?' }), { app: 'lz' })).status).toBe(200);
    await hh.idle();
    const calls = hh.fake.calls.filter((c) => !c.failed && c.method.startsWith('im.v1.message.'));
    const thinking = calls.find((c) => c.method === 'im.v1.message.reply') as LarkCall;
    expect(text(thinking)).toMatch(/looking through the material/);
    const drafts = calls.filter(isDraft);
    expect(drafts.length).toBeGreaterThanOrEqual(1);
    // Every draft patches the thinking card; the model's text so far, escaped, without label or sources.
    const id = drafts[0].path.split('/')[4];
    for (const d of drafts) expect(d.path.split('/')[4]).toBe(id);
    // (How far the first draft got depends on when the model started; the last one is well along.)
    expect(text(drafts.at(-1) as LarkCall)).toMatch(/Roll back first \[1\]\. &#60;at id=all&#62;&#60;\/at&#62; If it touches money/);
    expect(drafts.map(text).join('')).not.toMatch(/<at id=all>/);
    expect(drafts.map(text).join('')).not.toMatch(/understudy_feedback|Sources|Digital avatar of/);
    for (const g of gaps([thinking, ...drafts])) expect(g).toBeGreaterThanOrEqual(THROTTLE_FLOOR_MS);
    // The answer patches the same card, last.
    const final = calls.filter(isAnswer);
    expect(final).toHaveLength(1);
    expect(final[0].method).toBe('im.v1.message.patch');
    expect(final[0].path.split('/')[4]).toBe(id);
    expect(calls.indexOf(final[0])).toBe(calls.length - 1);
    expect(text(final[0])).toMatch(/rollback\.md/);
    expect(text(final[0])).toMatch(/Digital avatar of Test Person lao-zhang/);
    expect(text(final[0])).not.toMatch(/<at id=all>/);
  }, 30_000);

  it('a stream that fails half-way: the card ends as a complete offline answer', async () => {
    const hh = await start();
    fake.mode = 'error';
    fake.cutAfter = 12;
    await hh.send(messageEvent(hh.fake, { app: 'lz', text: 'How do I roll back billing-gateway?' }), { app: 'lz' });
    await hh.idle();
    const calls = hh.fake.calls.filter((c) => !c.failed && c.method.startsWith('im.v1.message.'));
    expect(calls.filter(isDraft).length).toBeGreaterThanOrEqual(1);
    const final = calls.filter(isAnswer);
    expect(final).toHaveLength(1);
    expect(calls.indexOf(final[0])).toBe(calls.length - 1);
    expect(text(final[0])).toMatch(/language model is unavailable right now/);
    expect(text(final[0])).toMatch(/Quoted from/);
    expect(text(final[0])).toMatch(/rollback\.md/);
    expect(text(final[0])).toMatch(/Digital avatar of Test Person lao-zhang/);
  }, 30_000);
});
