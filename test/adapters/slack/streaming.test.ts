import { WebClient } from '@slack/web-api';
import { streamableDraft } from '../../../src/adapters/slack/render';
import { SlackTransport } from '../../../src/adapters/slack/transport';
import { silentLogger } from '../../../src/log';
import { SqliteStateStore } from '../../../src/store/sqlite-store';
import { startFakeOpenAi, type FakeOpenAi } from '../../helpers/fake-openai';
import { FakeSlack, type SlackCall } from '../../helpers/fake-slack';
import { eventBody, LZ_SECRET, startSlack, type SlackHarness } from '../../helpers/slack-harness';

/**
 * Answers stream in Slack: a signed event into the real Bolt receiver, the real ChatOpenAI on a
 * slowly streaming fake endpoint, and the fake Web API recording what users would see.
 */
const REPLY =
  'Roll back first [1]. If it touches money, run deployctl rollback billing-gateway to v2.14.2, then debug later, calmly and with the logs in hand. ' +
  'Tell the channel what you did and why, so nobody redeploys the broken build while you look. Keep the incident notes short and factual. ';

const DRAFT_METHODS = ['chat.startStream', 'chat.appendStream'];
const isDraftUpdate = (c: SlackCall) => c.method === 'chat.update' && JSON.stringify(c.args.blocks ?? '').includes('✍️');
const isAnswer = (c: SlackCall) => !c.args.failed && (c.method === 'chat.update' || c.method === 'chat.postMessage') && JSON.stringify(c.args.blocks ?? '').includes('understudy_feedback');

/** The least gap between two drafts as the fake sees them: the transports send one a second; arrival can lag a send. */
const THROTTLE_FLOOR_MS = 750;
/** Gaps between consecutive calls, in ms. */
const gaps = (calls: SlackCall[]) => calls.slice(1).map((c, i) => (c.at ?? 0) - (calls[i].at ?? 0));

describe('Slack: answers appear as they are written', () => {
  let h: SlackHarness | undefined;
  let fake: FakeOpenAi;
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await fake?.close();
  });

  const start = async (reply = REPLY) => {
    fake = await startFakeOpenAi(() => reply);
    fake.mode = 'slow';
    fake.slowMs = 120;
    h = await startSlack({ env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.baseURL, OPENAI_MAX_RETRIES: '0' } });
    return h;
  };
  const ask = (hh: SlackHarness, text: string, opts: { user?: string; thread?: string } = {}) => {
    const user = opts.user ?? 'U1';
    return hh.send(eventBody({ type: 'message', channel_type: 'im', channel: `D_${user}`, user, text, ...(opts.thread ? { thread_ts: opts.thread } : {}) }, { app: 'A_LZ' }), { secret: LZ_SECRET });
  };

  it('in a thread: chat.startStream replaces the status, chat.appendStream at most once a second, then chat.stopStream and the checked answer with label and sources', async () => {
    const hh = await start();
    expect((await ask(hh, 'How do I roll back billing-gateway?', { thread: '1700000000.000100' })).status).toBe(200);
    await hh.idle();
    const calls = hh.fake.calls;
    const status = calls.find((c) => c.method === 'chat.postMessage');
    const started = hh.fake.of('chat.startStream');
    expect(started).toHaveLength(1);
    expect(started[0].args).toMatchObject({ channel: 'D_U1', thread_ts: '1700000000.000100' });
    // The stream replaces the status message, which goes.
    expect(hh.fake.of('chat.delete')[0].args).toMatchObject({ channel: 'D_U1', ts: status?.args.ts ?? expect.any(String) });
    expect(hh.fake.streaming.size).toBe(0);
    const appended = hh.fake.of('chat.appendStream');
    expect(appended.length).toBeGreaterThanOrEqual(1);
    // What the stream shows is the model's text so far, in order.
    const streamed = [started[0], ...appended].map((c) => String(c.args.markdown_text)).join('');
    expect(REPLY.startsWith(streamed)).toBe(true);
    // At most one draft a second, counted from the status (arrival times: leeway for a loaded machine; unthrottled they would be 120 ms apart).
    const drafts = calls.filter((c) => DRAFT_METHODS.includes(c.method));
    for (const g of gaps([status as SlackCall, ...drafts])) expect(g).toBeGreaterThanOrEqual(THROTTLE_FLOOR_MS);
    // The stream is stopped, then its message replaced by the checked answer, label and sources included; nothing after it.
    const stop = hh.fake.of('chat.stopStream')[0];
    const final = calls.filter(isAnswer);
    expect(final).toHaveLength(1);
    expect(calls.indexOf(stop)).toBeLessThan(calls.indexOf(final[0]));
    expect(final[0].method).toBe('chat.update');
    const blocks = JSON.stringify(final[0].args.blocks);
    expect(blocks).toMatch(/Roll back first \[1\]/);
    expect(blocks).toMatch(/rollback\.md/);
    expect(blocks).toMatch(/digital avatar/i);
    expect(final[0].args.ts).toBe(stop.args.ts);
    expect(calls.slice(calls.indexOf(final[0]) + 1).filter((c) => DRAFT_METHODS.includes(c.method) || isDraftUpdate(c))).toHaveLength(0);
  }, 30_000);

  it('where the workspace refuses chat.startStream: throttled chat.update drafts, and the refusal is remembered', async () => {
    const hh = await start();
    hh.fake.fail('chat.startStream', { error: 'not_allowed', times: Infinity });
    await ask(hh, 'How do I roll back billing-gateway?', { thread: '1700000000.000200' });
    await hh.idle();
    await ask(hh, 'How do I roll back billing-gateway?', { user: 'U2', thread: '1700000000.000300' });
    await hh.idle();
    expect(hh.fake.of('chat.startStream')).toHaveLength(1);
    for (const user of ['D_U1', 'D_U2']) {
      const calls = hh.fake.calls.filter((c) => c.args.channel === user);
      const status = calls.find((c) => c.method === 'chat.postMessage') as SlackCall;
      const drafts = calls.filter(isDraftUpdate);
      expect(drafts.length).toBeGreaterThanOrEqual(1);
      // Every draft rewrites the status message, which the answer then replaces.
      const placeholder = drafts[0].args.ts;
      for (const d of drafts) expect(d.args.ts).toBe(placeholder);
      for (const g of gaps([status, ...drafts])) expect(g).toBeGreaterThanOrEqual(THROTTLE_FLOOR_MS);
      // Drafts carry neither label nor sources; the answer does, and comes last.
      expect(JSON.stringify(drafts.map((d) => d.args.blocks))).not.toMatch(/understudy_feedback|rollback\.md|digital avatar/i);
      const final = calls.filter(isAnswer);
      expect(final).toHaveLength(1);
      expect(calls.indexOf(final[0])).toBe(calls.length - 1);
      expect(JSON.stringify(final[0].args.blocks)).toMatch(/rollback\.md/);
      expect(final[0].args.ts).toBe(placeholder);
    }
  }, 40_000);

  it('a DM answered at the top level keeps its place: chat.update drafts, no thread opened for a stream', async () => {
    const hh = await start();
    await ask(hh, 'How do I roll back billing-gateway?');
    await hh.idle();
    expect(hh.fake.of('chat.startStream')).toHaveLength(0);
    expect(hh.fake.calls.filter(isDraftUpdate).length).toBeGreaterThanOrEqual(1);
    expect(hh.fake.calls.filter(isAnswer)).toHaveLength(1);
  }, 30_000);

  it('a stream cut half-way: the draft is replaced by a complete offline answer with label and sources', async () => {
    const hh = await start();
    fake.mode = 'drop';
    fake.cutAfter = 12;
    await ask(hh, 'How do I roll back billing-gateway?', { thread: '1700000000.000400' });
    await hh.idle();
    const calls = hh.fake.calls;
    // The partial model text was shown as it came...
    expect(hh.fake.of('chat.startStream')).toHaveLength(1);
    const stop = hh.fake.of('chat.stopStream')[0];
    expect(stop).toBeDefined();
    // ...and the offline answer replaced it whole: quoted sources, the reason, label, buttons.
    const final = calls.filter(isAnswer);
    expect(final).toHaveLength(1);
    expect(final[0].args.ts).toBe(stop.args.ts);
    const blocks = JSON.stringify(final[0].args.blocks);
    expect(blocks).toMatch(/language model is unavailable right now/);
    expect(blocks).toMatch(/Quoted from/);
    expect(blocks).toMatch(/rollback\.md/);
    expect(blocks).toMatch(/digital avatar/i);
    expect(blocks).not.toMatch(/calmly/);
    expect(calls.slice(calls.indexOf(final[0]) + 1).filter((c) => DRAFT_METHODS.includes(c.method) || isDraftUpdate(c))).toHaveLength(0);
    expect(hh.fake.streaming.size).toBe(0);
  }, 30_000);

  it('model text in drafts is escaped like an answer: no broadcast or mention in any draft, no link in a stream', async () => {
    const evil = 'Roll back first [1]. <!channel> ping <@U0ADMIN> and see [the runbook](https://evil.example/steal) for details, then debug later. '.repeat(3);
    const hh = await start(evil);
    await ask(hh, 'How do I roll back billing-gateway?', { thread: '1700000000.000500' });
    await ask(hh, 'How do I roll back billing-gateway?', { user: 'U2' });
    // In a channel the answer streams into the question's thread, for the one who asked.
    await hh.send(eventBody({ type: 'message', channel_type: 'group', channel: 'C_GEN', user: 'U3', text: '<@U_HUBBOT> @lao-zhang-avatar how do I roll back billing-gateway?' }));
    await hh.idle();
    expect(hh.fake.of('chat.startStream').find((c) => c.args.channel === 'C_GEN')?.args).toMatchObject({ recipient_user_id: 'U3', recipient_team_id: 'T111', thread_ts: expect.any(String) });
    const drafts = hh.fake.calls.filter((c) => DRAFT_METHODS.includes(c.method) || isDraftUpdate(c));
    expect(drafts.length).toBeGreaterThanOrEqual(2);
    const shown = drafts.map((c) => `${String(c.args.markdown_text ?? '')}${String(c.args.text ?? '')}${JSON.stringify(c.args.blocks ?? '')}`).join('\n');
    expect(shown).not.toMatch(/<!channel>|<@U0ADMIN>/);
    expect(shown).toMatch(/&lt;!channel&gt;/);
    // The stream's markdown would make a live link of it: it shows the address instead.
    const streamed = drafts.filter((c) => DRAFT_METHODS.includes(c.method)).map((c) => String(c.args.markdown_text)).join('');
    expect(streamed).toMatch(/the runbook \(https:\/\/evil\.example\/steal\)/);
    expect(streamed).not.toMatch(/\]\(/);
  }, 30_000);

  it('in an assistant thread (native status, no placeholder): the first draft opens the stream, the answer replaces it', async () => {
    const hh = await start();
    const thread = { user_id: 'U1', context: { channel_id: 'C_GEN', team_id: 'T111' }, channel_id: 'D_U1', thread_ts: '1760000000.000900' };
    await hh.send(eventBody({ type: 'assistant_thread_started', assistant_thread: thread }, { app: 'A_LZ' }), { secret: LZ_SECRET });
    await hh.idle();
    const from = hh.fake.calls.length;
    await ask(hh, 'How do I roll back billing-gateway?', { thread: '1760000000.000900' });
    await hh.idle();
    const calls = hh.fake.calls.slice(from).filter((c) => c.args.channel === 'D_U1' || c.args.channel_id === 'D_U1');
    expect(hh.fake.of('chat.delete')).toHaveLength(0);
    const started = hh.fake.of('chat.startStream');
    expect(started).toHaveLength(1);
    expect(calls.findIndex((c) => c.method === 'assistant.threads.setStatus')).toBeLessThan(calls.indexOf(started[0]));
    expect(calls.findIndex((c) => c.method === 'assistant.threads.setStatus')).toBeGreaterThanOrEqual(0);
    const stop = hh.fake.of('chat.stopStream')[0];
    const final = calls.filter(isAnswer);
    expect(final).toHaveLength(1);
    expect(final[0].method).toBe('chat.update');
    expect(final[0].args.ts).toBe(stop.args.ts);
    expect(JSON.stringify(final[0].args.blocks)).toMatch(/rollback\.md/);
    expect(calls.filter((c) => c.method === 'chat.postMessage' && JSON.stringify(c.args.blocks ?? '').includes('looking through'))).toHaveLength(0);
  }, 30_000);
});

describe('SlackTransport: an answer whose message is gone', () => {
  it('is posted anew (a worker died after its stream replaced the placeholder, and the retry updates the deleted placeholder)', async () => {
    const fake = new FakeSlack();
    await fake.start();
    fake.tokens.set('xoxb-lz', { user_id: 'U_LZBOT', team_id: 'T111', bot_id: 'B_LZ' });
    const store = new SqliteStateStore(':memory:');
    try {
      const transport = new SlackTransport(new WebClient('xoxb-lz', { slackApiUrl: fake.url, retryConfig: { retries: 0 } }), 'U_LZBOT', store, silentLogger);
      const target = { channelId: 'D_U1', threadId: '1760000000.000100', userId: 'U1' };
      const placeholder = await transport.post(target, { kind: 'status', text: 'looking…' });
      fake.deleted.add(`D_U1:${placeholder.messageId}`);
      await transport.update(placeholder, { kind: 'notice', text: 'Roll back first.' });
      expect(fake.of('chat.update').at(-1)?.args.ts).toBe(placeholder.messageId);
      const posted = fake.of('chat.postMessage').at(-1);
      expect(posted?.args).toMatchObject({ channel: 'D_U1', thread_ts: '1760000000.000100', text: 'Roll back first.' });
    } finally {
      store.close();
      await fake.stop();
    }
  });
});

describe('streamableDraft: what an append-only stream may show of a draft', () => {
  it('only ever grows: every prefix of a reply renders as a prefix of the whole, with links as text and mentions escaped', () => {
    const reply = 'Roll back first [1]. See [the runbook](https://wiki.example/rb) & <!channel> &lt; <@U1>; 先回滚 [2]。\n\n```\ndeployctl rollback <svc>\n```\n[3] done.';
    const whole = streamableDraft(reply);
    expect(whole).toContain('the runbook (https://wiki.example/rb)');
    expect(whole).not.toMatch(/<!channel>|<@U1>|\]\(/);
    let previous = '';
    for (let i = 1; i <= reply.length; i++) {
      const shown = streamableDraft(reply.slice(0, i));
      expect(whole.startsWith(shown)).toBe(true);
      expect(shown.startsWith(previous)).toBe(true);
      previous = shown;
    }
  });
});

