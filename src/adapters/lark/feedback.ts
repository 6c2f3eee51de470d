import { FEEDBACK_ACTION as CORE_FEEDBACK, feedbackValue, type Feedback } from '../../chat/actions';
import { pronounOf, type Pronoun } from '../../chat/i18n';
import type { Runtime } from '../../app/runtime';
import { registerLarkCardAction, type LarkCardActionContext, type LarkCardActionResult } from './card-actions';
import { CORRECTION_ACTION, correctionCard, FEEDBACK_ACTION, plainCard } from './render';

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The avatar's pronoun from avatar.yaml; an unknown avatar gets the neutral one. */
function pronounFor(runtime: Runtime, slug: string): Pronoun | undefined {
  return runtime.service.registry.find(slug)?.config.person.pronoun;
}

/** Hand the feedback to the core action (chat/actions.ts); its thanks come back as the toast. */
async function dispatch(ctx: LarkCardActionContext, feedback: Feedback): Promise<LarkCardActionResult | undefined> {
  const action = { platform: 'lark' as const, appId: ctx.app.appId, workspaceId: ctx.tenantKey ?? '-', userId: ctx.userId, channelId: ctx.chatId, messageId: ctx.messageId, appAvatar: ctx.app.avatar };
  const reply = await ctx.router.dispatchAction({ ...action, actionId: CORE_FEEDBACK, value: feedbackValue(feedback) }, ctx.transport);
  if (!reply) return undefined;
  if (reply.failed) return { toast: { type: 'error', content: reply.text } };
  return { toast: { type: 'success', content: reply.text }, ...(feedback.kind === 'correction' ? { card: { type: 'raw' as const, data: plainCard(reply.text) } } : {}) };
}

/**
 * 👍 / 👎 and a submitted correction are the core's feedback action; this file only reads the
 * card values. "Not how they'd say it" sends a small form whose submission is the correction.
 */
export function registerLarkFeedback(): void {
  registerLarkCardAction(FEEDBACK_ACTION, async (ctx: LarkCardActionContext) => {
    const avatar = str(ctx.value.a);
    const conversation = str(ctx.value.c);
    const kind = ctx.value.v;
    const zh = ctx.value.l === 'zh';
    if (!avatar || !conversation || (kind !== 'up' && kind !== 'down' && kind !== 'voice')) return undefined;
    if (kind === 'voice') {
      const messageId = ctx.messageId;
      if (!messageId) return undefined;
      const pronoun = pronounFor(ctx.runtime, avatar);
      const card = correctionCard({ a: avatar, c: conversation, r: messageId }, zh ? 'zh' : 'en', pronoun);
      ctx.background(
        ctx.api
          .call('im.v1.message.reply', () => ctx.api.client.im.v1.message.reply({ path: { message_id: messageId }, data: { msg_type: 'interactive', content: JSON.stringify(card) } }))
          .catch((err: unknown) => ctx.log.warn({ err }, 'could not send the correction form')),
      );
      const who = pronounOf(zh ? 'zh' : 'en', pronoun);
      return { toast: { type: 'info', content: zh ? `请在下方的表单里写下${who}会怎么说。` : `Write how ${who} would have said it in the form below.` } };
    }
    return dispatch(ctx, { avatar, conversation, kind, ref: ctx.messageId, lang: zh ? 'zh' : 'en' });
  });

  registerLarkCardAction(CORRECTION_ACTION, async (ctx: LarkCardActionContext) => {
    const avatar = str(ctx.value.a);
    const conversation = str(ctx.value.c);
    const text = String(ctx.formValue.correction ?? '').trim();
    if (!avatar || !conversation) return undefined;
    if (!text) {
      const pronoun = pronounFor(ctx.runtime, avatar);
      return { toast: { type: 'warning', content: `Please write how ${pronounOf('en', pronoun)} would have said it. / 请写下${pronounOf('zh', pronoun)}会怎么说。` } };
    }
    return dispatch(ctx, { avatar, conversation, kind: 'correction', ref: str(ctx.value.r), text });
  });
}
