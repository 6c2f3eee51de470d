import fs from 'node:fs';
import path from 'node:path';
import { answerCards, larkWorkspace, messageEvent, startLark, v2Event, type LarkHarness } from '../../helpers/lark-harness';

function setPronoun(root: string, slug: string, pronoun: 'he' | 'she' | 'they'): void {
  const file = path.join(root, 'avatars', slug, 'avatar.yaml');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/pronoun: \w+/, `pronoun: ${pronoun}`));
}

interface Button {
  text: { content: string };
  value: Record<string, unknown>;
}

describe('Feishu feedback buttons speak of the avatar with its pronoun', () => {
  let h: LarkHarness;
  afterEach(async () => h?.close());

  async function voiceButton(slug: 'lao-zhang' | 'lin-xiaoyu', pronoun: 'he' | 'she' | 'they', question: string): Promise<Button> {
    const root = larkWorkspace();
    setPronoun(root, slug, pronoun);
    h = await startLark({ root });
    await h.send(messageEvent(h.fake, { user: 'ou_asker', text: `@${slug}-avatar ${question}` }));
    await h.idle();
    const card = answerCards(h.fake).at(-1)?.card as { elements: { tag: string; actions?: Button[] }[] };
    const buttons = card.elements.find((e) => e.tag === 'action')?.actions ?? [];
    expect(buttons).toHaveLength(3);
    return buttons[2];
  }

  it.each([
    ['lin-xiaoyu', 'she', 'PLUS 会员第一年多少钱？', '不像她会说的话'],
    ['lao-zhang', 'he', '怎么回滚 billing-gateway？', '不像他会说的话'],
    ['lao-zhang', 'they', '怎么回滚 billing-gateway？', '不像TA会说的话'],
    ['lin-xiaoyu', 'she', 'How much is PLUS in the first year?', "Not how she'd say it"],
    ['lao-zhang', 'they', 'How do I roll back billing-gateway?', "Not how they'd say it"],
  ] as const)('%s (%s): "%s" shows %s', async (slug, pronoun, question, label) => {
    const button = await voiceButton(slug, pronoun, question);
    expect(button.text.content).toBe(label);
  });

  it('asks for the correction with her pronoun too', async () => {
    const button = await voiceButton('lin-xiaoyu', 'she', 'PLUS 会员第一年多少钱？');
    const res = await h.send(
      v2Event('card.action.trigger', {
        operator: { open_id: 'ou_asker', tenant_key: 'tenant_test_1' },
        action: { value: button.value, tag: 'button' },
        context: { open_message_id: 'om_answer', open_chat_id: 'oc_p2p_ou_asker' },
      }),
    );
    const body = (await res.json()) as { toast: { content: string } };
    expect(body.toast.content).toBe('请在下方的表单里写下她会怎么说。');
    await h.idle();
    const form = h.fake.of('im.v1.message.reply').map((c) => JSON.stringify(c.content)).find((t) => t.includes('correction_form'));
    expect(form).toMatch(/她会怎么说？/);
    expect(form).not.toMatch(/他\/她/);
  });

  it('stores a submitted correction with the secrets typed into it masked', async () => {
    const button = await voiceButton('lin-xiaoyu', 'she', 'PLUS 会员第一年多少钱？');
    await h.send(
      v2Event('card.action.trigger', {
        operator: { open_id: 'ou_asker', tenant_key: 'tenant_test_1' },
        action: { value: button.value, tag: 'button' },
        context: { open_message_id: 'om_answer', open_chat_id: 'oc_p2p_ou_asker' },
      }),
    );
    await h.idle();
    const form = h.fake.of('im.v1.message.reply').find((c) => JSON.stringify(c.content).includes('correction_form'));
    const submit = JSON.parse(JSON.stringify(form?.content)).body.elements[0].elements[1].behaviors[0].value as Record<string, unknown>;
    await h.send(
      v2Event('card.action.trigger', {
        operator: { open_id: 'ou_asker', tenant_key: 'tenant_test_1' },
        action: { value: submit, tag: 'button', name: 'submit', form_value: { correction: '她会说：先打 13912345678 找财务，密码是 Fin4nce!2025。' } },
        context: { open_message_id: 'om_form', open_chat_id: 'oc_p2p_ou_asker' },
      }),
    );
    const [c] = await h.runtime.service.store.listFeedback('lin-xiaoyu');
    expect(c.text).toBe('她会说：先打 [redacted:phone] 找财务，密码是 [redacted:password]。');
  });
});
