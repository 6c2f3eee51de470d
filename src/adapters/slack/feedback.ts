import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { FEEDBACK_ACTION, feedbackValue, type Feedback } from '../../chat/actions';
import type { Pronoun } from '../../chat/i18n';
import type { ChatRouter } from '../../chat/router';
import type { ChatAction, ChatTransport } from '../../chat/types';
import { ACTION_DOWN, ACTION_UP, ACTION_VOICE, CORRECTION_VIEW, correctionModal } from './render';
import { classifySlackError } from './web-errors';

/** What our feedback buttons carry (render.ts): avatar, conversation, answer language, pronoun. */
interface ButtonValue {
  a: string;
  c: string;
  l?: 'zh' | 'en';
  p?: Pronoun;
}

interface ActionBody {
  user: { id: string };
  channel?: { id: string };
  message?: { ts: string; thread_ts?: string };
  trigger_id?: string;
  actions?: { action_id: string; value?: string }[];
}

/** Who pressed, in which app and workspace: the part of a ChatAction the adapter knows, and its transport. */
export interface ActionSource {
  base: Omit<ChatAction, 'actionId' | 'value'>;
  transport: ChatTransport;
}

function parseValue(value: string | undefined): ButtonValue | undefined {
  try {
    const v = JSON.parse(value ?? '') as ButtonValue;
    return typeof v.a === 'string' && typeof v.c === 'string' ? v : undefined;
  } catch {
    // Not one of our buttons' values: nothing to do.
    return undefined;
  }
}

function feedbackPress(source: ActionSource, feedback: Feedback): ChatAction {
  return { ...source.base, actionId: FEEDBACK_ACTION, value: feedbackValue(feedback) };
}

/**
 * 👍 / 👎 and a submitted correction are the core's feedback action (chat/actions.ts); this file
 * only reads Slack's payloads. "That's not how they'd say it" opens the correction modal.
 */
export function registerFeedback(app: App, router: ChatRouter, log: Logger, sourceOf: (body: unknown) => ActionSource | undefined): void {
  app.action({ action_id: new RegExp(`^(${ACTION_UP}|${ACTION_DOWN})$`) }, async ({ ack, body }) => {
    await ack();
    const b = body as unknown as ActionBody;
    const action = b.actions?.[0];
    const v = parseValue(action?.value);
    const source = sourceOf(body);
    if (!v || !action || !source) return;
    const kind = action.action_id === ACTION_UP ? 'up' : 'down';
    const reply = await router.dispatchAction(feedbackPress(source, { avatar: v.a, conversation: v.c, kind, ref: b.message?.ts, lang: v.l }), source.transport);
    if (!b.channel || !reply || reply.failed) return;
    await source.transport
      .post({ channelId: b.channel.id, threadId: b.message?.thread_ts, userId: b.user.id }, { kind: 'notice', ephemeral: true, text: reply.text })
      .catch((err: unknown) => log.warn({ err }, 'could not thank for the feedback'));
  });

  app.action(ACTION_VOICE, async ({ ack, body, client }) => {
    await ack();
    const b = body as unknown as ActionBody;
    const v = parseValue(b.actions?.[0]?.value);
    if (!v || !b.trigger_id) return;
    const meta = JSON.stringify({ a: v.a, c: v.c, r: b.message?.ts ?? null, ch: b.channel?.id ?? null });
    const pronoun = v.p === 'he' || v.p === 'she' || v.p === 'they' ? v.p : undefined;
    await (client as WebClient).views.open({ trigger_id: b.trigger_id, view: correctionModal(meta, v.l === 'zh' ? 'zh' : 'en', pronoun) as never }).catch((err: unknown) => classifySlackError(err, 'views.open', log));
  });

  app.view(CORRECTION_VIEW, async ({ ack, view, body }) => {
    const text = (view.state.values.correction?.text?.value ?? '').trim();
    if (!text) {
      await ack({ response_action: 'errors', errors: { correction: 'Please write how they would have said it.' } });
      return;
    }
    await ack();
    let meta: ButtonValue & { r?: string | null };
    try {
      meta = JSON.parse(view.private_metadata) as typeof meta;
    } catch (err) {
      log.warn({ err }, 'correction modal without metadata');
      return;
    }
    const source = sourceOf(body);
    if (!source) return;
    await router.dispatchAction(feedbackPress(source, { avatar: meta.a, conversation: meta.c, kind: 'correction', ref: meta.r ?? undefined, text }), source.transport);
  });
}
