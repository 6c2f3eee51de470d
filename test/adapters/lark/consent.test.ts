import { cards, messageEvent, startLark, v2Event, type LarkHarness } from '../../helpers/lark-harness';

interface Button {
  text: { content: string };
  type: string;
  value: Record<string, unknown>;
}

/** Distillation consent on Feishu: the core's Approve/Decline, as a card in the subject's p2p chat. */
describe('Feishu consent cards', () => {
  let h: LarkHarness;
  afterEach(async () => {
    await h?.close();
  });

  async function request(): Promise<Button[]> {
    h = await startLark({ env: { UNDERSTUDY_ADMINS: 'lark:ou_admin' } });
    await h.send(messageEvent(h.fake, { user: 'ou_admin', chatType: 'group', chatId: 'oc_team', mentionBot: true, text: '/distill', others: [{ id: 'ou_tom', name: 'Tom' }] }));
    await h.idle();
    const toTom = h.fake.of('im.v1.message.create').find((c) => c.body.receive_id === 'ou_tom');
    expect(toTom?.query.receive_id_type).toBe('open_id');
    const card = toTom?.content as { elements: { tag: string; actions?: Button[] }[] };
    return card.elements.find((e) => e.tag === 'action')?.actions ?? [];
  }

  function click(value: Record<string, unknown>, user = 'ou_tom'): Promise<Response> {
    return h.send(
      v2Event('card.action.trigger', {
        operator: { open_id: user, tenant_key: 'tenant_test_1' },
        action: { value, tag: 'button' },
        context: { open_message_id: 'om_consent', open_chat_id: 'oc_p2p_ou_tom' },
      }),
    );
  }

  it('asks the subject with Approve and Decline buttons, and records the approval', async () => {
    const buttons = await request();
    expect(buttons.map((b) => [b.text.content, b.type])).toEqual([
      ['Approve', 'primary'],
      ['Decline', 'danger'],
    ]);
    expect(buttons[0].value).toMatchObject({ k: 'understudy_consent_approve', v: expect.any(String) });
    const res = await click(buttons[0].value);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { toast: { content: string } }).toast.content).toBe('Received');
    await h.idle();
    const shown = cards(h.fake).map((c) => c.text).join('\n');
    expect(shown).toMatch(/Thank you\. Building your avatar now/);
    expect((await h.runtime.service.store.auditEntries()).map((e) => e.action)).toEqual(expect.arrayContaining([expect.stringMatching(/consent/)]));
  });

  it('declines, and tells the requester that nothing was collected', async () => {
    const buttons = await request();
    await click(buttons[1].value);
    await h.idle();
    const shown = cards(h.fake).map((c) => `${c.chat ?? ''} ${c.text}`).join('\n');
    expect(shown).toMatch(/Declined\. Nothing was collected/);
    expect(shown).toMatch(/ou_admin .*ou_tom declined the distillation \(CONSENT-/);
  });

  it('collects the approving subject\'s own messages from the chats the bot is in', async () => {
    const buttons = await request();
    h.fake.chats.set('oc_team', { chat_type: 'private', name: '支付平台组' });
    const texts = [
      '回滚 billing-gateway 的规矩：只要涉及资金，先回滚再排查。命令是 deployctl rollback billing-gateway --to v2.14.2。',
      'Canary 按 5%、25%、50%、100% 推进，每一步看十分钟的错误率和支付成功率。',
      '对账差异超过 0.1% 就暂停发布，先找财务确认，再决定是否继续。',
    ];
    texts.forEach((text, i) => h.fake.seed({ message_id: `om_tom_${i}`, chat_id: 'oc_team', sender: 'ou_tom', content: JSON.stringify({ text }), create_time: String(Date.now() - (10 - i) * 60_000) }));
    h.fake.seed({ message_id: 'om_other', chat_id: 'oc_team', sender: 'ou_someone', content: JSON.stringify({ text: '这条不是 Tom 的消息，不应被收集。' }) });
    await click(buttons[0].value);
    await h.idle();
    const shown = cards(h.fake).map((c) => c.text).join('\n');
    expect(shown).toMatch(/Collected 3 messages from 1 channels/);
    expect(shown).toMatch(/The avatar @[a-z0-9-]+-avatar is ready: 3 passages from 3 messages/);
    expect(h.fake.of('im.v1.message.list')[0].query).toMatchObject({ container_id_type: 'chat', container_id: 'oc_team' });
    expect(h.fake.of('im.v1.chatMembers.get')).toHaveLength(1);

    // The subject takes a copy of their avatar in their p2p chat.
    await h.send(messageEvent(h.fake, { user: 'ou_tom', text: '/avatar export' }));
    await h.idle();
    const [upload] = h.fake.of('im.v1.file.create');
    expect(upload.body).toMatchObject({ file_type: 'stream', file_name: expect.stringMatching(/-export\.zip$/) });
    const file = h.fake.of('im.v1.message.reply').find((c) => c.body.msg_type === 'file');
    expect(file?.content).toEqual({ file_key: expect.stringMatching(/^file_v3_/) });
  });
});
