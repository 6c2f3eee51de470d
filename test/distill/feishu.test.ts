import fs from 'node:fs';
import path from 'node:path';
import { slugFromName } from '../../src/avatars/slug';
import { cards, messageEvent, startLark, type LarkHarness } from '../helpers/lark-harness';

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
    h.runtime.service.store.kvSet('consent', 'CONSENT-OLD', {
      id: 'CONSENT-OLD', slug: 'u-ou_wei', subject: { id: 'lark:ou_wei', name: '王伟' }, requester: { id: 'lark:ou_wei', name: '王伟' }, basis: 'self',
      scope: { channels: [], files: true }, purpose: 'p', status: 'approved', createdAt: now.toISOString(), expiresAt: new Date(now.getTime() + 86_400_000).toISOString(), decidedAt: now.toISOString(), decidedBy: 'lark:ou_wei',
    });
    await h.send(messageEvent(h.fake, { user: 'ou_wei', text: '/distill me' }));
    await h.idle();
    expect(cards(h.fake).map((c) => c.text).join('\n')).toContain('@wang-wei-avatar');
    expect(fs.existsSync(path.join(h.root, 'avatars', 'wang-wei', 'avatar.yaml'))).toBe(true);
  }, 30_000);
});
