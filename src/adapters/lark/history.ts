import type { Logger } from 'pino';
import type { ChannelInfo, HistoryChannel, HistoryMessage, HistoryPage, HistoryRange, HistoryReader } from '../../chat/history';
import type { FeishuMessage } from '../../corpus/loaders/feishu-export';
import { feishuSender, fromFeishuMessage } from '../../corpus/loaders/feishu-history';
import type { LarkApi } from './open-api';

const PAGE = 50;
/** contact.v3.user.get calls per page at most; people beyond it show as their open_id. */
const MAX_NAME_LOOKUPS = 200;

interface Page<T> {
  items?: T[];
  has_more?: boolean;
  page_token?: string;
}

const secs = (ms: number): string => String(Math.floor(ms / 1000));

/**
 * Feishu history through im.v1.message.list (chat or thread container), oldest first, in pages
 * with resumable cursors; the Open API client waits out frequency limits. Names come from the
 * messages' mentions and contact.v3.user.get. Feishu has no public message links, so none are made up.
 */
export class LarkHistory implements HistoryReader {
  readonly platform = 'lark' as const;
  private readonly names = new Map<string, string | undefined>();
  private readonly containers = new Map<string, Promise<string | undefined>>();

  /** `knownContainer`: a root's thread container the caller already knows (from the event), saving a lookup. */
  constructor(
    private readonly api: LarkApi,
    private readonly log: Logger,
    private readonly knownContainer: (rootId: string) => string | undefined = () => undefined,
  ) {}

  /**
   * A chat's messages, thread replies included (Feishu lists them in the chat). A thread is read
   * from its container (omt_...: given, or the one its root message opened), else from the chat's
   * list by root id.
   */
  async page(chatId: string, range: HistoryRange, cursor?: string): Promise<HistoryPage> {
    const root = range.threadId;
    const container = root && (root.startsWith('omt_') ? root : await this.containerOf(root));
    const page = await this.api.call<Page<FeishuMessage>>('im.v1.message.list', () =>
      this.api.client.im.v1.message.list({
        params: {
          container_id_type: container ? 'thread' : 'chat',
          container_id: container || chatId,
          start_time: !container && range.oldest !== undefined ? secs(range.oldest) : undefined,
          end_time: !container && range.latest !== undefined ? secs(range.latest) : undefined,
          sort_type: 'ByCreateTimeAsc',
          page_size: PAGE,
          page_token: cursor,
        },
      }) as Promise<{ code?: number; msg?: string; data?: Page<FeishuMessage> }>,
    );
    const items = (page.items ?? []).filter((m) => !root || container || m.message_id === root || m.root_id === root).map((m) => ({ ...m, chat_id: m.chat_id ?? chatId }));
    await this.lookUpNames(items);
    const messages: HistoryMessage[] = [];
    for (const m of items) {
      try {
        const h = fromFeishuMessage(m, (id) => this.names.get(id));
        if (h) messages.push(h);
      } catch (err) {
        this.log.warn({ message_id: m.message_id, err }, 'Feishu message with malformed content skipped');
      }
    }
    return { messages, next: page.has_more ? page.page_token || undefined : undefined };
  }

  /** The thread container a root message opened (topic groups, replies in thread), once per root; undefined for a plain reply chain. */
  private containerOf(rootId: string): Promise<string | undefined> {
    const known = this.knownContainer(rootId);
    if (known) return Promise.resolve(known);
    let found = this.containers.get(rootId);
    if (!found) {
      found = this.api
        .call<{ items?: { thread_id?: string }[] }>('im.v1.message.get', () => this.api.client.im.v1.message.get({ path: { message_id: rootId } }))
        .then((d) => d.items?.[0]?.thread_id || undefined)
        .catch((err: unknown) => {
          this.log.warn({ err, message_id: rootId }, 'im.v1.message.get failed; reading the thread from the chat by root id');
          return undefined;
        });
      this.containers.set(rootId, found);
    }
    return found;
  }

  private async lookUpNames(items: FeishuMessage[]): Promise<void> {
    for (const m of items) for (const x of m.mentions ?? []) {
      const id = typeof x.id === 'string' ? x.id : x.id?.open_id;
      if (id && x.name) this.names.set(id, x.name);
    }
    let lookups = 0;
    for (const m of items) {
      const { id, type } = feishuSender(m);
      if (!id || type !== 'user' || this.names.has(id) || lookups++ >= MAX_NAME_LOOKUPS) continue;
      await this.userName(id);
    }
  }

  async userName(openId: string): Promise<string | undefined> {
    if (!this.names.has(openId)) {
      try {
        const data = await this.api.call<{ user?: { name?: string; en_name?: string } }>('contact.v3.user.get', () =>
          this.api.client.contact.v3.user.get({ path: { user_id: openId }, params: { user_id_type: 'open_id' } }),
        );
        this.names.set(openId, data.user?.name || data.user?.en_name || undefined);
      } catch (err) {
        // Without contact:user.base:readonly the open_id is shown instead.
        this.log.debug({ user: openId, err }, 'contact.v3.user.get failed; showing the open_id');
        this.names.set(openId, undefined);
      }
    }
    return this.names.get(openId);
  }

  /** The chats the bot is in; private ones (and any whose type is unknown) with their members. */
  async listChannels(): Promise<HistoryChannel[]> {
    const out: HistoryChannel[] = [];
    let token: string | undefined;
    do {
      const page: Page<{ chat_id?: string; name?: string }> = await this.api.call('im.v1.chat.list', () => this.api.client.im.v1.chat.list({ params: { page_size: 100, page_token: token } }));
      for (const c of page.items ?? []) {
        if (!c.chat_id) continue;
        const info = await this.channelInfo(c.chat_id).catch((err: unknown) => {
          // When unsure, private: its messages then stay with the chat's members.
          this.log.warn({ err, chat_id: c.chat_id }, 'im.v1.chat.get failed; treating the chat as private');
          return undefined;
        });
        const isPrivate = info?.isPrivate ?? true;
        out.push({ id: c.chat_id, name: c.name || c.chat_id, private: isPrivate, members: isPrivate ? await this.members(c.chat_id) : undefined });
      }
      token = page.has_more ? page.page_token : undefined;
    } while (token);
    return out;
  }

  private async members(chatId: string, until?: (ids: string[]) => boolean): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page: Page<{ member_id?: string }> = await this.api.call('im.v1.chatMembers.get', () =>
        this.api.client.im.v1.chatMembers.get({ path: { chat_id: chatId }, params: { member_id_type: 'open_id', page_size: 100, page_token: token } }),
      );
      for (const m of page.items ?? []) if (m.member_id) out.push(m.member_id);
      token = page.has_more && !until?.(out) ? page.page_token : undefined;
    } while (token);
    return out;
  }

  async isMember(chatId: string, openId: string): Promise<boolean> {
    return (await this.members(chatId, (ids) => ids.includes(openId))).includes(openId);
  }

  async channelInfo(chatId: string): Promise<ChannelInfo | undefined> {
    const c = await this.api.call<{ name?: string; chat_type?: string; chat_mode?: string }>('im.v1.chat.get', () => this.api.client.im.v1.chat.get({ path: { chat_id: chatId } }));
    return { id: chatId, name: c.name, isPrivate: c.chat_type !== 'public' || c.chat_mode === 'p2p', botIsMember: true };
  }
}
