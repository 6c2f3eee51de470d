import { normalizeMenu, normalizeMessage, type LarkMessageEvent } from '../../../src/adapters/lark/normalize';
import type { LarkAppConfig } from '../../../src/adapters/lark/apps';

const app: LarkAppConfig = { name: 'hub', appId: 'cli_a1b2c3d4e5f60001', appSecret: 's' };
const BOT = 'ou_bot';

function ev(message: Partial<NonNullable<LarkMessageEvent['message']>>, sender = 'ou_u1'): LarkMessageEvent {
  return {
    event_id: 'e1',
    app_id: app.appId,
    tenant_key: 'tk',
    sender: { sender_id: { open_id: sender }, sender_type: 'user' },
    message: { message_id: 'om_1', chat_id: 'oc_1', chat_type: 'group', message_type: 'text', content: '{"text":""}', create_time: '1700000000000', ...message },
  };
}

const mentions = [
  { key: '@_user_1', id: { open_id: BOT }, name: 'Understudy' },
  { key: '@_user_2', id: { open_id: 'ou_tom' }, name: 'Tom' },
  { key: '@_user_10', id: { open_id: 'ou_ten' }, name: 'Ten' },
];

describe('Feishu message normalization', () => {
  it('parses /distill with its target from mentions[], the bot mention removed', () => {
    const n = normalizeMessage(ev({ content: JSON.stringify({ text: '@_user_1 /distill @_user_2' }), mentions }), app, BOT, 'private_channel');
    expect(n.kind).toBe('event');
    if (n.kind !== 'event') return;
    expect(n.event).toMatchObject({ text: '/distill @Tom', mentioned: true, channelType: 'private_channel', mentions: [{ id: 'ou_tom', name: 'Tom' }, { id: 'ou_ten', name: 'Ten' }] });
  });

  it('tells @_user_1 from @_user_10', () => {
    const n = normalizeMessage(ev({ content: JSON.stringify({ text: '@_user_1 ask @_user_10 and @_user_2' }), mentions }), app, BOT, 'public_channel');
    expect(n.kind === 'event' && n.event.text).toBe('ask @Ten and @Tom');
  });

  it('ignores our own messages, other bots, and group messages that mention someone else', () => {
    expect(normalizeMessage(ev({ content: '{"text":"hi"}', chat_type: 'p2p' }, BOT), app, BOT, 'dm').kind).toBe('ignore');
    const bot = ev({ content: '{"text":"hi"}', chat_type: 'p2p' });
    bot.sender = { sender_id: { open_id: 'ou_x' }, sender_type: 'app' };
    expect(normalizeMessage(bot, app, BOT, 'dm').kind).toBe('ignore');
    expect(normalizeMessage(ev({ content: JSON.stringify({ text: '@_user_2 hi' }), mentions: mentions.slice(1) }), app, BOT, 'public_channel').kind).toBe('ignore');
  });

  it('always takes p2p messages, with the thread root and the client locale', () => {
    const n = normalizeMessage(ev({ chat_type: 'p2p', content: '{"text":"怎么回滚？"}', root_id: 'om_root', user_agent: 'Mozilla/5.0 Lark/6.7.5 LarkLocale/zh_CN ttnet' }), app, BOT, 'public_channel');
    expect(n.kind === 'event' && n.event).toMatchObject({ channelType: 'dm', threadId: 'om_root', locale: 'zh-CN', text: '怎么回滚？', sentAt: 1700000000000 });
  });

  it('reads a locale-wrapped post, with links kept', () => {
    const content = JSON.stringify({ zh_cn: { title: '回滚', content: [[{ tag: 'text', text: '步骤是什么？' }], [{ tag: 'text', text: '见 ' }, { tag: 'a', text: 'wiki', href: 'https://wiki.example.com/rollback' }]] } });
    const n = normalizeMessage(ev({ chat_type: 'p2p', message_type: 'post', content }), app, BOT, 'dm');
    expect(n.kind === 'event' && n.event.text).toBe('回滚\n步骤是什么？\n见 wiki (https://wiki.example.com/rollback)');
  });

  it('throws on malformed content, and says "not text" for media', () => {
    expect(() => normalizeMessage(ev({ chat_type: 'p2p', content: '{oops' }), app, BOT, 'dm')).toThrow();
    expect(normalizeMessage(ev({ chat_type: 'p2p', message_type: 'audio', content: '{"file_key":"a"}' }), app, BOT, 'dm').kind).toBe('not_text');
    expect(normalizeMessage(ev({ chat_type: 'p2p', message_type: 'system', content: '{}' }), app, BOT, 'dm').kind).toBe('ignore');
  });

  it('turns a menu key into a command line, answered in the p2p chat when known', () => {
    const menu = { event_id: 'm1', event_key: 'avatar_use_lao-zhang', operator: { operator_id: { open_id: 'ou_u1' } }, timestamp: 1700000000 };
    expect(normalizeMenu(menu, app, 'oc_p2p')).toMatchObject({ kind: 'command', command: 'avatar', text: 'use lao-zhang', channelId: 'oc_p2p', channelType: 'dm', sentAt: 1700000000000 });
    expect(normalizeMenu({ ...menu, event_key: 'summarize' }, app, undefined)).toMatchObject({ command: 'summarize', text: '', channelId: 'ou_u1' });
    expect(normalizeMenu({ event_key: 'x' }, app, undefined)).toBeUndefined();
  });
});
