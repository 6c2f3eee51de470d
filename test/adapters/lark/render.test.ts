import type { Answer } from '../../../src/answer/types';
import { CARD_BYTES, renderAnswer, renderReply, splitBytes } from '../../../src/adapters/lark/render';

function answer(text: string, extra: Partial<Answer> = {}): Answer {
  return {
    avatar: 'lao-zhang',
    text,
    citations: [
      { n: 1, source: 'runbooks/rollback.md', locator: 'L1-4', text: 'roll back first', kind: 'markdown', visibility: 'team', title: 'Rollback billing-gateway' },
      { n: 2, source: 'feishu/支付平台组.json#om_1', locator: '2024-05-01', text: '先回滚', kind: 'feishu', visibility: 'team', title: '支付平台组 · 张建国', url: 'https://example.feishu.cn/messages/om_1' },
    ],
    disclosure: '你好，我是老张的数字分身。',
    label: '🤖 老张的数字分身（非本人）',
    firstContact: true,
    grounded: true,
    confidence: 'high',
    model: 'offline-extractive',
    lang: 'zh',
    pronoun: 'he',
    ...extra,
  };
}

const bytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v), 'utf8');

describe('Feishu answer cards', () => {
  it('carries the label as the header, the disclosure, the sources with links or names, and three feedback buttons', () => {
    const [card] = renderAnswer(answer('先回滚，再排查。'), 'lark:t:oc_1:dm');
    const text = JSON.stringify(card);
    expect((card.header as { title: { content: string } }).title.content).toBe('🤖 老张的数字分身（非本人）');
    expect(text).toMatch(/你好，我是老张的数字分身/);
    expect(text).toMatch(/\*\*来源\*\*/);
    expect(text).toMatch(/\[2\] \[支付平台组 · 张建国\]\(https:\/\/example\.feishu\.cn\/messages\/om_1\)/);
    expect(text).toMatch(/\[1\] Rollback billing-gateway \(runbooks\/rollback\.md\)/);
    expect(text).toMatch(/不像他会说的话/);
    expect((card.config as { update_multi: boolean }).update_multi).toBe(true);
  });

  it('names a message of a Slack export by its channel and day', () => {
    const slack = { source: 'houston/general/2015-06-20', locator: '1434800000.000100', text: 'meetup at 7', title: '#general', kind: 'slack', visibility: 'public' } as const;
    const [card] = renderAnswer(answer('Meetup at 7 [1].', { citations: [{ n: 1, ...slack, url: 'https://houston.slack.com/archives/C1/p1434800000000100' }, { n: 2, ...slack }] }), 'c');
    const text = JSON.stringify(card);
    expect(text).toContain('[1] [#general · 2015-06-20](https://houston.slack.com/archives/C1/p1434800000000100)');
    expect(text).toContain('[2] #general · 2015-06-20 (houston/general/2015-06-20) · 1434800000.000100');
  });

  it('speaks English on an English answer and leaves out the introduction after first contact', () => {
    const [card] = renderAnswer(answer('Roll back first.', { lang: 'en', label: '🤖 Digital avatar of Lao Zhang (not the person)', firstContact: false }), 'c');
    const text = JSON.stringify(card);
    expect(text).toMatch(/\*\*Sources\*\*/);
    expect(text).toMatch(/Not how he'd say it/);
    expect(text).not.toMatch(/你好/);
  });

  it('splits a long answer into cards under the size limit, each labelled, buttons on the last', () => {
    const long = Array.from({ length: 400 }, (_, i) => `第${i}段：如果涉及资金，先回滚再排查，回滚命令是 deployctl rollback billing-gateway。`).join('\n\n');
    const cards = renderAnswer(answer(long), 'c');
    expect(cards.length).toBeGreaterThan(1);
    for (const c of cards) {
      expect(bytes(c)).toBeLessThan(CARD_BYTES);
      expect(JSON.stringify(c)).toMatch(/老张的数字分身（非本人）/);
    }
    expect(cards.filter((c) => JSON.stringify(c).includes('understudy_feedback'))).toHaveLength(1);
    expect(JSON.stringify(cards.at(-1))).toMatch(/understudy_feedback/);
    const shown = cards.map((c) => (c.elements as { tag: string; content?: string }[]).filter((e) => e.tag === 'markdown').map((e) => e.content).join('\n\n')).join('\n\n');
    expect(shown).toContain('第0段');
    expect(shown).toContain('第399段');
  });

  it('splits text by UTF-8 bytes without losing a character', () => {
    const text = '汉字'.repeat(5000);
    const parts = splitBytes(text, 6000);
    expect(parts.every((p) => Buffer.byteLength(p) <= 6000)).toBe(true);
    expect(parts.join('')).toBe(text);
  });

  it('renders a status and a notice as cards, so a placeholder can be patched', () => {
    const [status] = renderReply({ kind: 'status', text: 'looking…' }, 'c');
    expect(JSON.stringify(status)).toMatch(/⏳ looking…/);
    const [notice] = renderReply({ kind: 'notice', text: '## Avatars\n• @a' }, 'c');
    expect(JSON.stringify(notice)).toMatch(/\*\*Avatars\*\*/);
  });

  it('renders a consent request as a card with Approve and Decline carrying the request id', () => {
    const [card] = renderReply({ kind: 'consent', id: 'CONSENT-1', text: '老王请求为你建立数字分身。', lang: 'zh' }, 'c');
    const text = JSON.stringify(card);
    expect(text).toMatch(/数字分身授权请求/);
    expect(text).toMatch(/"content":"同意"},"type":"primary","value":\{"k":"understudy_consent_approve","v":"CONSENT-1","l":"zh"\}/);
    expect(text).toMatch(/"content":"拒绝"},"type":"danger","value":\{"k":"understudy_consent_decline","v":"CONSENT-1","l":"zh"\}/);
  });
});
