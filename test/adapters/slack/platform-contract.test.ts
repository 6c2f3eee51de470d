import { APPROVE } from '../../../src/distill/chat-feature';
import { platformContract, type Shown } from '../../chat/platform.contract';
import { capturingLogger } from '../../helpers/capturing-logger';
import { eventBody, shownText, slashCommand, startSlack } from '../../helpers/slack-harness';

// Slack: signed requests into the real Bolt receiver, the real WebClient against the fake Slack.

const CHANNEL = 'C_CONTRACT';

/** Block actions arrive as a form with one `payload` field, signed like every Slack request. */
function blockAction(action: { action_id: string; value: string }, ts: string): string {
  return `payload=${encodeURIComponent(
    JSON.stringify({
      type: 'block_actions',
      api_app_id: 'A_HUB',
      team: { id: 'T111', domain: 'test' },
      user: { id: 'U1', username: 'u1', team_id: 'T111' },
      channel: { id: CHANNEL, name: 'contract' },
      container: { type: 'message', message_ts: ts, channel_id: CHANNEL, is_ephemeral: false },
      message: { type: 'message', ts, text: 'answer' },
      trigger_id: '123.456.trigger',
      response_url: 'https://hooks.slack.com/actions/T111/1/x',
      actions: [{ type: 'button', block_id: 'b', action_ts: String(Date.now() / 1000), ...action }],
    }),
  )}`;
}

platformContract('Slack', async () => {
  const logs = capturingLogger();
  const h = await startSlack({ logger: logs.log });
  const shown = (): Shown[] =>
    h.fake.calls
      .filter((c) => !c.args.failed && ['chat.postMessage', 'chat.update', 'chat.postEphemeral'].includes(c.method))
      .map((c) => {
        const text = shownText([c]);
        const place = `${String(c.args.channel)}/${(c.args.thread_ts as string | undefined) ?? '-'}`;
        if (c.method === 'chat.update') return { op: 'update', text };
        if (c.method === 'chat.postEphemeral') return { op: 'ephemeral', place, to: String(c.args.user), text };
        return { op: 'post', place, text };
      });
  // Bolt runs a listener on after its ack, so a button's work may start after the response.
  const settle = async (): Promise<void> => {
    await new Promise((r) => setTimeout(r, 50));
    await h.idle();
  };
  return {
    router: h.handle.router,
    store: h.runtime.service.store,
    user: 'U1',
    async ask(text) {
      const body = eventBody({ type: 'app_mention', channel: CHANNEL, user: 'U1', text: `<@U_HUBBOT> @lao-zhang-avatar ${text}` });
      await h.send(body);
      const ts = (body.event as { ts: string }).ts;
      return { place: `${CHANNEL}/${ts}`, redeliver: async () => void (await h.send(body, { retryNum: 1 })) };
    },
    async listAvatars() {
      await h.send(slashCommand('avatar', 'list', { user: 'U1', channel: CHANNEL, channelName: 'contract' }), { form: true });
    },
    shown,
    async pressThumbsUp() {
      const update = [...h.fake.of('chat.update')].reverse().find((c) => JSON.stringify(c.args.blocks).includes('understudy_feedback_up'));
      const blocks = (update?.args.blocks ?? []) as { type: string; elements?: { action_id: string; value: string }[] }[];
      const up = blocks.find((b) => b.type === 'actions')?.elements?.find((e) => e.action_id === 'understudy_feedback_up');
      if (!update || !up) throw new Error('no answer with a thumbs-up button');
      await h.send(blockAction(up, String(update.args.ts)), { form: true });
      await settle();
    },
    async pressApprove(id) {
      await h.send(blockAction({ action_id: APPROVE, value: id }, '1700000000.000100'), { form: true });
      await settle();
    },
    failPosts: () => h.fake.fail('chat.postMessage', { error: 'internal_error', times: 1_000 }),
    restorePosts: () => h.fake.fail('chat.postMessage', { error: 'internal_error', times: 0 }),
    errors: () => logs.lines().filter((l) => Number(l.level) >= 50),
    idle: settle,
    close: () => h.close(),
  };
});
