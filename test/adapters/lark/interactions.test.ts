import { registerLarkCardAction } from '../../../src/adapters/lark';
import { answerCards, cards, messageEvent, shownText, startLark, v2Event, type LarkHarness } from '../../helpers/lark-harness';

interface Button {
  tag: string;
  value: Record<string, unknown>;
  text: { content: string };
}

function buttonsOf(card: Record<string, unknown>): Button[] {
  const action = (card.elements as { tag: string; actions?: Button[] }[]).find((e) => e.tag === 'action');
  return action?.actions ?? [];
}

function click(h: LarkHarness, value: Record<string, unknown>, messageId: string, extra: Record<string, unknown> = {}): Promise<Response> {
  return h.send(
    v2Event('card.action.trigger', {
      operator: { tenant_key: 'tenant_test_1', open_id: 'ou_u1', union_id: 'on_u1' },
      token: 'c-1234',
      action: { value, tag: 'button', ...extra },
      host: 'im_message',
      context: { open_message_id: messageId, open_chat_id: 'oc_p2p_ou_u1' },
    }, { app: 'lz' }),
    { app: 'lz' },
  );
}

describe('Feishu card buttons', () => {
  let h: LarkHarness;
  afterEach(async () => {
    await h?.close();
  });

  async function answer(): Promise<{ buttons: Button[]; messageId: string }> {
    await h.send(messageEvent(h.fake, { app: 'lz', text: 'How do I roll back billing-gateway?' }), { app: 'lz' });
    await h.idle();
    const [a] = answerCards(h.fake);
    return { buttons: buttonsOf(a.card), messageId: a.messageId as string };
  }

  it('stores and audits 👍 and 👎 and answers the click with a toast', async () => {
    h = await startLark();
    const { buttons, messageId } = await answer();
    expect(buttons.map((b) => b.text.content)).toEqual(['👍', '👎', "Not how they'd say it"]);
    const up = await click(h, buttons[0].value, messageId);
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ toast: { type: 'success', content: 'Thanks, noted. 👍' } });
    await click(h, buttons[1].value, messageId);
    const stored = await h.runtime.service.store.listFeedback('lao-zhang');
    expect(stored.map((f) => [f.kind, f.userId, f.ref])).toEqual([
      ['up', 'lark:ou_u1', messageId],
      ['down', 'lark:ou_u1', messageId],
    ]);
    expect(stored[0].conversation).toMatch(/^lark:tenant_test_1:oc_p2p_ou_u1:dm$/);
    expect(await h.runtime.service.store.auditEntries({ action: 'feedback' })).toHaveLength(2);
  });

  it('asks how they would have said it, and stores the submitted correction for review', async () => {
    h = await startLark();
    const { buttons, messageId } = await answer();
    const res = await click(h, buttons[2].value, messageId);
    expect(((await res.json()) as { toast: { type: string } }).toast.type).toBe('info');
    await h.idle();
    const form = h.fake.of('im.v1.message.reply').find((c) => JSON.stringify(c.content).includes('understudy_correction'));
    expect(form?.path).toContain(messageId);
    const submit = JSON.parse(JSON.stringify(form?.content)).body.elements[0].elements[1].behaviors[0].value as Record<string, unknown>;
    const done = await click(h, submit, 'om_form', { name: 'submit', form_value: { correction: 'Roll back first, always. Then we talk.' } });
    const body = (await done.json()) as { toast: { type: string }; card: { type: string } };
    expect(body.toast.type).toBe('success');
    expect(body.card.type).toBe('raw');
    const [c] = await h.runtime.service.store.listFeedback('lao-zhang');
    expect(c).toMatchObject({ kind: 'correction', text: 'Roll back first, always. Then we talk.', ref: messageId, userId: 'lark:ou_u1' });
    expect(await h.runtime.service.store.auditEntries({ action: 'correction_proposed' })).toHaveLength(1);
  });

  it('acknowledges buttons it does not own, and runs handlers other features register', async () => {
    h = await startLark();
    const seen: string[] = [];
    registerLarkCardAction('test_consent', (ctx) => {
      seen.push(`${String(ctx.value.v)}:${ctx.userId}:${ctx.app.name}`);
      return { toast: { type: 'success', content: 'approved' } };
    });
    expect(await (await click(h, { k: 'someone_else', x: 1 }, 'om_1')).json()).toEqual({});
    expect(await (await click(h, { k: 'test_consent', v: 'approve' }, 'om_2')).json()).toEqual({ toast: { type: 'success', content: 'approved' } });
    expect(seen).toEqual(['approve:ou_u1:lao-zhang']);
    expect(await h.runtime.service.store.listFeedback('lao-zhang')).toHaveLength(0);
  });
});

describe('Feishu visibility: a group never sees a private source', () => {
  let h: LarkHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('keeps a private source out of public and private groups, and shows it to its audience in p2p', async () => {
    h = await startLark();
    h.fake.chats.set('oc_public', { chat_type: 'public' });
    h.fake.chats.set('oc_private', { chat_type: 'private' });
    const q = 'When is the transactions-secondary rota merge planned?';
    await h.send(messageEvent(h.fake, { app: 'lz', chatType: 'group', chatId: 'oc_public', user: 'ou_mgr', mentionBot: true, text: q }), { app: 'lz' });
    await h.send(messageEvent(h.fake, { app: 'lz', chatType: 'group', chatId: 'oc_private', user: 'ou_mgr', mentionBot: true, text: q }), { app: 'lz' });
    await h.idle();
    expect(cards(h.fake).length).toBeGreaterThanOrEqual(2);
    expect(shownText(h.fake)).not.toMatch(/transactions-secondary rota merge is planned|handover/);
    expect(h.fake.of('im.v1.chat.get').map((c) => c.path)).toEqual(['/open-apis/im/v1/chats/oc_public', '/open-apis/im/v1/chats/oc_private']);

    await h.send(messageEvent(h.fake, { app: 'lz', user: 'ou_mgr', text: q }), { app: 'lz' });
    await h.idle();
    expect(answerCards(h.fake).find((a) => a.text.includes('handover'))).toBeDefined();
    const before = cards(h.fake).length;
    await h.send(messageEvent(h.fake, { app: 'lz', user: 'ou_other', text: q }), { app: 'lz' });
    await h.idle();
    expect(cards(h.fake).slice(before).map((c) => c.text).join('\n')).not.toMatch(/handover/);
  });

  it('treats a group as public when its type cannot be looked up', async () => {
    h = await startLark();
    h.fake.fail('im.v1.chat.get', { status: 400, code: 99991672, msg: 'Access denied. One of the following scopes is required: [im:chat:readonly]', scopes: ['im:chat:readonly'], times: 1 });
    await h.send(messageEvent(h.fake, { app: 'lz', chatType: 'group', chatId: 'oc_unknown', user: 'ou_mgr', mentionBot: true, text: 'How do I roll back billing-gateway? And the rota merge?' }), { app: 'lz' });
    await h.idle();
    // Team sources (the runbooks) are not public: a public chat gets no grounded answer from them.
    expect(shownText(h.fake)).not.toMatch(/handover|rollback\.md/);
  });
});
