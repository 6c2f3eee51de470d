import { eventBody, LZ_SECRET, shownText, startSlack, type SlackHarness } from '../../helpers/slack-harness';

/** The answer a channel/DM finally shows: the placeholder's chat.update, or a direct post. */
function answers(h: SlackHarness): { channel: string; thread?: string; text: string; blocks: string }[] {
  return h.fake.calls
    .filter((c) => !c.args.failed && (c.method === 'chat.update' || c.method === 'chat.postMessage') && JSON.stringify(c.args.blocks ?? '').includes('understudy_feedback'))
    .map((c) => ({ channel: String(c.args.channel), thread: c.args.thread_ts as string | undefined, text: String(c.args.text), blocks: JSON.stringify(c.args.blocks) }));
}

describe('Slack events through the real Bolt receiver', () => {
  let h: SlackHarness;
  afterEach(async () => {
    await h?.close();
  });

  it('answers a DM to a per-avatar app in the DM, with disclosure, citations, label and feedback buttons', async () => {
    h = await startSlack();
    const res = await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_U1', user: 'U1', text: 'How do I roll back billing-gateway?' }, { app: 'A_LZ' }), { secret: LZ_SECRET });
    expect(res.status).toBe(200);
    await h.idle();
    const [a] = answers(h);
    expect(a.channel).toBe('D_U1');
    expect(a.text).toMatch(/^Hello, I am the digital avatar of Test Person lao-zhang/);
    expect(a.blocks).toMatch(/runbooks\/rollback.md/);
    expect(a.blocks).toMatch(/Digital avatar of Test Person lao-zhang \(not the person\)/);
    expect(a.blocks).toMatch(/understudy_feedback_up[\s\S]*understudy_feedback_down[\s\S]*understudy_feedback_voice/);
    expect(h.fake.of('chat.postMessage')[0].token).toBe('xoxb-lz');
    const placeholder = h.fake.of('chat.postMessage')[0];
    expect(String(placeholder.args.text)).toMatch(/looking through the material/);
  });

  it('answers an app_mention in a thread, and follows up in that thread using memory', async () => {
    h = await startSlack();
    // A private channel: team sources may be used there (a public one sees public sources only).
    h.fake.channels.set('C_GEN', { is_private: true });
    const mention = eventBody({ type: 'app_mention', channel: 'C_GEN', user: 'U1', text: '<@U_HUBBOT> @lao-zhang-avatar how do I release billing-gateway?' });
    await h.send(mention);
    await h.idle();
    const ts = (mention.event as { ts: string }).ts;
    expect(answers(h)[0]).toMatchObject({ channel: 'C_GEN' });
    expect(h.fake.of('chat.postMessage')[0].args).toMatchObject({ channel: 'C_GEN', thread_ts: ts });
    // The same message also arrives as message.channels: answered once.
    await h.send(eventBody({ type: 'message', channel_type: 'group', channel: 'C_GEN', user: 'U1', text: '<@U_HUBBOT> @lao-zhang-avatar how do I release billing-gateway?', ts }));
    await h.idle();
    expect(answers(h)).toHaveLength(1);
    await h.send(eventBody({ type: 'message', channel_type: 'group', channel: 'C_GEN', user: 'U1', text: 'and how do I roll it back?', thread_ts: ts }));
    await h.idle();
    const all = answers(h);
    expect(all).toHaveLength(2);
    expect(all[1].blocks).toMatch(/rollback.md/);
    expect(all[1].text).toMatch(/^🤖 Digital avatar of Test Person lao-zhang/);
    // A thread the avatar is not in stays quiet.
    await h.send(eventBody({ type: 'message', channel_type: 'channel', channel: 'C_GEN', user: 'U2', text: 'lunch?', thread_ts: '1700000000.000001' }));
    await h.idle();
    expect(answers(h)).toHaveLength(2);
  });

  it('never answers a retried event twice, even across a restart', async () => {
    h = await startSlack();
    const body = eventBody({ type: 'message', channel_type: 'im', channel: 'D_U1', user: 'U1', text: 'How do I roll back?' }, { app: 'A_LZ' });
    await h.send(body, { secret: LZ_SECRET });
    expect((await h.send(body, { secret: LZ_SECRET, retryNum: 1 })).status).toBe(200);
    await h.idle();
    h = await h.restart();
    expect((await h.send(body, { secret: LZ_SECRET, retryNum: 2 })).status).toBe(200);
    await h.idle();
    expect(answers(h)).toHaveLength(1);
  });

  it('waits out a 429 and still delivers the answer', async () => {
    h = await startSlack();
    h.fake.fail('chat.update', { status: 429, retryAfter: 1, times: 1 });
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_U1', user: 'U1', text: 'How do I roll back?' }, { app: 'A_LZ' }), { secret: LZ_SECRET });
    await h.idle();
    expect(h.fake.of('chat.update').filter((c) => c.args.failed)).toHaveLength(1);
    expect(answers(h)).toHaveLength(1);
  });

  it('keeps a private source out of a public channel but shows it to its audience in a DM', async () => {
    h = await startSlack();
    const q = 'When is the transactions-secondary rota merge planned?';
    await h.send(eventBody({ type: 'app_mention', channel: 'C_GEN', user: 'U_MGR', text: `<@U_LZBOT> ${q}` }, { app: 'A_LZ' }), { secret: LZ_SECRET });
    await h.idle();
    expect(shownText(h.fake.calls)).not.toMatch(/transactions-secondary rota merge is planned|handover.md/);
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_MGR', user: 'U_MGR', text: q }, { app: 'A_LZ' }), { secret: LZ_SECRET });
    await h.idle();
    expect(answers(h).find((a) => a.channel === 'D_MGR')?.blocks).toMatch(/private\/handover.md/);
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_U9', user: 'U9', text: q }, { app: 'A_LZ' }), { secret: LZ_SECRET });
    await h.idle();
    expect(answers(h).find((a) => a.channel === 'D_U9')?.blocks ?? '').not.toMatch(/handover/);
  });

  it('routes by @handle in hub mode, keeps the choice per DM, and suggests close handles', async () => {
    h = await startSlack();
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_HUB1', user: 'U1', text: '@lin-xiaoyu-avatar what does the PLUS membership cost?' }));
    await h.idle();
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_HUB1', user: 'U1', text: 'and in the first year?' }));
    await h.idle();
    const a = answers(h);
    expect(a).toHaveLength(2);
    expect(a[0].blocks).toMatch(/pricing.md/);
    expect(a.every((x) => /Test Person lin-xiaoyu/.test(x.text))).toBe(true);
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_HUB2', user: 'U2', text: '@lin-xiaoy-avatar hi' }));
    await h.idle();
    expect(shownText(h.fake.of('chat.postEphemeral'))).toMatch(/Did you mean @lin-xiaoyu-avatar/);
  });

  it('replies politely for a paused avatar, with help for an empty message, and truncates a 40,000-character one', async () => {
    h = await startSlack();
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_U1', user: 'U1', text: '<@U_LZBOT>' }, { app: 'A_LZ' }), { secret: LZ_SECRET });
    await h.idle();
    expect(shownText(h.fake.calls)).toMatch(/\/avatar list/);
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_U1', user: 'U1', text: `roll back ${'z'.repeat(40_000)}` }, { app: 'A_LZ' }), { secret: LZ_SECRET });
    await h.idle();
    expect(shownText(h.fake.calls)).toMatch(/I read only the first 4,000/);
    h.runtime.service.get('lao-zhang').config.status = 'paused';
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_U1', user: 'U1', text: 'How do I roll back?' }, { app: 'A_LZ' }), { secret: LZ_SECRET });
    await h.idle();
    expect(shownText(h.fake.calls)).toMatch(/not available right now \(paused\)/);
  });

  it('ignores bots, our own messages, edits, deletions and joins', async () => {
    h = await startSlack();
    const ignored = [
      { type: 'message', channel_type: 'im', channel: 'D_U1', bot_id: 'B_LZ', text: 'my own answer' },
      { type: 'message', channel_type: 'im', channel: 'D_U1', user: 'U_LZBOT', text: 'also mine' },
      { type: 'message', subtype: 'message_changed', channel_type: 'im', channel: 'D_U1', message: { text: 'edited' } },
      { type: 'message', subtype: 'message_deleted', channel_type: 'im', channel: 'D_U1' },
      { type: 'message', subtype: 'channel_join', channel_type: 'channel', channel: 'C_GEN', user: 'U1', text: 'joined' },
    ];
    for (const e of ignored) expect((await h.send(eventBody(e, { app: 'A_LZ' }), { secret: LZ_SECRET })).status).toBe(200);
    await h.idle();
    expect(h.fake.of('chat.postMessage')).toHaveLength(0);
  });

  it('rejects a forged signature, a stale timestamp and a malformed body, and ignores an unknown app', async () => {
    h = await startSlack();
    const body = eventBody({ type: 'message', channel_type: 'im', channel: 'D_U1', user: 'U1', text: 'How do I roll back?' }, { app: 'A_LZ' });
    expect((await h.send(body, { secret: 'not-the-secret' })).status).toBe(401);
    expect((await h.send(body, { secret: LZ_SECRET, timestamp: Math.floor(Date.now() / 1000) - 6 * 60 })).status).toBe(401);
    expect((await fetch(h.url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })).status).toBe(401);
    expect((await h.send(null, { secret: LZ_SECRET, raw: '{"type": "event_callback", broken' })).status).toBe(400);
    expect((await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_U1', user: 'U1', text: 'hi' }, { app: 'A_UNKNOWN_OTHER' }), { secret: LZ_SECRET })).status).toBe(200);
    await h.idle();
    expect(h.fake.of('chat.postMessage')).toHaveLength(0);
  });

  it('answers the URL verification challenge', async () => {
    h = await startSlack();
    const res = await h.send({ token: 't', challenge: 'abc123', type: 'url_verification' });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/abc123/);
  });

  it('answers 200 DMs sent at once by 50 users, none lost or duplicated', async () => {
    h = await startSlack();
    const bodies = Array.from({ length: 200 }, (_, i) =>
      eventBody({ type: 'message', channel_type: 'im', channel: `D_${i % 50}`, user: `U_${i % 50}`, text: i % 2 ? 'How do I roll back?' : 'How do I release?' }, { app: 'A_LZ' }),
    );
    const statuses = await Promise.all(bodies.map((b) => h.send(b, { secret: LZ_SECRET }).then((r) => r.status)));
    expect(statuses.every((s) => s === 200)).toBe(true);
    await h.idle();
    // Each placeholder ends as one answer (drafts shown while answers wait their turn are not answers).
    const answers = h.fake.of('chat.update').filter((u) => JSON.stringify(u.args.blocks ?? '').includes('understudy_feedback'));
    expect(answers).toHaveLength(200);
    expect(new Set(answers.map((u) => u.args.ts)).size).toBe(200);
    expect(new Set(h.fake.of('chat.update').map((u) => u.args.ts)).size).toBe(200);
  }, 60_000);
});
