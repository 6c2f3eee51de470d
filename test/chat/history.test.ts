import { WebClient } from '@slack/web-api';
import { LarkHistory } from '../../src/adapters/lark/history';
import { LarkApi } from '../../src/adapters/lark/open-api';
import { webClientOptions } from '../../src/adapters/slack/adapter';
import { SlackHistory } from '../../src/adapters/slack/history';
import { slackCall } from '../../src/adapters/slack/web-errors';
import { readHistory } from '../../src/chat/history';
import { silentLogger } from '../../src/log';
import { FakeSlack } from '../helpers/fake-slack';
import { HUB_APP, HUB_SECRET, newFakeLark } from '../helpers/lark-harness';
import type { FakeLark } from '../helpers/fake-lark';

const now = Math.floor(Date.now() / 1000);
const ts = (minutesAgo: number, n = 0): string => `${now - minutesAgo * 60}.${String(100000 + n).slice(-6)}`;

describe('Slack history reader (real WebClient, fake Slack)', () => {
  let fake: FakeSlack;
  const reader = (): SlackHistory => new SlackHistory(new WebClient('xoxb-t', webClientOptions(fake.url)), (m, fn) => slackCall(m, fn, silentLogger), silentLogger);
  beforeEach(async () => {
    fake = new FakeSlack();
    await fake.start();
    fake.tokens.set('xoxb-t', { user_id: 'U_BOT', team_id: 'T111', bot_id: 'B1' });
  });
  afterEach(() => fake.stop());

  it('resumes a channel read from a saved cursor in a new reader, without repeating or losing messages', async () => {
    fake.history.C1 = [0, 1, 2].map((p) => ({ messages: [0, 1].map((i) => ({ type: 'message', user: 'U1', text: `page ${p} message ${i}`, ts: ts(30 - p * 2 - i, p * 2 + i) })) }));
    const first = await reader().page('C1', {});
    expect(first.messages.map((m) => m.text)).toEqual(['page 0 message 0', 'page 0 message 1']);
    expect(first.next).toBeDefined();
    // What a crashed job saved is all a new process needs.
    const texts: string[] = [];
    let cursor = first.next;
    while (cursor) {
      const page = await reader().page('C1', {}, cursor);
      texts.push(...page.messages.map((m) => m.text));
      cursor = page.next;
    }
    expect(texts).toEqual(['page 1 message 0', 'page 1 message 1', 'page 2 message 0', 'page 2 message 1']);
    expect(fake.of('conversations.history').map((c) => c.args.cursor ?? null)).toEqual([null, '1', '2']);
    const all = await readHistory(reader(), 'C1', {});
    expect(all).toHaveLength(6);
    expect(all.every((m) => m.link?.startsWith('https://test.slack.com/archives/C1/p'))).toBe(true);
  });

  it('reads the replies of a thread a bot started, though the bot message itself is left out', async () => {
    const root = ts(20);
    fake.history.C1 = [{ messages: [{ type: 'message', bot_id: 'B9', text: 'deploy 512 failed', ts: root, thread_ts: root, reply_count: 1, latest_reply: ts(10) }] }];
    fake.replies.set(`C1:${root}`, [
      { bot_id: 'B9', text: 'deploy 512 failed', ts: root },
      { user: 'U2', text: 'rolling back now', ts: ts(10) },
    ]);
    const messages = await readHistory(reader(), 'C1', { oldest: Date.now() - 3_600_000 });
    expect(messages.map((m) => [m.text, m.threadId])).toEqual([['rolling back now', root]]);
  });

  it('stops at maxMessages', async () => {
    fake.history.C1 = [0, 1, 2].map((p) => ({ messages: [0, 1].map((i) => ({ type: 'message', user: 'U1', text: `m${p}${i}`, ts: ts(30 - p * 2 - i, p * 2 + i) })) }));
    expect(await readHistory(reader(), 'C1', { maxMessages: 3 })).toHaveLength(3);
    expect(fake.of('conversations.history')).toHaveLength(2);
  });
});

describe('Feishu history reader (real Lark client, fake Feishu)', () => {
  let fake: FakeLark;
  const reader = (): LarkHistory => new LarkHistory(new LarkApi({ name: 'hub', appId: HUB_APP, appSecret: HUB_SECRET }, fake.url, silentLogger), silentLogger);
  const t = Date.now() - 3_600_000;
  beforeEach(async () => {
    fake = await newFakeLark();
  });
  afterEach(() => fake.stop());

  it('reads a topic thread from the thread container its root opened', async () => {
    fake.seed({ message_id: 'om_root', chat_id: 'oc_team', thread_id: 'omt_topic', sender: 'ou_a', content: JSON.stringify({ text: '扩容方案？' }), create_time: String(t) });
    fake.seed({ message_id: 'om_r1', chat_id: 'oc_team', root_id: 'om_root', thread_id: 'omt_topic', sender: 'ou_b', content: JSON.stringify({ text: '同意。' }), create_time: String(t + 60_000) });
    fake.seed({ message_id: 'om_other', chat_id: 'oc_team', sender: 'ou_a', content: JSON.stringify({ text: '别的话题' }), create_time: String(t + 120_000) });
    const messages = await readHistory(reader(), 'oc_team', { threadId: 'om_root' });
    expect(messages.map((m) => m.id)).toEqual(['om_root', 'om_r1']);
    expect(messages[0]).toMatchObject({ threadId: 'om_root', replyCount: 1 });
    expect(fake.of('im.v1.message.list').map((c) => [c.query.container_id_type, c.query.container_id])).toEqual([['thread', 'omt_topic']]);
  });

  it('reads a reply chain with no container from the chat, by root id', async () => {
    fake.seed({ message_id: 'om_root', chat_id: 'oc_team', sender: 'ou_a', content: JSON.stringify({ text: '谁负责？' }), create_time: String(t) });
    fake.seed({ message_id: 'om_r1', chat_id: 'oc_team', root_id: 'om_root', sender: 'ou_b', content: JSON.stringify({ text: '我来。' }), create_time: String(t + 60_000) });
    fake.seed({ message_id: 'om_other', chat_id: 'oc_team', sender: 'ou_a', content: JSON.stringify({ text: '别的话题' }), create_time: String(t + 120_000) });
    const messages = await readHistory(reader(), 'oc_team', { threadId: 'om_root' });
    expect(messages.map((m) => m.id)).toEqual(['om_root', 'om_r1']);
    expect(fake.of('im.v1.message.list').map((c) => c.query.container_id_type)).toEqual(['chat']);
  });
});
