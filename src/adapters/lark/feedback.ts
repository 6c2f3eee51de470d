import { pronounOf, type Pronoun } from '../../chat/i18n';
import { redact } from '../../corpus/redact';
import type { Runtime } from '../../runtime';
import { registerLarkCardAction, type LarkCardActionContext } from './card-actions';
import { CORRECTION_ACTION, correctionCard, FEEDBACK_ACTION, plainCard } from './render';

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The avatar's pronoun from avatar.yaml; an unknown avatar gets the neutral one. */
function pronounFor(runtime: Runtime, slug: string): Pronoun | undefined {
  return runtime.service.registry.find(slug)?.config.person.pronoun;
}

function thanks(zh: boolean, kind: 'up' | 'down' | 'correction'): string {
  if (kind === 'up') return zh ? '已记录，谢谢！👍' : 'Thanks, noted. 👍';
  if (kind === 'down') return zh ? '已记录，谢谢。本人会看到这条反馈。👎' : 'Thanks, noted. The subject of the avatar will see it. 👎';
  return zh ? '谢谢，本人会审阅这条纠正。' : 'Thanks. The subject of the avatar will review your correction.';
}

/**
 * 👍 / 👎 are stored at once; "not how they'd say it" sends a small form whose submission is
 * stored as a correction for the subject to review. All of it is audited.
 */
export function registerLarkFeedback(): void {
  registerLarkCardAction(FEEDBACK_ACTION, async (ctx: LarkCardActionContext) => {
    const avatar = str(ctx.value.a);
    const conversation = str(ctx.value.c);
    const kind = ctx.value.v;
    const zh = ctx.value.l === 'zh';
    if (!avatar || !conversation || (kind !== 'up' && kind !== 'down' && kind !== 'voice')) return undefined;
    const store = ctx.runtime.service.store;
    const actor = `lark:${ctx.userId}`;
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
    await store.addFeedback({ avatar, conversation, ref: ctx.messageId, userId: actor, kind });
    await store.audit({ actor, action: 'feedback', avatar, detail: { kind, conversation, message: ctx.messageId ?? null } });
    return { toast: { type: 'success', content: thanks(zh, kind) } };
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
    const store = ctx.runtime.service.store;
    const actor = `lark:${ctx.userId}`;
    // People paste real numbers into corrections too: mask before storing.
    const id = await store.addFeedback({ avatar, conversation, ref: str(ctx.value.r), userId: actor, kind: 'correction', text: redact(text.slice(0, 2000)).text });
    await store.audit({ actor, action: 'correction_proposed', avatar, detail: { feedback: id, conversation } });
    const zh = /[\u4e00-\u9fff]/.test(text);
    return { toast: { type: 'success', content: thanks(zh, 'correction') }, card: { type: 'raw', data: plainCard(thanks(zh, 'correction')) } };
  });
}
