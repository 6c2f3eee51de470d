import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Pronoun } from '../../chat/i18n';
import { redact } from '../../corpus/redact';
import type { StateStore } from '../../store/types';
import { ACTION_DOWN, ACTION_UP, ACTION_VOICE, CORRECTION_VIEW, correctionModal } from './render';
import { classifySlackError } from './web-errors';

interface FeedbackValue {
  a: string;
  c: string;
  /** Answer language and the avatar's pronoun, for the correction modal. */
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

function parseValue(value: string | undefined): FeedbackValue | undefined {
  try {
    const v = JSON.parse(value ?? '') as FeedbackValue;
    return typeof v.a === 'string' && typeof v.c === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * 👍 / 👎 buttons store feedback at once; "That's not how they'd say it" opens a modal whose
 * submission is stored as a correction for the subject to review. All of it is audited.
 */
export function registerFeedback(app: App, store: StateStore, log: Logger): void {
  app.action({ action_id: new RegExp(`^(${ACTION_UP}|${ACTION_DOWN})$`) }, async ({ ack, body, client }) => {
    await ack();
    const b = body as unknown as ActionBody;
    const action = b.actions?.[0];
    const v = parseValue(action?.value);
    if (!v || !action) return;
    const kind = action.action_id === ACTION_UP ? 'up' : 'down';
    await store.addFeedback({ avatar: v.a, conversation: v.c, ref: b.message?.ts, userId: `slack:${b.user.id}`, kind });
    await store.audit({ actor: `slack:${b.user.id}`, action: 'feedback', avatar: v.a, detail: { kind, conversation: v.c, message: b.message?.ts ?? null } });
    if (b.channel) {
      await (client as WebClient).chat
        .postEphemeral({ channel: b.channel.id, user: b.user.id, thread_ts: b.message?.thread_ts, text: kind === 'up' ? 'Thanks, noted. 👍' : 'Thanks, noted. The subject of the avatar will see it. 👎' })
        .catch((err: unknown) => classifySlackError(err, 'chat.postEphemeral', log));
    }
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
    let meta: FeedbackValue & { r?: string | null } = { a: '', c: '' };
    try {
      meta = JSON.parse(view.private_metadata) as typeof meta;
    } catch {
      log.warn('correction modal without metadata');
      return;
    }
    const user = `slack:${body.user.id}`;
    // People paste real numbers into corrections too: mask before storing.
    const id = await store.addFeedback({ avatar: meta.a, conversation: meta.c, ref: meta.r ?? undefined, userId: user, kind: 'correction', text: redact(text.slice(0, 2000)).text });
    await store.audit({ actor: user, action: 'correction_proposed', avatar: meta.a, detail: { feedback: id, conversation: meta.c } });
  });
}
