import { redact } from '../corpus/redact';
import type { StateStore } from '../store/types';
import { hasCjk } from '../text/cjk';
import { t } from './i18n';
import type { ChatAction, ChatTransport } from './types';

/** What the person who pressed a button is told: Slack shows it privately, Feishu as a toast. */
export interface ActionReply {
  text: string;
  /** The action failed (logged with its code); `text` says so. */
  failed?: boolean;
}

/** A core action (consent Approve/Decline, feedback): platforms only normalize the press into a ChatAction. */
export type ActionHandler = (action: ChatAction, transport: ChatTransport) => Promise<ActionReply | void>;

/** 👍 / 👎 on an answer, and a correction ("not how they'd say it") once written. */
export const FEEDBACK_ACTION = 'understudy_feedback';

/** What a feedback action carries in its value (platforms encode it with feedbackValue). */
export interface Feedback {
  avatar: string;
  /** The conversation key the answer was given in. */
  conversation: string;
  kind: 'up' | 'down' | 'correction';
  /** The answer's message id. */
  ref?: string;
  /** The correction's text. */
  text?: string;
  /** The answer's language; a correction's thanks follow its own text when unset. */
  lang?: 'zh' | 'en';
}

export function feedbackValue(feedback: Feedback): string {
  return JSON.stringify(feedback);
}

function parseFeedback(value: string): Feedback | undefined {
  try {
    const v = JSON.parse(value) as Partial<Feedback>;
    if (typeof v.avatar !== 'string' || !v.avatar || typeof v.conversation !== 'string' || !v.conversation) return undefined;
    if (v.kind !== 'up' && v.kind !== 'down' && v.kind !== 'correction') return undefined;
    if (v.kind === 'correction' && !(typeof v.text === 'string' && v.text.trim())) return undefined;
    return v as Feedback;
  } catch {
    // A value we did not write (another app's button): nothing to store.
    return undefined;
  }
}

/**
 * Feedback is stored at once and audited; a correction is masked (people paste real numbers
 * into corrections too) and kept for the subject to review.
 */
export function feedbackAction(store: StateStore): ActionHandler {
  return async (action) => {
    const f = parseFeedback(action.value);
    if (!f) return undefined;
    const actor = `${action.platform}:${action.userId}`;
    if (f.kind === 'correction') {
      const id = await store.addFeedback({ avatar: f.avatar, conversation: f.conversation, ref: f.ref, userId: actor, kind: 'correction', text: redact((f.text as string).trim().slice(0, 2000)).text });
      await store.audit({ actor, action: 'correction_proposed', avatar: f.avatar, detail: { feedback: id, conversation: f.conversation } });
      const lang = f.lang ?? (hasCjk(f.text as string) ? 'zh' : 'en');
      return { text: t(lang, 'Thanks. The subject of the avatar will review your correction.', '谢谢，本人会审阅这条纠正。') };
    }
    await store.addFeedback({ avatar: f.avatar, conversation: f.conversation, ref: f.ref, userId: actor, kind: f.kind });
    await store.audit({ actor, action: 'feedback', avatar: f.avatar, detail: { kind: f.kind, conversation: f.conversation, message: f.ref ?? null } });
    const lang = f.lang ?? 'en';
    return { text: f.kind === 'up' ? t(lang, 'Thanks, noted. 👍', '已记录，谢谢！👍') : t(lang, 'Thanks, noted. The subject of the avatar will see it. 👎', '已记录，谢谢。本人会看到这条反馈。👎') };
  };
}
