import type { Logger } from 'pino';
import { feishuText, type FeishuMessage } from '../../corpus/loaders/feishu-export';
import type { CollectedMessage, CollectorChannel, HistoryCollector, HistoryPage } from '../../chat/collector';
import type { LarkApi } from './open-api';

interface Page<T> {
  items?: T[];
  has_more?: boolean;
  page_token?: string;
}

const secs = (ms: number): string => String(Math.floor(ms / 1000));

/**
 * Feishu history for distillation: the chats the bot is in, their messages oldest first in
 * pages with resumable cursors, through the Open API client (frequency limits are waited out).
 * Feishu has no public message links, so none are made up.
 */
export class LarkCollector implements HistoryCollector {
  readonly platform = 'lark' as const;
  private readonly names = new Map<string, string | undefined>();

  constructor(
    private readonly api: LarkApi,
    private readonly log: Logger,
  ) {}

  async listChannels(): Promise<CollectorChannel[]> {
    const out: CollectorChannel[] = [];
    let token: string | undefined;
    do {
      const page: Page<{ chat_id?: string; name?: string }> = await this.api.call('im.v1.chat.list', () => this.api.client.im.v1.chat.list({ params: { page_size: 100, page_token: token } }));
      for (const c of page.items ?? []) {
        if (!c.chat_id) continue;
        const info = await this.api.call<{ chat_type?: string }>('im.v1.chat.get', () => this.api.client.im.v1.chat.get({ path: { chat_id: c.chat_id as string } })).catch(() => ({ chat_type: 'private' }));
        // When unsure, private: its messages then stay with the chat's members.
        const isPrivate = info.chat_type !== 'public';
        out.push({ id: c.chat_id, name: c.name || c.chat_id, private: isPrivate, members: isPrivate ? await this.members(c.chat_id) : undefined });
      }
      token = page.has_more ? page.page_token : undefined;
    } while (token);
    return out;
  }

  private async members(chatId: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page: Page<{ member_id?: string }> = await this.api.call('im.v1.chatMembers.get', () =>
        this.api.client.im.v1.chatMembers.get({ path: { chat_id: chatId }, params: { member_id_type: 'open_id', page_size: 100, page_token: token } }),
      );
      for (const m of page.items ?? []) if (m.member_id) out.push(m.member_id);
      token = page.has_more ? page.page_token : undefined;
    } while (token);
    return out;
  }

  private toMessage(m: FeishuMessage): CollectedMessage | undefined {
    const sender = typeof m.sender === 'object' ? m.sender : undefined;
    if (!m.message_id || m.deleted || !sender?.id || sender.sender_type !== 'user') return undefined;
    let text: string | undefined;
    try {
      const names = new Map((m.mentions ?? []).map((x) => [typeof x.id === 'string' ? x.id : (x.id?.open_id ?? ''), x.name]));
      text = feishuText(m, (id) => names.get(id));
    } catch {
      this.log.warn({ message_id: m.message_id }, 'Feishu message with malformed content skipped');
      return undefined;
    }
    if (!text) return undefined;
    return { id: m.message_id, at: Number(m.create_time), userId: sender.id, text, threadId: m.root_id };
  }

  private async page(params: Record<string, string | number | undefined>): Promise<HistoryPage> {
    const page: Page<FeishuMessage> = await this.api.call('im.v1.message.list', () => this.api.client.im.v1.message.list({ params: { sort_type: 'ByCreateTimeAsc', page_size: 50, ...params } as never }));
    const messages = (page.items ?? []).map((m) => this.toMessage(m)).filter((m): m is CollectedMessage => m !== undefined);
    for (const m of messages) m.userName = await this.userName(m.userId);
    return { messages, next: page.has_more ? page.page_token : undefined };
  }

  /** A chat's messages, thread replies included (Feishu lists them in the chat). */
  history(channel: CollectorChannel, cursor: string | undefined, oldest?: number): Promise<HistoryPage> {
    return this.page({ container_id_type: 'chat', container_id: channel.id, start_time: oldest !== undefined ? secs(oldest) : undefined, page_token: cursor });
  }

  /** Replies of a topic thread (omt_…); replies in ordinary chats already came with history(). */
  async replies(_channel: CollectorChannel, threadId: string): Promise<CollectedMessage[]> {
    if (!threadId.startsWith('omt_')) return [];
    const out: CollectedMessage[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.page({ container_id_type: 'thread', container_id: threadId, page_token: cursor });
      out.push(...page.messages);
      cursor = page.next;
    } while (cursor);
    return out;
  }

  async userName(userId: string): Promise<string | undefined> {
    if (!this.names.has(userId)) {
      try {
        const data = await this.api.call<{ user?: { name?: string } }>('contact.v3.user.get', () => this.api.client.contact.v3.user.get({ path: { user_id: userId }, params: { user_id_type: 'open_id' } }));
        this.names.set(userId, data.user?.name);
      } catch {
        this.names.set(userId, undefined);
      }
    }
    return this.names.get(userId);
  }
}
