import crypto from 'node:crypto';
import type { Logger } from 'pino';
import type { HistoryTurn } from '../../answer/types';
import type { ChatTransport, ChatUser, MessageRef, PostKey, Reply, ReplyTarget } from '../../chat/types';
import { feishuText } from '../../corpus/loaders/feishu-export';
import type { UnderstudyError } from '../../errors';
import type { StateStore } from '../../store/types';
import { LarkHistory } from './history';
import type { LarkApi } from './open-api';
import { renderReply, type Card } from './render';

/** p2p chat id per app and user, learned from messages: menu clicks carry only the user. */
export const P2P_CHATS = 'lark-p2p-chats';

interface SentMessage {
  message_id?: string;
  chat_id?: string;
  root_id?: string;
  thread_id?: string;
}

interface HistoryItem {
  msg_type?: string;
  sender?: { sender_type?: string };
  body?: { content?: string };
  deleted?: boolean;
}

/**
 * ChatTransport over one app's Open API client, one per app for the life of the process: where a
 * reply goes and what it answers travel in each call (ReplyTarget, MessageRef). What it keeps is
 * a few facts learned on the way (thread containers, who was already told of a missing scope).
 */
export class LarkTransport implements ChatTransport {
  readonly platform = 'lark' as const;
  /** The thinking card shows the answer as it is written, patched at most once a second. */
  readonly draftIntervalMs = 1_000;
  private seq = 0;
  /** Events whose asker was already told that the app lacks a permission. */
  private readonly toldScope = new Recent<string, true>(1_000);
  /** Feishu's thread container (omt_...) by thread root message, learned from events. */
  private readonly threads = new Recent<string, string>(10_000);

  constructor(
    private readonly api: LarkApi,
    private readonly store: StateStore,
    private readonly log: Logger,
  ) {}

  /** Remember which thread container a thread root belongs to (its earlier turns are listed by it). */
  rememberThread(rootId: string | undefined, container: string | undefined): void {
    if (rootId && container) this.threads.set(rootId, container);
  }

  /**
   * Feishu's idempotency key (`uuid`) of a message we send, so that a retried call never posts
   * twice: from the reply's own key when it has one (a job's placeholder: a run of the job after a
   * crash posts it again and gets the same message back), else fresh per message of this process.
   */
  private uuid(target: ReplyTarget, key?: PostKey): string {
    return crypto.createHash('sha1').update(key ?? `${target.origin?.eventId ?? crypto.randomUUID()}:${++this.seq}`).digest('hex').slice(0, 40);
  }

  private async send(target: ReplyTarget, msgType: 'interactive' | 'text' | 'file', content: string, key?: PostKey): Promise<MessageRef> {
    const o = target.origin;
    const replyTo = target.threadId ?? (o && o.channelId === target.channelId && !o.messageId.startsWith('menu:') ? o.messageId : undefined);
    let sent: SentMessage;
    if (replyTo) {
      sent = await this.api.call<SentMessage>('im.v1.message.reply', () =>
        this.api.client.im.v1.message.reply({ path: { message_id: replyTo }, data: { msg_type: msgType, content, reply_in_thread: target.threadId !== undefined, uuid: this.uuid(target, key) } }),
      );
    } else {
      const byUser = !target.channelId.startsWith('oc_');
      sent = await this.api.call<SentMessage>('im.v1.message.create', () =>
        this.api.client.im.v1.message.create({ params: { receive_id_type: byUser ? 'open_id' : 'chat_id' }, data: { receive_id: target.channelId, msg_type: msgType, content, uuid: this.uuid(target, key) } }),
      );
      if (byUser && sent.chat_id) await this.store.kvSet(P2P_CHATS, `${this.api.app.appId}:${target.channelId}`, sent.chat_id);
    }
    return { ...target, messageId: sent.message_id ?? '' };
  }

  /** Tell the asker, once, that the app lacks a permission; the log has the scope too. */
  private async tellScope(err: unknown, target: ReplyTarget): Promise<void> {
    const e = err as UnderstudyError;
    const told = target.origin?.eventId;
    if (e?.code !== 'PLATFORM_SCOPE' || (told && this.toldScope.get(told))) return;
    if (told) this.toldScope.set(told, true);
    const needed = ((e.details?.needed as string[] | undefined) ?? []).join(' / ') || 'a permission';
    const zh = target.origin?.lang === 'zh';
    const text = zh
      ? `这个应用缺少飞书权限 ${needed}，所以没能完成回答。请让管理员在开发者后台的“权限管理”中开通并发布新版本。`
      : `This app is missing the Feishu permission ${needed}, so I could not finish the answer. An admin can add it under Permissions & Scopes and publish a new version.`;
    await this.send(target, 'text', JSON.stringify({ text })).catch(() => undefined);
  }

  /**
   * After the specific sentence above, a generic failure notice about the same missing scope adds
   * nothing. Decided by the notice's errorCode, never its text (the Chinese one has （）).
   */
  private redundant(target: ReplyTarget, reply: Reply): boolean {
    const told = target.origin?.eventId;
    return told !== undefined && this.toldScope.get(told) === true && reply.kind === 'notice' && reply.errorCode === 'PLATFORM_SCOPE';
  }

  async post(target: ReplyTarget, reply: Reply): Promise<MessageRef> {
    if (this.redundant(target, reply)) return { ...target, messageId: '' };
    const cards = renderReply(reply, target.origin?.conversation ?? '');
    if (reply.kind === 'notice' && reply.ephemeral && target.userId && target.origin?.channelType !== 'dm' && target.channelId.startsWith('oc_')) {
      try {
        for (const card of cards) await this.ephemeral(target.channelId, target.userId, card);
        return { ...target, messageId: '' };
      } catch (err) {
        // Only visible to them, or else visible to all: the notice still matters more.
        if ((err as UnderstudyError).code !== 'PLATFORM_TRANSIENT' && (err as UnderstudyError).code !== 'PLATFORM_SCOPE') throw err;
      }
    }
    try {
      let first: MessageRef | undefined;
      const key = (reply.kind === 'status' || reply.kind === 'notice') && reply.key ? reply.key : undefined;
      for (const [i, card] of cards.entries()) {
        const ref = await this.send(target, 'interactive', JSON.stringify(card), key && `${key}#${i}`);
        first ??= ref;
      }
      return first as MessageRef;
    } catch (err) {
      await this.tellScope(err, target);
      throw err;
    }
  }

  /** A file into the conversation (a subject's avatar export): uploaded, then sent as a file message. */
  async uploadFile(target: ReplyTarget, filename: string, data: Uint8Array, comment: string): Promise<void> {
    const uploaded = await this.api.call<{ file_key?: string }>('im.v1.file.create', async () => {
      // This SDK method returns only `data`; no key means Feishu refused it.
      const res = await this.api.client.im.v1.file.create({ data: { file_type: 'stream', file_name: filename, file: Buffer.from(data) } });
      return res?.file_key ? { code: 0, data: res } : { code: -1, msg: 'no file_key in the upload response' };
    });
    if (comment) await this.send(target, 'text', JSON.stringify({ text: comment }));
    await this.send(target, 'file', JSON.stringify({ file_key: uploaded.file_key }));
  }

  /** A private message to a user (consent requests): Feishu opens the p2p chat from the open id. */
  async dm(userId: string, reply: Reply): Promise<MessageRef> {
    return this.post({ channelId: userId }, reply);
  }

  private async ephemeral(chatId: string, openId: string, card: Card): Promise<void> {
    await this.api.call('ephemeral.v1.send', () =>
      this.api.client.request<{ code?: number; msg?: string; data?: unknown }>({ method: 'POST', url: '/open-apis/ephemeral/v1/send', data: { chat_id: chatId, open_id: openId, msg_type: 'interactive', card }, timeout: 15_000 }),
    );
  }

  /** Patch the placeholder card with the first card (a draft, or the answer); further answer cards follow as replies. */
  async update(ref: MessageRef, reply: Reply): Promise<void> {
    if (this.redundant(ref, reply)) return;
    const [head, ...rest] = renderReply(reply, ref.origin?.conversation ?? '');
    const target: ReplyTarget = { channelId: ref.channelId, threadId: ref.threadId, origin: ref.origin };
    try {
      await this.api.call('im.v1.message.patch', () => this.api.client.im.v1.message.patch({ path: { message_id: ref.messageId }, data: { content: JSON.stringify(head) } }));
      // A draft is one card (renderDraft); only the answer adds cards after the first.
      if (reply.kind !== 'draft') for (const card of rest) await this.send(target, 'interactive', JSON.stringify(card));
    } catch (err) {
      await this.tellScope(err, target);
      throw err;
    }
  }

  /** Earlier messages of this thread (Feishu thread container), oldest first. */
  async fetchThread(target: ReplyTarget): Promise<HistoryTurn[]> {
    const container = target.threadId ? this.threads.get(target.threadId) : undefined;
    if (!container) return [];
    const page = await this.api
      .call<{ items?: HistoryItem[] }>('im.v1.message.list', () =>
        this.api.client.im.v1.message.list({ params: { container_id_type: 'thread', container_id: container, sort_type: 'ByCreateTimeAsc', page_size: 30 } }),
      )
      .catch(async (err: unknown) => {
        await this.tellScope(err, target);
        throw err;
      });
    const turns: HistoryTurn[] = [];
    for (const m of page.items ?? []) {
      if (m.deleted) continue;
      let text: string | undefined;
      try {
        text = m.msg_type === 'interactive' ? cardText(m.body?.content) : feishuText({ msg_type: m.msg_type, body: m.body }, () => undefined);
      } catch {
        continue;
      }
      if (text) turns.push({ role: m.sender?.sender_type === 'app' ? 'avatar' : 'user', text });
    }
    return turns;
  }

  /** History (history.ts); a thread of the event being answered is read by its thread container. */
  history(): LarkHistory {
    return new LarkHistory(this.api, this.log, (root) => this.threads.get(root));
  }

  /** Name and departments (for access lists); needs contact:user.base:readonly. */
  async resolveUser(userId: string): Promise<ChatUser | undefined> {
    const data = await this.api.call<{ user?: { name?: string; en_name?: string; department_ids?: string[] } }>('contact.v3.user.get', () =>
      this.api.client.contact.v3.user.get({ path: { user_id: userId }, params: { user_id_type: 'open_id' } }),
    );
    if (!data.user) return undefined;
    return { id: userId, name: data.user.name ?? data.user.en_name, isBot: false, groups: data.user.department_ids ?? [] };
  }
}

/** The words of a card (our earlier answers): every `text` / `content` string in it, buttons aside. */
function cardText(content: string | undefined): string {
  const out: string[] = [];
  const walk = (v: unknown, key: string): void => {
    if (typeof v === 'string') {
      if ((key === 'text' || key === 'content') && v.trim()) out.push(v.trim());
    } else if (Array.isArray(v)) for (const x of v) walk(x, key);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.tag === 'action' || o.tag === 'button') return;
      for (const [k, x] of Object.entries(o)) walk(x, k);
    }
  };
  walk(JSON.parse(content ?? '') as unknown, '');
  return out.join('\n');
}

/** A map that forgets its oldest entries beyond `limit`: facts worth keeping a while, never all. */
class Recent<K, V> {
  private readonly map = new Map<K, V>();

  constructor(private readonly limit: number) {}

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value as K);
  }
}
