import { capturingLogger } from '../../helpers/capturing-logger';
import { answerCards, cards, HUB_BOT, messageEvent, shownText, startLark, v2Event, type LarkHarness } from '../../helpers/lark-harness';

describe('Feishu message content and bad input', () => {
  let h: LarkHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('shows help for an empty message, and for a group message holding only the mention', async () => {
    h = await startLark();
    await h.send(messageEvent(h.fake, { user: 'ou_e1', text: '   ' }));
    await h.send(messageEvent(h.fake, { app: 'lz', chatType: 'group', chatId: 'oc_help', mentionBot: true, text: '' }), { app: 'lz' });
    await h.idle();
    const shown = cards(h.fake);
    expect(shown).toHaveLength(2);
    for (const c of shown) expect(c.text).toMatch(/\/avatar list/);
  });

  it('reads the first 4,000 characters of an overlong message and says so', async () => {
    h = await startLark();
    await h.send(messageEvent(h.fake, { app: 'lz', text: `How do I roll back? ${'z'.repeat(40_000)}` }), { app: 'lz' });
    await h.idle();
    expect(shownText(h.fake)).toMatch(/I read only the first 4,000/);
    expect(answerCards(h.fake)).toHaveLength(1);
  });

  it('skips a message whose content is not JSON, with a warning, and keeps answering', async () => {
    const { log, lines } = capturingLogger();
    h = await startLark({ logger: log });
    const bad = messageEvent(h.fake, { app: 'lz', content: '{"text": "unterminated' });
    expect((await h.send(bad, { app: 'lz' })).status).toBe(200);
    await h.send(messageEvent(h.fake, { app: 'lz', text: 'How do I roll back?' }), { app: 'lz' });
    await h.idle();
    expect(lines().some((l) => l.level === 40 && /malformed content skipped/.test(String(l.msg)))).toBe(true);
    expect(answerCards(h.fake)).toHaveLength(1);
  });

  it('answers pictures, files and stickers with a short note, once per message', async () => {
    h = await startLark();
    const img = messageEvent(h.fake, { user: 'ou_pic', msgType: 'image', content: JSON.stringify({ image_key: 'img_v2_1' }) });
    await h.send(img);
    await h.send(img);
    await h.send(messageEvent(h.fake, { user: 'ou_pic', msgType: 'file', content: JSON.stringify({ file_key: 'file_1', file_name: 'x.pdf' }) }));
    await h.send(messageEvent(h.fake, { user: 'ou_pic', msgType: 'sticker', content: JSON.stringify({ file_key: 'stk_1' }) }));
    await h.idle();
    const shown = cards(h.fake);
    expect(shown).toHaveLength(3);
    for (const c of shown) expect(c.text).toMatch(/I can only read text/);
  });

  it('reads rich text (post) with the mention removed and other people named', async () => {
    h = await startLark();
    const content = JSON.stringify({
      title: '',
      content: [
        [
          { tag: 'at', user_id: '@_user_1', user_name: 'Understudy' },
          { tag: 'text', text: ' @lao-zhang-avatar how do I roll back billing-gateway? cc ' },
          { tag: 'at', user_id: '@_user_2', user_name: 'Tom' },
        ],

      ],
    });
    const ev = messageEvent(h.fake, { chatType: 'group', chatId: 'oc_post', content, msgType: 'post' });
    (ev.event as { message: { mentions: unknown[] } }).message.mentions = [
      { key: '@_user_1', id: { open_id: HUB_BOT }, name: 'Understudy' },
      { key: '@_user_2', id: { open_id: 'ou_tom' }, name: 'Tom' },
    ];
    await h.send(ev);
    await h.idle();
    const [a] = answerCards(h.fake);
    expect(h.fake.of('im.v1.message.reply')[0].body.reply_in_thread).toBe(true);
    expect(a.text).toMatch(/rollback\.md/);
    expect((await h.runtime.service.store.auditEntries({ action: 'ask' })).map((e) => JSON.stringify(e.detail))).toEqual(
      expect.arrayContaining([expect.stringMatching(/"how do I roll back billing-gateway\? cc @Tom"/)]),
    );
  });

  it('maps bot menu clicks to the same commands as text', async () => {
    h = await startLark();
    await h.send(messageEvent(h.fake, { user: 'ou_menu', text: '/avatar list' }));
    await h.send(v2Event('application.bot.menu_v6', { operator: { operator_name: 'Menu User', operator_id: { open_id: 'ou_menu' } }, event_key: 'avatar_list', timestamp: Date.now() }));
    await h.send(v2Event('application.bot.menu_v6', { operator: { operator_name: 'New User', operator_id: { open_id: 'ou_new' } }, event_key: 'avatar_help', timestamp: Math.floor(Date.now() / 1000) }));
    await h.idle();
    // Two users: their replies may go out in either order.
    const shown = cards(h.fake);
    expect(shown).toHaveLength(3);
    const lists = shown.filter((c) => /lao-zhang-avatar[\s\S]*lin-xiaoyu-avatar/.test(c.text));
    expect(lists).toHaveLength(2);
    expect(lists[0].text).toBe(lists[1].text);
    // The first user's p2p chat is known from their message; the new user is reached by open id.
    const created = h.fake.of('im.v1.message.create');
    expect(created.map((c) => [c.query.receive_id_type, c.body.receive_id]).sort()).toEqual([
      ['chat_id', 'oc_p2p_ou_menu'],
      ['open_id', 'ou_new'],
    ]);
    expect(shown.find((c) => c.chat === 'ou_new')?.text).toMatch(/\/avatar use <handle>/);
  });
});
