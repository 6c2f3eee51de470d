import type { FakeLark } from '../helpers/fake-lark';
import { answerCards, cards, messageEvent, shownText, startLark, type LarkHarness } from '../helpers/lark-harness';

/** Replies and patches as sent: which message each one names (the parent of a reply, the card patched). */
function sent(fake: FakeLark): { method: string; target: string; inThread: boolean; text: string }[] {
  return fake.calls
    .filter((c) => !c.failed && (c.method === 'im.v1.message.reply' || c.method === 'im.v1.message.patch'))
    .map((c) => ({ method: c.method, target: /\/messages\/([^/]+)/.exec(c.path)?.[1] ?? '', inThread: c.body.reply_in_thread === true, text: JSON.stringify(c.content ?? {}) }));
}
import { PRIVATE_MARK, QUESTION, meetingWorkspace } from './workspace';

describe('/meeting on Feishu', () => {
  let h: LarkHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('an encrypted group message starts a meeting: its first message, then each avatar in its thread, then the synthesis', async () => {
    h = await startLark({ root: meetingWorkspace('lark') });
    h.fake.chats.set('oc_team', { chat_type: 'private', name: '支付平台组' });
    // One avatar named by @mentioning the person (a display name with spaces), one typed as a handle.
    const text = `@_user_1 /meeting @_user_2 @lin-xiaoyu-avatar ${QUESTION}`;
    const res = await h.send(
      messageEvent(h.fake, { chatType: 'group', chatId: 'oc_team', user: 'ou_member1', mentionBot: true, others: [{ id: 'ou_laozhang', name: 'Test Person lao-zhang' }], content: JSON.stringify({ text }) }),
    );
    expect(res.status).toBe(200);
    await h.idle();
    const shown = sent(h.fake);
    const first = shown.find((c) => c.text.includes('Avatar meeting'));
    expect(first?.method).toBe('im.v1.message.reply');
    expect(first?.inThread).toBe(false);
    expect(first?.text).toMatch(/With Test Person lao-zhang \(@lao-zhang-avatar\), Test Person lin-xiaoyu \(@lin-xiaoyu-avatar\)/);
    // Progress patches the first message; its id is the thread everything else replies in.
    const patches = shown.filter((c) => c.method === 'im.v1.message.patch');
    expect(patches.length).toBeGreaterThanOrEqual(1);
    const rootId = patches[0].target;
    expect(first?.target).not.toBe(rootId);
    expect(patches[patches.length - 1].text).toMatch(/All 2 avatars answered/);
    const inThread = shown.filter((c) => c.method === 'im.v1.message.reply' && c.target === rootId);
    expect(inThread).toHaveLength(3);
    expect(inThread.every((c) => c.inThread)).toBe(true);
    const answers = answerCards(h.fake);
    expect(answers).toHaveLength(2);
    expect(answers[0].text).toMatch(/Digital avatar of Test Person lao-zhang \(not the person\)/);
    expect(answers[0].text).toMatch(/\[1\] .*runbooks\/rollback\.md/);
    expect(answers[1].text).toMatch(/Digital avatar of Test Person lin-xiaoyu \(not the person\)/);
    expect(answers[1].text).toMatch(/\[1\] .*release\/rollback-policy\.md/);
    const synthesis = inThread[2].text;
    expect(synthesis).toMatch(/Moderator's synthesis/);
    expect(synthesis).toMatch(/Extractive moderator \(no language model\)/);
    expect(synthesis).toMatch(/Where they agree\*\*\\n• .+ — Test Person lao-zhang \[\d\], Test Person lin-xiaoyu \[\d\]/);
    expect(shownText(h.fake)).not.toContain(PRIVATE_MARK);
    const asks = (await h.runtime.service.store.auditEntries({ action: 'ask' })).filter((e) => e.detail?.meeting);
    expect(asks.map((e) => [e.avatar, e.actor]).sort()).toEqual([['lao-zhang', 'lark:ou_member1'], ['lin-xiaoyu', 'lark:ou_member1']]);
  });

  it('leaves out an avatar the asker may not use, with a note in the first message', async () => {
    h = await startLark({ root: meetingWorkspace('lark') });
    await h.send(messageEvent(h.fake, { user: 'ou_member1', text: `/meeting @lao-zhang-avatar @wang-fang-avatar ${QUESTION}` }));
    await h.idle();
    const first = cards(h.fake).find((c) => c.text.includes('Avatar meeting'));
    expect(first?.text).toMatch(/Left out: Test Person wang-fang's avatar is limited to certain people and channels/);
    expect(answerCards(h.fake).map((c) => /Digital avatar of (Test Person [a-z-]+)/.exec(c.text)?.[1])).toEqual(['Test Person lao-zhang']);
  });
});
