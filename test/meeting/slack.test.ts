import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai';
import type { SlackCall } from '../helpers/fake-slack';
import { eventBody, shownText, slashCommand, startSlack, type SlackHarness } from '../helpers/slack-harness';
import { PRIVATE_MARK, QUESTION, meetingWorkspace } from './workspace';

const LZ = 'Test Person lao-zhang';
const LX = 'Test Person lin-xiaoyu';

function text(c: SlackCall): string {
  return shownText([c]);
}

/**
 * The meeting as Slack shows it: its first message (posted loose in the channel, then edited with
 * progress), and the replies in that message's thread.
 */
function meetingThread(h: SlackHarness, channel: string): { root: SlackCall; replies: SlackCall[]; updates: SlackCall[] } {
  const posts = h.fake.of('chat.postMessage').filter((c) => c.args.channel === channel);
  const [root, ...replies] = posts;
  expect(text(root)).toMatch(/Avatar meeting/);
  expect(root.args.thread_ts).toBeUndefined();
  const updates = h.fake.of('chat.update').filter((c) => c.args.channel === channel);
  expect(updates.length).toBeGreaterThanOrEqual(1);
  const rootTs = updates[0].args.ts;
  expect(updates.every((u) => u.args.ts === rootTs)).toBe(true);
  expect(replies.every((r) => r.args.thread_ts === rootTs)).toBe(true);
  return { root, replies, updates };
}

describe('/meeting on Slack', () => {
  let h: SlackHarness | undefined;
  let model: FakeOpenAi | undefined;
  afterEach(async () => {
    await h?.close();
    await model?.close();
    h = undefined;
    model = undefined;
  });

  it('answers in one thread: the first message, one labelled and cited reply per avatar, then the extractive synthesis; progress updates the first message', async () => {
    h = await startSlack({ root: meetingWorkspace('slack') });
    const res = await h.send(slashCommand('meeting', `@lao-zhang-avatar @lin-xiaoyu-avatar ${QUESTION}`, { user: 'U1', channel: 'G_TEAM', channelName: 'privategroup' }), { form: true });
    expect(res.status).toBe(200);
    await h.idle();
    const { root, replies, updates } = meetingThread(h, 'G_TEAM');
    expect(text(root)).toMatch(new RegExp(`With ${LZ} \\(@lao-zhang-avatar\\), ${LX} \\(@lin-xiaoyu-avatar\\)`));
    expect(text(root)).toMatch(/not the person/);
    // The thread: exactly one reply per avatar, then the synthesis, all under the first message.
    expect(replies).toHaveLength(3);
    const [lz, lx, synthesis] = replies.map(text);
    expect(lz).toMatch(new RegExp(`Digital avatar of ${LZ} \\(not the person\\)`));
    expect(lz).toMatch(/\[1\] `runbooks\/rollback\.md`/);
    expect(lx).toMatch(new RegExp(`Digital avatar of ${LX} \\(not the person\\)`));
    expect(lx).toMatch(/\[1\] `release\/rollback-policy\.md`/);
    expect(synthesis).toMatch(/Moderator's synthesis/);
    expect(synthesis).toMatch(/Extractive moderator \(no language model\)/);
    expect(synthesis).toMatch(new RegExp(`Where they agree\\*\\\\n• .+ — ${LZ} \\[\\d\\], ${LX} \\[\\d\\]`));
    expect(synthesis).toMatch(/runbooks\/rollback\.md/);
    // Progress: the first message is edited as avatars answer, ending with all answered.
    expect(text(updates[updates.length - 1])).toMatch(/All 2 avatars answered/);
    // The thread is each avatar's conversation now: a follow-up there has the meeting as context.
    const conversation = `slack:T111:G_TEAM:${String(updates[0].args.ts)}`;
    for (const slug of ['lao-zhang', 'lin-xiaoyu']) {
      expect((await h.runtime.service.store.recentTurns(conversation, slug, 8)).map((t) => t.role)).toEqual(['user', 'avatar']);
    }
    // Each answer is audited like a question.
    const asks = (await h.runtime.service.store.auditEntries({ action: 'ask' })).filter((e) => e.detail?.meeting);
    expect(asks.map((e) => e.avatar).sort()).toEqual(['lao-zhang', 'lin-xiaoyu']);
    expect(asks.every((e) => e.actor === 'slack:U1')).toBe(true);
  });

  it('starts from a mention of the bot too (/meeting as the text of an app_mention), answered once', async () => {
    h = await startSlack({ root: meetingWorkspace('slack') });
    h.fake.channels.set('C_PRIV', { is_private: true });
    const line = `<@U_HUBBOT> /meeting @lao-zhang-avatar @lin-xiaoyu-avatar ${QUESTION}`;
    const mention = eventBody({ type: 'app_mention', channel: 'C_PRIV', user: 'U1', text: line });
    await h.send(mention);
    // The same message also arrives as message.groups.
    await h.send(eventBody({ type: 'message', channel_type: 'group', channel: 'C_PRIV', user: 'U1', text: line, ts: (mention.event as { ts: string }).ts }));
    await h.idle();
    const { replies } = meetingThread(h, 'C_PRIV');
    expect(replies).toHaveLength(3);
    expect(replies.map(text).join('\n')).toMatch(/runbooks\/rollback\.md[\s\S]*release\/rollback-policy\.md[\s\S]*Moderator's synthesis/);
  });

  it('in a public channel answers from public sources only: no team or private source is cited or quoted', async () => {
    h = await startSlack({ root: meetingWorkspace('slack') });
    await h.send(slashCommand('meeting', `@lao-zhang-avatar @lin-xiaoyu-avatar ${QUESTION}`, { user: 'U_MGR', channel: 'C_GENERAL', channelName: 'general' }), { form: true });
    await h.idle();
    const { replies } = meetingThread(h, 'C_GENERAL');
    expect(replies).toHaveLength(3);
    const shown = shownText(h.fake.calls);
    // U_MGR could read lao-zhang's private file in a DM; in a public channel nobody sees it.
    expect(shown).not.toContain(PRIVATE_MARK);
    expect(shown).not.toMatch(/runbooks\/rollback\.md|release\/rollback-policy\.md|private\//);
    expect(text(replies[0])).toMatch(/public\/rollback-faq\.md/);
    expect(text(replies[1])).toMatch(/public\/status-page\.md/);
    const asks = (await h.runtime.service.store.auditEntries({ action: 'ask' })).filter((e) => e.detail?.meeting);
    expect(asks.every((e) => e.detail?.surface === 'public_channel')).toBe(true);
  });

  it('leaves out an avatar the asker may not use, with a note, and audits the refusal', async () => {
    h = await startSlack({ root: meetingWorkspace('slack') });
    await h.send(slashCommand('meeting', `@lao-zhang-avatar @wang-fang-avatar @lin-xiaoyu-avatar ${QUESTION}`, { user: 'U1' }), { form: true });
    await h.idle();
    const { root, replies } = meetingThread(h, 'D_U1');
    expect(text(root)).toMatch(/Left out: Test Person wang-fang's avatar is limited to certain people and channels/);
    expect(replies).toHaveLength(3);
    expect(shownText(replies)).not.toMatch(/Digital avatar of Test Person wang-fang/);
    const denied = await h.runtime.service.store.auditEntries({ action: 'access_denied' });
    expect(denied.map((e) => [e.avatar, e.actor])).toEqual([['wang-fang', 'slack:U1']]);
  });

  it('refuses six avatars privately, naming the limit', async () => {
    h = await startSlack({ root: meetingWorkspace('slack') });
    const six = ['lao-zhang', 'lin-xiaoyu', 'wang-fang', 'a4', 'a5', 'a6'];
    await h.send(slashCommand('meeting', `${six.map((s) => `@${s}`).join(' ')} ${QUESTION}`, { user: 'U1', channel: 'C_GENERAL', channelName: 'general' }), { form: true });
    await h.idle();
    expect(h.fake.of('chat.postMessage')).toHaveLength(0);
    const said = h.fake.of('chat.postEphemeral').map((c) => String(c.args.text));
    expect(said).toEqual([expect.stringMatching(/A meeting has at most 5 avatars; you named 6 \(lao-zhang, lin-xiaoyu, wang-fang, a4, a5, a6\)/)]);
    expect(await h.runtime.service.store.auditEntries({ action: 'ask' })).toHaveLength(0);
  });

  it('with a model, calls the moderator with the answers as data and shows its points escaped, with their sources', async () => {
    model = await startFakeOpenAi((messages) => {
      if (messages[0].content.includes('moderator of a meeting')) {
        return JSON.stringify({
          agree: [
            { point: 'Both say to roll back first <!channel> and debug later [1]. <https://evil.example|click here>', cites: [{ avatar: 'lao-zhang', n: 1 }, { avatar: 'lin-xiaoyu', n: 1 }, { avatar: 'lao-zhang', n: 9 }] },
            { point: 'An uncited claim that must not be shown.', cites: [] },
          ],
          differ: [{ point: 'Only Sarah mentions telling merchants within 15 minutes.', cites: [{ avatar: 'lin-xiaoyu', n: 1 }] }],
          gaps: [{ point: 'Neither says who approves a rollback.', cites: [] }],
        });
      }
      return 'Roll back billing-gateway first, then debug [1].';
    });
    h = await startSlack({ root: meetingWorkspace('slack'), env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: model.baseURL, OPENAI_MODEL: 'gpt-test', OPENAI_MAX_RETRIES: '0' } });
    await h.send(slashCommand('meeting', `@lao-zhang-avatar @lin-xiaoyu-avatar ${QUESTION}`, { user: 'U1' }), { form: true });
    await h.idle();
    const moderator = model.requests.filter((r) => r.messages[0].content.includes('moderator of a meeting'));
    expect(moderator).toHaveLength(1);
    const prompt = moderator[0].messages.map((m) => m.content).join('\n');
    expect(prompt).toMatch(/untrusted DATA/);
    expect(prompt).toMatch(/<<<ANSWER avatar=lao-zhang[\s\S]*<<<ANSWER avatar=lin-xiaoyu/);
    const { replies } = meetingThread(h, 'D_U1');
    expect(replies).toHaveLength(3);
    const synthesis = text(replies[2]);
    expect(synthesis).toMatch(/Moderated by a language model \(gpt-test\)/);
    expect(synthesis).toContain('&lt;!channel&gt;');
    expect(synthesis).not.toContain('<!channel>');
    expect(synthesis).not.toMatch(/<https:\/\/evil\.example/);
    expect(synthesis).toMatch(new RegExp(`debug later.* — ${LZ} \\[1\\], ${LX} \\[1\\]`));
    expect(synthesis).not.toMatch(/\[9\]/);
    expect(synthesis).not.toMatch(/uncited claim/);
    expect(synthesis).toMatch(/Neither says who approves a rollback/);
  });
});
