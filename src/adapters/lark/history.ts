import type { Logger } from 'pino';
import type { FeishuMessage } from '../../corpus/loaders/feishu-export';
import type { ChannelInfo, HistoryMessage, HistoryProgress, HistoryRange } from '../../summarize/message';
import { countReplies, feishuSender, fromFeishuMessage } from '../../summarize/feishu-messages';
import type { LarkApi } from './open-api';

const PAGE = 50;
const MAX_NAME_LOOKUPS = 200;

interface ListPage {
  items?: FeishuMessage[];
  has_more?: boolean;
  page_token?: string;
}

const secs = (ms: number): string => String(Math.floor(ms / 1000));

/**
 * Chat history for summaries through im.v1.message.list (chat or thread container), oldest
 * first, paginated; the Open API client waits out frequency limits. Names come from the
 * messages' mentions and contact.v3.user.get, else the open_id.
 */
export class LarkHistory {
  private readonly names = new Map<string, string>();

  constructor(
    private readonly api: LarkApi,
    private readonly log: Logger,
  ) {}

  /**
   * `threadContainer` is the Feishu thread id (omt_...) when the caller knows it; without it a
   * thread is read from the chat's list by root id.
   */
  async fetch(chatId: string, range: HistoryRange, onProgress?: (p: HistoryProgress) => void, threadContainer?: string): Promise<HistoryMessage[]> {
    const max = range.maxMessages ?? 20_000;
    const byThread = Boolean(range.threadId && threadContainer);
    const items: FeishuMessage[] = [];
    const progress: HistoryProgress = { messages: 0, threads: range.threadId ? 1 : 0, pages: 0 };
    let token: string | undefined;
    do {
      const page: ListPage = await this.api.call<ListPage>('im.v1.message.list', () =>
        this.api.client.im.v1.message.list({
          params: {
            container_id_type: byThread ? 'thread' : 'chat',
            container_id: byThread ? (threadContainer as string) : chatId,
            start_time: !byThread && range.oldest !== undefined ? secs(range.oldest) : undefined,
            end_time: !byThread && range.latest !== undefined ? secs(range.latest) : undefined,
            sort_type: 'ByCreateTimeAsc',
            page_size: PAGE,
            page_token: token,
          },
        }) as Promise<{ code?: number; msg?: string; data?: ListPage }>,
      );
      for (const m of page.items ?? []) {
        const ms = Number(m.create_time);
        if ((range.oldest !== undefined && ms < range.oldest) || (range.latest !== undefined && ms > range.latest)) continue;
        if (range.threadId && !byThread && m.message_id !== range.threadId && m.root_id !== range.threadId) continue;
        items.push({ ...m, chat_id: m.chat_id ?? chatId });
      }
      progress.pages++;
      progress.messages = items.length;
      onProgress?.({ ...progress });
      token = page.has_more && items.length < max ? page.page_token : undefined;
    } while (token);
    await this.lookUpNames(items);
    const out: HistoryMessage[] = [];
    for (const m of items.slice(0, max)) {
      try {
        const h = fromFeishuMessage(m, (id) => this.names.get(id));
        if (h) out.push(h);
      } catch (err) {
        this.log.debug({ message_id: m.message_id, err }, 'unreadable Feishu message skipped');
      }
    }
    countReplies(out);
    return out.sort((a, b) => a.ts - b.ts);
  }

  private async lookUpNames(items: FeishuMessage[]): Promise<void> {
    for (const m of items) for (const x of m.mentions ?? []) {
      const id = typeof x.id === 'string' ? x.id : x.id?.open_id;
      if (id && x.name) this.names.set(id, x.name);
    }
    let lookups = 0;
    for (const m of items) {
      const { id, type } = feishuSender(m);
      if (!id || type !== 'user' || this.names.has(id) || lookups >= MAX_NAME_LOOKUPS) continue;
      lookups++;
      try {
        const data = await this.api.call<{ user?: { name?: string; en_name?: string } }>('contact.v3.user.get', () =>
          this.api.client.contact.v3.user.get({ path: { user_id: id }, params: { user_id_type: 'open_id' } }),
        );
        this.names.set(id, data.user?.name ?? data.user?.en_name ?? id);
      } catch (err) {
        // Without contact:user.base:readonly the open_id is shown instead.
        this.log.debug({ user: id, err }, 'contact.v3.user.get failed; showing the open_id');
        this.names.set(id, id);
      }
    }
  }

  async isMember(chatId: string, openId: string): Promise<boolean> {
    let token: string | undefined;
    do {
      const page = await this.api.call<{ items?: { member_id?: string }[]; has_more?: boolean; page_token?: string }>('im.v1.chatMembers.get', () =>
        this.api.client.im.v1.chatMembers.get({ path: { chat_id: chatId }, params: { member_id_type: 'open_id', page_size: 100, page_token: token } }),
      );
      if ((page.items ?? []).some((m) => m.member_id === openId)) return true;
      token = page.has_more ? page.page_token : undefined;
    } while (token);
    return false;
  }

  async channelInfo(chatId: string): Promise<ChannelInfo | undefined> {
    const c = await this.api.call<{ name?: string; chat_type?: string; chat_mode?: string }>('im.v1.chat.get', () => this.api.client.im.v1.chat.get({ path: { chat_id: chatId } }));
    return { id: chatId, name: c.name, isPrivate: c.chat_type !== 'public' || c.chat_mode === 'p2p', botIsMember: true };
  }
}
