import type { SlackCall } from '../../helpers/fake-slack';
import { eventBody, LZ_SECRET, shownText, startSlack, type SlackHarness } from '../../helpers/slack-harness';

/** Interactivity arrives as a form body with one `payload` field, like Slack sends it. */
function form(payload: Record<string, unknown>): string {
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** Bolt listeners finish after the ack, outside the router's idle(): poll for their effect. */
async function eventually<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function waitForCall(h: SlackHarness, method: string, n = 1): Promise<SlackCall> {
  return eventually(`${method} #${n}`, () => h.fake.of(method)[n - 1]);
}

interface Button {
  action_id: string;
  value: string;
}

describe('Slack feedback, corrections and the assistant pane', () => {
  let h: SlackHarness;
  afterEach(async () => {
    await h?.close();
  });

  async function answerInDm(): Promise<{ buttons: Button[]; ts: string }> {
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_U1', user: 'U1', text: 'How do I roll back billing-gateway?' }, { app: 'A_LZ' }), { secret: LZ_SECRET });
    await h.idle();
    const update = h.fake.of('chat.update').find((c) => JSON.stringify(c.args.blocks).includes('understudy_feedback'));
    if (!update) throw new Error('no answer was posted');
    const actions = (update.args.blocks as { type: string; elements?: Button[] }[]).find((b) => b.type === 'actions');
    return { buttons: actions?.elements ?? [], ts: String(update.args.ts) };
  }

  function click(button: Button, ts: string, extra: Record<string, unknown> = {}): Promise<Response> {
    return h.send(
      form({
        type: 'block_actions',
        api_app_id: 'A_LZ',
        team: { id: 'T111', domain: 'test' },
        user: { id: 'U1', username: 'u1', team_id: 'T111' },
        channel: { id: 'D_U1', name: 'directmessage' },
        container: { type: 'message', message_ts: ts, channel_id: 'D_U1', is_ephemeral: false },
        message: { type: 'message', ts, text: 'answer' },
        trigger_id: '123.456.trigger',
        response_url: 'https://hooks.slack.com/actions/T111/1/x',
        actions: [{ type: 'button', action_id: button.action_id, block_id: 'understudy_feedback', value: button.value, action_ts: String(Date.now() / 1000) }],
        ...extra,
      }),
      { form: true, secret: LZ_SECRET },
    );
  }

  it('stores and audits 👍 and 👎, and thanks the user privately', async () => {
    h = await startSlack();
    const { buttons, ts } = await answerInDm();
    expect(buttons.map((b) => b.action_id)).toEqual(['understudy_feedback_up', 'understudy_feedback_down', 'understudy_feedback_voice']);
    expect((await click(buttons[0], ts)).status).toBe(200);
    expect((await click(buttons[1], ts)).status).toBe(200);
    const stored = await eventually('two feedback records', async () => {
      const all = await h.runtime.service.store.listFeedback('lao-zhang');
      return all.length === 2 ? all : undefined;
    });
    expect(stored.map((f) => [f.kind, f.userId, f.ref])).toEqual([
      ['up', 'slack:U1', ts],
      ['down', 'slack:U1', ts],
    ]);
    expect(await h.runtime.service.store.auditEntries({ action: 'feedback' })).toHaveLength(2);
    await waitForCall(h, 'chat.postEphemeral', 2);
    expect(shownText(h.fake.of('chat.postEphemeral'))).toMatch(/Thanks, noted/);
  });

  it('opens the correction modal, stores the submitted correction, and insists on some text', async () => {
    h = await startSlack();
    const { buttons, ts } = await answerInDm();
    expect((await click(buttons[2], ts)).status).toBe(200);
    const open = await waitForCall(h, 'views.open');
    expect(open.args.trigger_id).toBe('123.456.trigger');
    const view = open.args.view as { callback_id: string; private_metadata: string; blocks: { block_id: string }[] };
    expect(view.callback_id).toBe('understudy_correction');
    const submit = (value: string): Promise<Response> =>
      h.send(
        form({
          type: 'view_submission',
          api_app_id: 'A_LZ',
          team: { id: 'T111', domain: 'test' },
          user: { id: 'U1', username: 'u1', team_id: 'T111' },
          trigger_id: '123.789.trigger',
          view: {
            id: 'V1',
            type: 'modal',
            callback_id: view.callback_id,
            private_metadata: view.private_metadata,
            state: { values: { correction: { text: { type: 'plain_text_input', value } } } },
          },
        }),
        { form: true, secret: LZ_SECRET },
      );
    const empty = await submit('   ');
    expect(empty.status).toBe(200);
    expect(await empty.json()).toMatchObject({ response_action: 'errors', errors: { correction: expect.any(String) } });
    expect((await submit('He would say: roll back first, then we talk.')).status).toBe(200);
    const corrections = await eventually('the correction', async () => {
      const c = (await h.runtime.service.store.listFeedback('lao-zhang')).filter((f) => f.kind === 'correction');
      return c.length ? c : undefined;
    });
    expect(corrections).toEqual([expect.objectContaining({ text: 'He would say: roll back first, then we talk.', userId: 'slack:U1', ref: ts })]);
    expect(await h.runtime.service.store.auditEntries({ action: 'correction_proposed' })).toHaveLength(1);
  });

  it('suggests prompts when an assistant thread opens, and shows the native status while answering in it', async () => {
    h = await startSlack();
    const thread = { user_id: 'U1', context: { channel_id: 'C_GEN', team_id: 'T111' }, channel_id: 'D_U1', thread_ts: '1760000000.000100' };
    expect((await h.send(eventBody({ type: 'assistant_thread_started', assistant_thread: thread }, { app: 'A_LZ' }), { secret: LZ_SECRET })).status).toBe(200);
    await h.idle();
    const prompts = await waitForCall(h, 'assistant.threads.setSuggestedPrompts');
    expect(prompts?.args).toMatchObject({ channel_id: 'D_U1', thread_ts: '1760000000.000100' });
    expect(prompts?.token).toBe('xoxb-lz');
    const changed = { ...thread, context: { channel_id: 'C_OTHER', team_id: 'T111' } };
    expect((await h.send(eventBody({ type: 'assistant_thread_context_changed', assistant_thread: changed }, { app: 'A_LZ' }), { secret: LZ_SECRET })).status).toBe(200);

    await h.send(
      eventBody({ type: 'message', channel_type: 'im', channel: 'D_U1', user: 'U1', text: 'How do I roll back billing-gateway?', thread_ts: '1760000000.000100' }, { app: 'A_LZ' }),
      { secret: LZ_SECRET },
    );
    await h.idle();
    expect(h.fake.of('assistant.threads.setStatus')[0]?.args).toMatchObject({ channel_id: 'D_U1', thread_ts: '1760000000.000100', status: expect.stringMatching(/looking through/) });
    const answer = h.fake.calls.find((c) => c.method.startsWith('chat.') && JSON.stringify(c.args.blocks ?? '').includes('rollback.md'));
    expect(answer?.args).toMatchObject({ channel: 'D_U1', thread_ts: '1760000000.000100' });
    // No placeholder was needed: the assistant status stood in for it.
    expect(shownText(h.fake.of('chat.postMessage'))).not.toMatch(/looking through the material/);
  });
});
