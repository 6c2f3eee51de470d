import { slowRequest } from '../../helpers/raw-http';
import { answerCards, cards, LZ_APP, messageEvent, startLark, wireBody, type LarkHarness } from '../../helpers/lark-harness';

describe('Feishu events through our verification into the real EventDispatcher', () => {
  let h: LarkHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('answers a p2p message to a per-avatar app with a reply card: disclosure, text, sources, label and feedback buttons', async () => {
    h = await startLark();
    const ev = messageEvent(h.fake, { app: 'lz', text: 'How do I roll back billing-gateway?' });
    const res = await h.send(ev, { app: 'lz' });
    expect(res.status).toBe(200);
    await h.idle();
    const placeholder = h.fake.of('im.v1.message.reply')[0];
    expect(placeholder.appId).toBe(LZ_APP);
    expect(placeholder.path).toContain((ev.event as { message: { message_id: string } }).message.message_id);
    expect(placeholder.body.reply_in_thread).toBe(false);
    expect(JSON.stringify(placeholder.content)).toMatch(/looking through the material/);
    const [answer] = answerCards(h.fake);
    expect(answer.method).toBe('im.v1.message.patch');
    expect(answer.text).toMatch(/Hello, I am the digital avatar of Test Person lao-zhang/);
    expect(answer.text).toMatch(/runbooks\/rollback.md|rollback\.md/);
    expect(answer.text).toMatch(/Digital avatar of Test Person lao-zhang \(not the person\)/);
    expect(answer.text).toMatch(/👍[\s\S]*👎[\s\S]*Not how they'd say it/);
  });

  it('ignores a group message that does not mention the bot', async () => {
    h = await startLark();
    await h.send(messageEvent(h.fake, { chatType: 'group', text: '@lao-zhang-avatar how do I roll back?' }));
    await h.idle();
    expect(cards(h.fake)).toHaveLength(0);
  });

  it('answers a group @mention in the thread of the message', async () => {
    h = await startLark();
    const ev = messageEvent(h.fake, { chatType: 'group', mentionBot: true, text: '@lao-zhang-avatar how do I release billing-gateway?' });
    await h.send(ev);
    await h.idle();
    const first = h.fake.of('im.v1.message.reply')[0];
    expect(first.body.reply_in_thread).toBe(true);
    expect(first.path).toContain((ev.event as { message: { message_id: string } }).message.message_id);
    expect(answerCards(h.fake)).toHaveLength(1);
    expect(answerCards(h.fake)[0].text).toMatch(/deploy\.md/);
  });

  it('answers a message re-pushed three times once', async () => {
    h = await startLark();
    const ev = messageEvent(h.fake, { app: 'lz', text: 'How do I roll back?' });
    for (let i = 0; i < 3; i++) expect((await h.send(ev, { app: 'lz' })).status).toBe(200);
    await h.idle();
    expect(answerCards(h.fake)).toHaveLength(1);
  });

  it('routes by @handle in hub mode and keeps the choice for the p2p chat', async () => {
    h = await startLark();
    await h.send(messageEvent(h.fake, { user: 'ou_hub1', text: '@lin-xiaoyu-avatar what does the PLUS membership cost?' }));
    await h.idle();
    await h.send(messageEvent(h.fake, { user: 'ou_hub1', text: 'and in the first year?' }));
    await h.idle();
    const a = answerCards(h.fake);
    expect(a).toHaveLength(2);
    expect(a[0].text).toMatch(/pricing.md/);
    expect(a.every((x) => /Test Person lin-xiaoyu/.test(x.text))).toBe(true);
  });

  it('serves Feishu in hub mode with every avatar when only the LARK_* variables are set', async () => {
    h = await startLark({ env: { LZ_LARK_APP_SECRET: '', LZ_LARK_ENCRYPT_KEY: '', LZ_LARK_VERIFICATION_TOKEN: '' } });
    const health = (await (await fetch(h.url.replace('/lark/events', '/healthz'))).json()) as { ok: boolean; platforms: Record<string, { mode: string; apps: { name: string }[] }> };
    expect(health.ok).toBe(true);
    expect(Object.keys(health.platforms)).toEqual(['lark']);
    expect(health.platforms.lark.mode).toBe('webhook');
    expect(health.platforms.lark.apps.map((a) => a.name)).toEqual(['hub']);
    await h.send(messageEvent(h.fake, { user: 'ou_h1', text: '@lao-zhang-avatar How do I roll back billing-gateway?' }));
    await h.send(messageEvent(h.fake, { user: 'ou_h2', text: '@lin-xiaoyu-avatar What does the PLUS membership cost?' }));
    await h.idle();
    const a = answerCards(h.fake);
    expect(a.map((x) => /lao-zhang/.test(x.text) ? 'lao-zhang' : 'lin-xiaoyu').sort()).toEqual(['lao-zhang', 'lin-xiaoyu']);
  });

  it('follows up in a group thread with the same avatar, replying in that thread', async () => {
    h = await startLark();
    const first = messageEvent(h.fake, { chatType: 'group', chatId: 'oc_thread', mentionBot: true, text: '@lao-zhang-avatar how do I release billing-gateway?' });
    await h.send(first);
    await h.idle();
    const root = (first.event as { message: { message_id: string } }).message.message_id;
    const thread = h.fake.messages.get(root)?.thread_id as string;
    expect(thread).toMatch(/^omt_/);
    await h.send(messageEvent(h.fake, { chatType: 'group', chatId: 'oc_thread', mentionBot: true, text: 'and how do I roll it back?', rootId: root, threadId: thread }));
    await h.idle();
    const a = answerCards(h.fake);
    expect(a).toHaveLength(2);
    expect(a[1].text).toMatch(/rollback\.md/);
    expect(a[1].text).not.toMatch(/Hello, I am/);
    const replies = h.fake.of('im.v1.message.reply');
    expect(replies.at(-1)?.path).toContain(root);
    expect(replies.at(-1)?.body.reply_in_thread).toBe(true);
  });

  it('answers a message acked before a graceful stop began, though it waited for another request to be acked', async () => {
    h = await startLark();
    // A request still sending its body: the acked message waits for it (answers start once acks are done).
    const body = wireBody(messageEvent(h.fake, { app: 'lz', user: 'ou_slow', text: 'How do I roll back billing-gateway?' }), { app: 'lz' });
    const slow = slowRequest(h.url, body.headers, body.raw);
    await new Promise((r) => setTimeout(r, 100));
    const ev = messageEvent(h.fake, { app: 'lz', user: 'ou_quick', text: 'How do I roll back billing-gateway?' });
    expect((await h.send(ev, { app: 'lz' })).status).toBe(200);
    // The stop begins while the message waits; the slow request finishes after.
    const closing = h.handle.close();
    await new Promise((r) => setTimeout(r, 100));
    await slow.finish();
    await closing;
    const messageId = (ev.event as { message: { message_id: string } }).message.message_id;
    expect(h.fake.of('im.v1.message.reply').some((c) => c.path.includes(messageId))).toBe(true);
  }, 30_000);
});

