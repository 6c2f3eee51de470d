import { cards, messageEvent, startLark, type LarkHarness } from '../helpers/lark-harness';

/** The words of the last card shown privately to a person in a group. */
function lastEphemeral(h: LarkHarness): string {
  const shown = cards(h.fake).filter((c) => c.method === 'ephemeral.v1.send');
  return shown.length ? shown[shown.length - 1].text : '';
}

describe('/summarize on Feishu', () => {
  let h: LarkHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('reads the group through im.v1.message.list and answers the member privately, threads grouped by root id', async () => {
    h = await startLark();
    const t = Date.now() - 3 * 3_600_000;
    const say = (id: string, user: string, text: string, minute: number, root?: string): void =>
      h.fake.seed({ message_id: id, chat_id: 'oc_team', root_id: root, sender: user, content: JSON.stringify({ text }), create_time: String(t + minute * 60_000) });
    say('om_h1', 'ou_a', '双十一扩容方案：订单服务扩到 60 个副本，大家看看？', 0);
    say('om_h2', 'ou_b', '那就这么定了，周五前完成压测。', 5, 'om_h1');
    say('om_h3', 'ou_member1', '我来写扩容脚本。', 9, 'om_h1');
    say('om_h4', 'ou_b', '压测环境的数据要不要脱敏？', 30);
    h.fake.chats.set('oc_team', { chat_type: 'private', name: '大促保障' });
    await h.send(messageEvent(h.fake, { chatType: 'group', chatId: 'oc_team', user: 'ou_member1', mentionBot: true, text: '/summarize 24h' }));
    await h.idle();
    const text = lastEphemeral(h);
    expect(text).toMatch(/频道总结 #大促保障/);
    expect(text).toMatch(/那就这么定了，周五前完成压测。/);
    expect(text).toMatch(/我来写扩容脚本/);
    expect(text).toMatch(/压测环境的数据要不要脱敏？/);
    // Feishu gives no per-message permalink: points cite time, never an invented link.
    expect(text).not.toMatch(/https?:\/\/(?!open\.feishu)/);
    expect(h.fake.of('im.v1.message.list').length).toBeGreaterThan(0);
    expect(h.fake.calls.filter((c) => c.method === 'im.v1.message.create' || c.method === 'im.v1.message.reply').filter((c) => String(c.body.content ?? '').includes('频道总结'))).toHaveLength(0);
  });

  it('refuses someone who is not in the group', async () => {
    h = await startLark();
    await h.send(messageEvent(h.fake, { chatType: 'group', chatId: 'oc_team', user: 'ou_stranger', mentionBot: true, text: '/summarize 7d' }));
    await h.idle();
    expect(lastEphemeral(h)).toMatch(/只有频道成员才能请求总结该频道|Only members of a channel/);
    expect(h.fake.of('im.v1.message.list')).toHaveLength(0);
  });
});
