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
    expect(h.runtime.service.store.auditEntries().map((e) => e.action)).toEqual(expect.arrayContaining([expect.stringMatching(/consent/)]));
  });

  it('declines, and tells the requester that nothing was collected', async () => {
    const buttons = await request();
    await click(buttons[1].value);
    await h.idle();
    const shown = cards(h.fake).map((c) => `${c.chat ?? ''} ${c.text}`).join('\n');
    expect(shown).toMatch(/Declined\. Nothing was collected/);
    expect(shown).toMatch(/ou_admin .*ou_tom declined the distillation \(CONSENT-/);
  });
});
