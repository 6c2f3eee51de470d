import fs from 'node:fs';
import path from 'node:path';
import { slugFromName } from '../../src/avatars/slug';
import { cards, messageEvent, startLark, v2Event, type LarkHarness } from '../helpers/lark-harness';

describe('avatar slugs from names in any script', () => {
  it.each([
    ['王伟', 'ou_wei', 'wang-wei'],
    ['欧阳娜娜', 'ou_nana', 'ouyang-nana'],
    ['单田芳', 'ou_shan', 'shan-tianfang'],
    ['🦊', 'ou_Fox_01', 'u-ou-fox-01'],
    ['🦊🦊 ', 'U07FOX', 'u-u07fox'],
    ['Zoë Saldaña', 'U1', 'zoe-saldana'],
    ['Anna 李', 'U2', 'anna-li'],
    ['Wang Fang', 'U3', 'wang-fang'],
    [undefined, 'ou_x_y', 'u-ou-x-y'],
  ])('%s (%s) → %s', (name, id, slug) => {
    expect(slugFromName(name, id)).toBe(slug);
    expect(slug).toMatch(/^[a-z0-9][a-z0-9-]{0,62}$/);
  });
});

describe('/distill on Feishu for people with Chinese-only or emoji names', () => {
  let h: LarkHarness;
  afterEach(async () => h?.close());

  it.each([
    ['ou_wei', '王伟', 'wang-wei'],
    ['ou_nana', '欧阳娜娜', 'ouyang-nana'],
    ['ou_fox', '🦊', 'u-ou-fox'],
  ])('%s (%s) gets the avatar %s', async (user, name, slug) => {
    h = await startLark();
    h.fake.users.set(user, { name });
    h.fake.chats.set('oc_team', { chat_type: 'private', name: '支付平台组' });
    ['回滚 billing-gateway 的规矩：只要涉及资金，先回滚再排查。', '对账差异超过 0.1% 就暂停发布，先找财务确认。'].forEach((text, i) =>
      h.fake.seed({ message_id: `om_${user}_${i}`, chat_id: 'oc_team', sender: user, content: JSON.stringify({ text }), create_time: String(Date.now() - (10 - i) * 60_000) }),
    );
    await h.send(messageEvent(h.fake, { user, text: '/distill me' }));
    await h.idle();
    const shown = cards(h.fake).map((c) => c.text).join('\n');
    expect(shown).toContain(`@${slug}-avatar`);
    expect(shown).not.toMatch(/stopped/);
    const yaml = fs.readFileSync(path.join(h.root, 'avatars', slug, 'avatar.yaml'), 'utf8');
    expect(yaml).toContain(`slug: ${slug}`);
    expect(yaml).toContain(`lark:${user}`);
  }, 30_000);
});

describe('a distillation that stopped on an invalid slug', () => {
  let h: LarkHarness;
  afterEach(async () => h?.close());

  it('resumes under a valid slug instead of failing the same way again', async () => {
    h = await startLark();
    h.fake.users.set('ou_wei', { name: '王伟' });
    h.fake.chats.set('oc_team', { chat_type: 'private', name: '支付平台组' });
    h.fake.seed({ message_id: 'om_w1', chat_id: 'oc_team', sender: 'ou_wei', content: JSON.stringify({ text: '回滚 billing-gateway 的规矩：只要涉及资金，先回滚再排查。' }), create_time: String(Date.now() - 60_000) });
    const now = new Date();
    // What an earlier version left behind: approved, with the slug the avatar-name rule rejects.
    await h.runtime.service.store.kvSet('consent', 'CONSENT-OLD', {
      id: 'CONSENT-OLD', slug: 'u-ou_wei', subject: { id: 'lark:ou_wei', name: '王伟' }, requester: { id: 'lark:ou_wei', name: '王伟' }, basis: 'self',
      scope: { channels: [], files: true }, purpose: 'p', status: 'approved', createdAt: now.toISOString(), expiresAt: new Date(now.getTime() + 86_400_000).toISOString(), decidedAt: now.toISOString(), decidedBy: 'lark:ou_wei',
    });
    await h.send(messageEvent(h.fake, { user: 'ou_wei', text: '/distill me' }));
    await h.idle();
    expect(cards(h.fake).map((c) => c.text).join('\n')).toContain('@wang-wei-avatar');
    expect(fs.existsSync(path.join(h.root, 'avatars', 'wang-wei', 'avatar.yaml'))).toBe(true);
  }, 30_000);
});

/** The words people read in a card: every markdown / plain_text content string. */
function words(card: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown, key: string): void => {
    if (typeof v === 'string') {
      if (key === 'content' || key === 'text') out.push(v);
    } else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(card, '');
  return out;
}

/** English left once commands, handles and request ids are set aside. */
function english(text: string): string[] {
  return text.replace(/`[^`]*`/g, '').replace(/@[a-z0-9-]+/g, '').replace(/CONSENT-[\w-]+/g, '').match(/[A-Za-z]{3,}/g) ?? [];
}

describe('a Chinese-only Feishu workspace', () => {
  let h: LarkHarness;
  afterEach(async () => h?.close());

  it('runs the whole consent flow in Chinese, with display names, and tells the subject when the avatar is ready', async () => {
    h = await startLark({ env: { UNDERSTUDY_ADMINS: 'lark:ou_admin' } });
    h.fake.users.set('ou_admin', { name: '陈志远' });
    h.fake.users.set('ou_wei', { name: '王伟' });
    h.fake.chats.set('oc_team', { chat_type: 'private', name: '支付平台组' });
    ['回滚 billing-gateway 的规矩：只要涉及资金，先回滚再排查。', '对账差异超过 0.1% 就暂停发布，先找财务确认。'].forEach((text, i) =>
      h.fake.seed({ message_id: `om_w_${i}`, chat_id: 'oc_team', sender: 'ou_wei', content: JSON.stringify({ text }), create_time: String(Date.now() - (10 - i) * 60_000) }),
    );
    await h.send(messageEvent(h.fake, { user: 'ou_admin', chatType: 'group', chatId: 'oc_team', mentionBot: true, text: '/distill', others: [{ id: 'ou_wei', name: '王伟' }] }));
    await h.idle();

    const toWei = h.fake.of('im.v1.message.create').find((c) => c.body.receive_id === 'ou_wei');
    const card = words(toWei?.content).join('\n');
    expect(card).toMatch(/陈志远/);
    expect(card).not.toMatch(/ou_admin/);
    expect(card).toMatch(/收集范围：你本人在机器人能读取的所有频道/);
    expect(english(card)).toEqual([]);
    const approve = (toWei?.content as { elements: { tag: string; actions?: { value: Record<string, unknown> }[] }[] }).elements.find((e) => e.tag === 'action')?.actions?.[0].value;

    const clicked = await h.send(
      v2Event('card.action.trigger', {
        operator: { open_id: 'ou_wei', tenant_key: 'tenant_test_1' },
        action: { value: approve, tag: 'button' },
        context: { open_message_id: 'om_consent', open_chat_id: 'oc_p2p_ou_wei' },
      }),
    );
    expect(((await clicked.json()) as { toast: { content: string } }).toast.content).toBe('已收到');
    await h.idle();
    const all = cards(h.fake);
    const shown = all.map((c) => words(c.card).join('\n')).join('\n');
    expect(shown).toMatch(/谢谢/);
    expect(shown).toMatch(/王伟 已同意蒸馏/);
    expect(shown).toMatch(/数字分身 @wang-wei-avatar 已就绪/);
    expect(english(shown)).toEqual([]);
    // The subject hears it too, in their own chat, not only the admin.
    const toSubject = all.filter((c) => c.chat === 'ou_wei' || c.chat === 'oc_p2p_ou_wei').map((c) => words(c.card).join('\n')).join('\n');
    expect(toSubject).toMatch(/你的数字分身 @wang-wei-avatar 已就绪/);
    // The admin's progress message (patched in place) ends with the figures.
    expect(shown).toMatch(/数字分身 @wang-wei-avatar 已就绪：来自 2 条消息/);

    // What the subject sees afterwards stays in Chinese too.
    const before = h.fake.calls.length;
    await h.send(messageEvent(h.fake, { user: 'ou_wei', text: '/avatar mine' }));
    await h.idle();
    const mine = cards({ calls: h.fake.calls.slice(before) } as never).map((c) => words(c.card).join('\n')).join('\n');
    expect(mine).toMatch(/@wang-wei-avatar/);
    expect(mine).toMatch(/授权：/);
    expect(english(mine)).toEqual([]);
  }, 30_000);
});
