import { WebClient } from '@slack/web-api';
import { webClientOptions } from '../../src/adapters/slack/adapter';
import { SlackTransport } from '../../src/adapters/slack/transport';
import { readHistory } from '../../src/chat/history';
import { silentLogger } from '../../src/log';
import { openStateStore } from '../../src/store/sqlite-store';
import { linksIn } from '../../src/summarize/links';
import { FakeSlack } from '../helpers/fake-slack';
import { tmpDir } from '../helpers/fixtures';
import { eventBody, startSlack, type SlackHarness } from '../helpers/slack-harness';

const CHANNEL = 'C0GEN';
const WS = 'https://test.slack.com';
const now = Math.floor(Date.now() / 1000);
let seq = 0;
/** A Slack ts `minutesAgo` minutes back, unique per call. */
const ago = (minutesAgo: number): string => `${now - minutesAgo * 60}.${String(100000 + ++seq).slice(-6)}`;

type Raw = Record<string, unknown> & { ts: string };

/** A channel's last day: a thread with a decision and a task, loose messages, an open question. */
function channelDay(): { top: Raw[]; replies: Map<string, Raw[]>; all: Raw[] } {
  const root: Raw = { type: 'message', user: 'U1', text: 'Plan for the billing-gateway v2.15 release: canary steps and rollback owner?', ts: ago(300), reply_count: 3, latest_reply: '' };
  const r1: Raw = { type: 'message', user: 'U2', text: 'Canary at 5% for an hour worked on staging.', ts: ago(290), thread_ts: root.ts };
  const r2: Raw = { type: 'message', user: 'U1', text: "We decided to ship on Thursday with the 5% canary.", ts: ago(280), thread_ts: root.ts };
  const r3: Raw = { type: 'message', user: 'U2', text: "I'll update the rollback runbook by Wednesday.", ts: ago(270), thread_ts: root.ts };
  root.latest_reply = r3.ts;
  const loose: Raw[] = [
    { type: 'message', user: 'U3', text: 'The ledger dashboard shows p99 latency at 800 ms since the migration.', ts: ago(200) },
    { type: 'message', subtype: 'channel_join', user: 'U4', text: '<@U4> has joined the channel', ts: ago(150) },
    { type: 'message', user: 'U4', text: 'Who owns the partner API on-call rota after the reorg?', ts: ago(100) },
    { type: 'message', bot_id: 'B9', text: 'deploy bot: build 512 passed', ts: ago(50) },
  ];
  const top = [loose[3], loose[2], loose[1], loose[0], root]; // newest first, as Slack pages them
  return { top, replies: new Map([[root.ts, [root, r1, r2, r3]]]), all: [root, r1, r2, r3, ...loose] };
}

function permalink(m: Raw): string {
  const base = `${WS}/archives/${CHANNEL}/p${m.ts.replace('.', '')}`;
  return m.thread_ts && m.thread_ts !== m.ts ? `${base}?thread_ts=${String(m.thread_ts)}&cid=${CHANNEL}` : base;
}

function command(text: string, opts: { user?: string; channel?: string; channelName?: string } = {}): string {
  return new URLSearchParams({
    token: 'verification_token',
    team_id: 'T111',
    api_app_id: 'A_HUB',
    channel_id: opts.channel ?? CHANNEL,
    channel_name: opts.channelName ?? 'general',
    user_id: opts.user ?? 'U1',
    user_name: 'u1',
    command: '/summarize',
    text,
    response_url: 'https://hooks.slack.com/commands/T111/1/x',
    trigger_id: `${++seq}.222.abc`,
  }).toString();
}

function setUp(fake: FakeSlack): { all: Raw[] } {
  const day = channelDay();
  fake.history[CHANNEL] = [{ messages: day.top.slice(0, 2) }, { messages: day.top.slice(2) }];
  for (const [ts, msgs] of day.replies) fake.replies.set(`${CHANNEL}:${ts}`, msgs as { text: string; ts: string }[]);
  const info = { is_private: false, name: 'general' };
  fake.channels.set(CHANNEL, info);
  fake.members.set(CHANNEL, ['U1', 'U2', 'U3', 'U4']);
  return { all: day.all };
}

const ephemerals = (h: SlackHarness, user = 'U1'): string[] => h.fake.of('chat.postEphemeral').filter((c) => c.args.user === user).map((c) => String(c.args.text));

describe('/summarize on Slack', () => {
  let h: SlackHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('summarises the last 7 days for a member, privately, every link a permalink of a fetched message', async () => {
    h = await startSlack();
    const { all } = setUp(h.fake);
    await h.send(command('7d'), { form: true });
    await h.idle();
    const texts = ephemerals(h);
    expect(texts[0]).toMatch(/^Reading #general \(7d\)…/);
    const summary = texts[texts.length - 1];
    expect(summary).toMatch(/\*\*Summary #general\*\*/);
    expect(summary).toMatch(/We decided to ship on Thursday with the 5% canary\./);
    expect(summary).toMatch(/I'll update the rollback runbook by Wednesday\. \(due Wednesday\)/);
    expect(summary).toMatch(/Who owns the partner API on-call rota after the reorg\?/);
    expect(summary).not.toMatch(/deploy bot|has joined/);
    expect(summary).toMatch(/_Covers \d+ messages (?:on|from) .*\(asked for: 7d\)\._/);
    const fetched = new Set(all.filter((m) => !m.bot_id && !m.subtype).map(permalink));
    const links = linksIn(summary);
    expect(links.length).toBeGreaterThan(3);
    for (const l of links) expect(fetched).toContain(l);
    // Both history pages were read, and the thread's replies.
    expect(h.fake.of('conversations.history').map((c) => c.args.cursor ?? null)).toEqual([null, '1']);
    expect(h.fake.of('conversations.replies')).toHaveLength(1);
    expect(h.fake.of('chat.postMessage')).toHaveLength(0);
  });

  it('posts for the whole channel only when asked to share', async () => {
    h = await startSlack();
    setUp(h.fake);
    await h.send(command('24h share'), { form: true });
    await h.idle();
    const posted = h.fake.of('chat.postMessage').filter((c) => c.args.channel === CHANNEL);
    expect(posted).toHaveLength(1);
    expect(String(posted[0].args.text)).toMatch(/\*\*Summary #general\*\*/);
  });

  it('refuses someone who is not a member of the channel, before reading anything', async () => {
    h = await startSlack();
    setUp(h.fake);
    await h.send(command('7d', { user: 'U9' }), { form: true });
    await h.idle();
    expect(ephemerals(h, 'U9')).toEqual([expect.stringMatching(/Only members of a channel can have it summarised/)]);
    expect(h.fake.of('conversations.history')).toHaveLength(0);
  });

  it('tells how to add the bot when it is not in the channel', async () => {
    h = await startSlack();
    setUp(h.fake);
    h.fake.fail('conversations.history', { error: 'not_in_channel', times: 1 });
    await h.send(command(''), { form: true });
    await h.idle();
    expect(ephemerals(h).pop()).toMatch(/I'm not in #general, so I can't read it\. Add me first: in that channel type `\/invite`/);
  });

  it('refuses a thread link from another workspace', async () => {
    h = await startSlack();
    setUp(h.fake);
    await h.send(command('thread https://other-corp.slack.com/archives/C0GEN/p1700000000000100'), { form: true });
    await h.idle();
    expect(ephemerals(h)).toEqual([expect.stringMatching(/That link is from another workspace \(other-corp\.slack\.com\)/)]);
    expect(h.fake.of('conversations.replies')).toHaveLength(0);
  });

  it('summarises a thread given by its link in this workspace', async () => {
    h = await startSlack();
    const { all } = setUp(h.fake);
    const root = all[0];
    await h.send(command(`thread <${WS}/archives/${CHANNEL}/p${root.ts.replace('.', '')}>`), { form: true });
    await h.idle();
    const summary = ephemerals(h).pop() ?? '';
    expect(summary).toMatch(/\*\*Thread summary #general\*\*/);
    expect(summary).toMatch(/A thread of 4 messages from 2 people/);
    expect(summary).toMatch(/_Covers 4 messages .*\(asked for: this thread\)\._/);
    expect(h.fake.of('conversations.history')).toHaveLength(0);
  });

  it("keeps a private channel's summary from being shared into another channel", async () => {
    h = await startSlack();
    setUp(h.fake);
    h.fake.channelList = [{ id: 'G0SEC', name: 'secret', is_private: true, is_member: true }];
    h.fake.members.set('G0SEC', ['U1']);
    const info = { is_private: true, name: 'secret' };
    h.fake.channels.set('G0SEC', info);
    h.fake.history.G0SEC = [{ messages: [{ type: 'message', user: 'U1', text: 'Salary bands for 2025 are decided: we decided to keep them flat.', ts: ago(30) }] }];
    await h.send(command('#secret share'), { form: true });
    await h.idle();
    expect(h.fake.of('chat.postMessage')).toHaveLength(0);
    const summary = ephemerals(h).pop() ?? '';
    expect(summary).toMatch(/\*\*Summary #secret\*\*/);
    expect(summary).toMatch(/That channel is private, so this summary is only for you\./);
  });

  it('shows progress while reading a long range', async () => {
    h = await startSlack();
    h.fake.channels.set(CHANNEL, { is_private: false });
    h.fake.members.set(CHANNEL, ['U1']);
    h.fake.history[CHANNEL] = Array.from({ length: 6 }, (_, p) => ({
      messages: Array.from({ length: 200 }, (_, i) => ({ type: 'message', user: `U${i % 7}`, text: `status update ${p * 200 + i} on the ledger migration`, ts: ago(1000 + p * 200 + i) })),
    }));
    await h.send(command('7d'), { form: true });
    await h.idle();
    const texts = ephemerals(h);
    expect(texts).toContainEqual('Still reading: 1,000 messages so far…');
    expect(texts[texts.length - 1]).toMatch(/1200 messages/);
  });
});

describe('summary intent on Slack', () => {
  let h: SlackHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('answers "@avatar summarize this thread" in the avatar\'s voice with its label, privately', async () => {
    h = await startSlack();
    const { all } = setUp(h.fake);
    const root = all[0];
    await h.send(eventBody({ type: 'app_mention', channel: CHANNEL, user: 'U2', text: '<@U_HUBBOT> @lao-zhang-avatar summarize this thread', thread_ts: root.ts }));
    await h.idle();
    const summary = ephemerals(h, 'U2').pop() ?? '';
    expect(summary).toMatch(/^🤖 Digital avatar of Test Person lao-zhang \(not the person\)\nI read the 4 messages of this thread; here is my summary\./);
    expect(summary).toMatch(/We decided to ship on Thursday/);
    for (const l of linksIn(summary)) expect(all.map(permalink)).toContain(l);
  });

  it('understands 总结一下 and answers in Chinese for a Chinese thread', async () => {
    h = await startSlack();
    const root: Raw = { type: 'message', user: 'U1', text: '双十一扩容方案：订单服务扩到 60 个副本，大家看看？', ts: ago(60), reply_count: 2 };
    const replies: Raw[] = [
      root,
      { type: 'message', user: 'U2', text: '那就这么定了，周五前完成压测。', ts: ago(50), thread_ts: root.ts },
      { type: 'message', user: 'U3', text: '我来写扩容脚本。', ts: ago(40), thread_ts: root.ts },
    ];
    h.fake.replies.set(`${CHANNEL}:${root.ts}`, replies as { text: string; ts: string }[]);
    h.fake.members.set(CHANNEL, ['U1', 'U2', 'U3']);
    await h.send(eventBody({ type: 'app_mention', channel: CHANNEL, user: 'U3', text: '<@U_HUBBOT> @lao-zhang-avatar 总结一下', thread_ts: root.ts }));
    await h.idle();
    const summary = ephemerals(h, 'U3').pop() ?? '';
    expect(summary).toMatch(/^🤖 Test Person lao-zhang的数字分身（非本人）\n我读了这个讨论串的 3 条消息/);
    expect(summary).toMatch(/\*\*决定\*\*\n• \S+：那就这么定了，周五前完成压测。/);
  });
});

describe('Slack history transport', () => {
  it('pages through conversations.history and waits out a 429 in the middle', async () => {
    const fake = new FakeSlack();
    await fake.start();
    fake.tokens.set('xoxb-t', { user_id: 'U_BOT', team_id: 'T111', bot_id: 'B1' });
    fake.history[CHANNEL] = [0, 1, 2].map((p) => ({ messages: [0, 1].map((i) => ({ type: 'message', user: 'U1', text: `page ${p} message ${i}`, ts: ago(10 + p * 2 + i) })) }));
    const store = openStateStore(tmpDir('summarize-store-'));
    try {
      const transport = new SlackTransport(new WebClient('xoxb-t', webClientOptions(fake.url)), 'U_BOT', store, silentLogger);
      const pages: number[] = [];
      const messages = await readHistory(transport.history(), CHANNEL, { oldest: Date.now() - 86_400_000 }, (p) => {
        pages.push(p.messages);
        if (p.pages === 1) fake.fail('conversations.history', { status: 429, retryAfter: 1, times: 1 });
      });
      expect(messages.map((m) => m.text)).toEqual(['page 2 message 1', 'page 2 message 0', 'page 1 message 1', 'page 1 message 0', 'page 0 message 1', 'page 0 message 0']);
      expect(pages).toEqual([2, 4, 6]);
      const calls = fake.of('conversations.history');
      expect(calls.map((c) => [c.args.cursor ?? null, Boolean(c.args.failed)])).toEqual([[null, false], ['1', true], ['1', false], ['2', false]]);
      expect(messages.every((m) => m.link?.startsWith(`${WS}/archives/${CHANNEL}/p`))).toBe(true);
      expect(messages[0].userName).toBe('user-U1');
    } finally {
      store.close();
      await fake.stop();
    }
  });

  it('tells links of this workspace from links of another', async () => {
    const fake = new FakeSlack();
    await fake.start();
    fake.tokens.set('xoxb-t', { user_id: 'U_BOT', team_id: 'T111', bot_id: 'B1' });
    const store = openStateStore(tmpDir('summarize-store-'));
    try {
      const reader = new SlackTransport(new WebClient('xoxb-t', webClientOptions(fake.url)), 'U_BOT', store, silentLogger).history();
      expect(await reader.resolveLink(`${WS}/archives/C0GEN/p1700000000000100?thread_ts=1699999999.000200&cid=C0GEN`)).toEqual({ kind: 'message', channelId: 'C0GEN', messageId: '1700000000.000100', threadId: '1699999999.000200' });
      expect(await reader.resolveLink('https://evil.slack.com/archives/C0GEN/p1700000000000100')).toEqual({ kind: 'foreign', host: 'evil.slack.com' });
      expect(await reader.resolveLink('https://example.com/archives/C0GEN/p1700000000000100')).toEqual({ kind: 'invalid' });
    } finally {
      store.close();
      await fake.stop();
    }
  });
});
