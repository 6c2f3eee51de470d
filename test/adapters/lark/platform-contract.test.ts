import { APPROVE } from '../../../src/distill/chat-feature';
import { platformContract, type Shown } from '../../chat/platform.contract';
import { capturingLogger } from '../../helpers/capturing-logger';
import { messageEvent, startLark, v2Event } from '../../helpers/lark-harness';

// Feishu: encrypted events into the real Lark dispatcher, the real Lark client against the fake.

const CHAT = 'oc_contract';
const POSTS = ['im.v1.message.reply', 'im.v1.message.create'];

/** The message id in `/open-apis/im/v1/messages/:id[/reply]`. */
function messageIdOf(p: string): string {
  return p.split('/messages/')[1]?.split('/')[0] ?? '';
}

platformContract('Feishu', async () => {
  const logs = capturingLogger();
  const h = await startLark({ logger: logs.log });
  h.fake.chats.set(CHAT, { chat_type: 'public', name: 'contract' });
  const shown = (): Shown[] =>
    h.fake.calls
      .filter((c) => !c.failed && [...POSTS, 'im.v1.message.patch', 'ephemeral.v1.send'].includes(c.method))
      .map((c) => {
        const text = JSON.stringify(c.method === 'ephemeral.v1.send' ? c.body.card : c.content);
        if (c.method === 'im.v1.message.patch') return { op: 'update', text };
        if (c.method === 'ephemeral.v1.send') return { op: 'ephemeral', place: `${String(c.body.chat_id)}/-`, to: String(c.body.open_id), text };
        // A reply goes under the message it answers: in its thread, or quoting it.
        if (c.method === 'im.v1.message.reply') return { op: 'post', place: `${messageIdOf(c.path)}/${c.body.reply_in_thread === true ? 'thread' : 'quote'}`, text };
        return { op: 'post', place: `${String(c.body.receive_id)}/-`, text };
      });
  const click = async (value: Record<string, unknown>, messageId: string): Promise<void> => {
    await h.send(
      v2Event('card.action.trigger', {
        operator: { tenant_key: 'tenant_test_1', open_id: 'ou_u1', union_id: 'on_u1' },
        token: 'c-contract',
        action: { value, tag: 'button' },
        host: 'im_message',
        context: { open_message_id: messageId, open_chat_id: CHAT },
      }),
    );
    await h.idle();
  };
  const fail = (times: number): void => {
    for (const method of POSTS) h.fake.fail(method, { status: 400, code: 230002, msg: 'Bot/User can NOT be out of the chat.', times });
  };
  return {
    router: h.handle.router,
    store: h.runtime.service.store,
    user: 'ou_u1',
    async ask(text) {
      const ev = messageEvent(h.fake, { chatType: 'group', chatId: CHAT, mentionBot: true, text: `@lao-zhang-avatar ${text}` });
      await h.send(ev);
      const messageId = (ev.event as { message: { message_id: string } }).message.message_id;
      return { place: `${messageId}/thread`, redeliver: async () => void (await h.send(ev)) };
    },
    async listAvatars() {
      await h.send(messageEvent(h.fake, { chatType: 'group', chatId: CHAT, mentionBot: true, text: '/avatar list' }));
    },
    shown,
    async pressThumbsUp() {
      const patch = [...h.fake.of('im.v1.message.patch')].reverse().find((c) => JSON.stringify(c.content).includes('understudy_feedback'));
      if (!patch) throw new Error('no answer card with feedback buttons');
      const buttons: Record<string, unknown>[] = [];
      JSON.stringify(patch.content, (_k, v: unknown) => {
        if (v && typeof v === 'object' && (v as { k?: unknown }).k === 'understudy_feedback') buttons.push(v as Record<string, unknown>);
        return v;
      });
      const up = buttons.find((b) => b.v === 'up');
      if (!up) throw new Error('no thumbs-up button on the answer card');
      await click(up, messageIdOf(patch.path));
    },
    pressApprove: (id) => click({ k: APPROVE, v: id, l: 'en' }, 'om_consent_card'),
    failPosts: () => fail(1_000),
    restorePosts: () => fail(0),
    errors: () => logs.lines().filter((l) => Number(l.level) >= 50),
    idle: () => h.idle(),
    close: () => h.close(),
  };
});
