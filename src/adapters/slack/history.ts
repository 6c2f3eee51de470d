import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { ChannelInfo, HistoryChannel, HistoryFile, HistoryMessage, HistoryPage, HistoryRange, HistoryReader, LinkTarget } from '../../chat/history';
import { fromSlackMessage, slackPermalink, tsToMs, type RawSlackMessage } from '../../corpus/loaders/slack-history';
import type { SlackNames } from '../../corpus/loaders/slack-text';

/** One Web API call with the transport's rate-limit handling (waits Retry-After, then retries). */
export type SlackCaller = <T>(method: string, fn: () => Promise<T>) => Promise<T>;

const PAGE = 200;
/** users.info calls per page at most; people beyond it show as their id. */
const MAX_NAME_LOOKUPS = 300;
const FILE_LIMIT = 5 * 1024 * 1024;
const TEXT_TYPES = /^(text\/|application\/(pdf|json|vnd\.openxmlformats-officedocument\.wordprocessingml))/;

interface Listing {
  messages?: RawSlackMessage[];
  channels?: { id?: string; name?: string; is_private?: boolean; is_member?: boolean }[];
  members?: string[];
  has_more?: boolean;
  response_metadata?: { next_cursor?: string };
}

const secs = (ms: number): string => (ms / 1000).toFixed(6);
const nextCursor = (p: Listing): string | undefined => (p.has_more !== false ? p.response_metadata?.next_cursor || undefined : undefined);

/**
 * Slack history through the Web API: conversations.history for a channel, conversations.replies
 * for a thread, names from users.info, permalinks built on the workspace URL (auth.test when none
 * was configured; chat.getPermalink when it reports none), shared files with the bot token.
 */
export class SlackHistory implements HistoryReader {
  readonly platform = 'slack' as const;
  private base?: Promise<string | undefined>;
  private readonly names = new Map<string, string | undefined>();

  constructor(
    private readonly client: WebClient,
    private readonly call: SlackCaller,
    private readonly log: Logger,
    workspaceUrl?: string,
  ) {
    if (workspaceUrl) this.base = Promise.resolve(workspaceUrl);
  }

  /** `https://acme.slack.com/`, once per reader. */
  private workspaceUrl(): Promise<string | undefined> {
    this.base ??= this.call('auth.test', () => this.client.auth.test()).then((r) => (r.url as string | undefined) || undefined);
    return this.base;
  }

  async permalink(channelId: string, ts: string, threadTs?: string): Promise<string | undefined> {
    const url = await this.workspaceUrl();
    if (url) return slackPermalink(url, channelId, ts, threadTs);
    const res = await this.call('chat.getPermalink', () => this.client.chat.getPermalink({ channel: channelId, message_ts: ts }));
    return res.permalink as string | undefined;
  }

  /** Every page of one listing, until `onPage` says stop. */
  private async pages(method: string, fetch: (cursor?: string) => Promise<Listing>, onPage: (p: Listing) => boolean | void): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await this.call(method, () => fetch(cursor));
      if (onPage(page) === false) return;
      cursor = nextCursor(page);
    } while (cursor);
  }

  async page(channelId: string, range: HistoryRange, cursor?: string): Promise<HistoryPage> {
    const thread = range.threadId;
    const res: Listing = thread
      ? await this.call('conversations.replies', () => this.client.conversations.replies({ channel: channelId, ts: thread, cursor, limit: PAGE }) as Promise<Listing>)
      : await this.call('conversations.history', () =>
          this.client.conversations.history({
            channel: channelId,
            oldest: range.oldest !== undefined ? secs(range.oldest) : undefined,
            latest: range.latest !== undefined ? secs(range.latest) : undefined,
            inclusive: true,
            cursor,
            limit: PAGE,
          }) as Promise<Listing>,
        );
    const raw = res.messages ?? [];
    // Everything conversations.replies returns belongs to that thread, whatever the message says.
    if (thread) for (const m of raw) m.thread_ts ??= thread;
    const names = await this.namesFor(raw);
    const url = await this.workspaceUrl();
    const messages = raw.map((m) => fromSlackMessage(m, channelId, names, url)).filter((m): m is HistoryMessage => m !== undefined);
    const threads = thread ? undefined : raw.filter((m) => m.ts && (m.reply_count ?? 0) > 0).map((m) => ({ id: m.ts as string, latestReply: m.latest_reply ? tsToMs(m.latest_reply) : undefined }));
    return { messages, next: nextCursor(res), threads };
  }

  /** Display names of authors and mentioned people, looked up once each. */
  private async namesFor(messages: RawSlackMessage[]): Promise<SlackNames> {
    const ids = new Set<string>();
    for (const m of messages) {
      if (m.user) ids.add(m.user);
      for (const x of (m.text ?? '').matchAll(/<@([UW][A-Z0-9]+)/g)) ids.add(x[1]);
    }
    const users = new Map<string, string>();
    let lookups = 0;
    for (const id of ids) {
      if (!this.names.has(id) && lookups++ >= MAX_NAME_LOOKUPS) continue;
      const name = await this.userName(id);
      if (name) users.set(id, name);
    }
    return { users, channels: new Map() };
  }

  async userName(userId: string): Promise<string | undefined> {
    if (!this.names.has(userId)) {
      try {
        const res = await this.call('users.info', () => this.client.users.info({ user: userId }));
        const u = res.user;
        this.names.set(userId, u?.profile?.display_name || u?.real_name || u?.name || undefined);
      } catch (err) {
        this.log.debug({ user: userId, err }, 'users.info failed; showing the id');
        this.names.set(userId, undefined);
      }
    }
    return this.names.get(userId);
  }

  /** Channels the bot is a member of; private ones with their members. */
  async listChannels(): Promise<HistoryChannel[]> {
    const found: NonNullable<Listing['channels']> = [];
    await this.pages(
      'conversations.list',
      (cursor) => this.client.conversations.list({ types: 'public_channel,private_channel', exclude_archived: true, limit: PAGE, cursor }) as Promise<Listing>,
      (p) => void found.push(...(p.channels ?? []).filter((c) => c.id && c.is_member)),
    );
    const out: HistoryChannel[] = [];
    for (const c of found) {
      const id = c.id as string;
      out.push({ id, name: c.name ?? id, private: Boolean(c.is_private), members: c.is_private ? await this.members(id) : undefined });
    }
    return out;
  }

  private async members(channelId: string, until?: (ids: string[]) => boolean): Promise<string[]> {
    const out: string[] = [];
    await this.pages(
      'conversations.members',
      (cursor) => this.client.conversations.members({ channel: channelId, cursor, limit: 1000 }) as Promise<Listing>,
      (p) => {
        out.push(...(p.members ?? []));
        return !until?.(out);
      },
    );
    return out;
  }

  async isMember(channelId: string, userId: string): Promise<boolean> {
    return (await this.members(channelId, (ids) => ids.includes(userId))).includes(userId);
  }

  async channelInfo(channelId: string): Promise<ChannelInfo | undefined> {
    const res = await this.call('conversations.info', () => this.client.conversations.info({ channel: channelId }));
    const c = res.channel as { id?: string; name?: string; is_private?: boolean; is_im?: boolean; is_mpim?: boolean; is_member?: boolean } | undefined;
    if (!c) return undefined;
    return { id: c.id ?? channelId, name: c.name, isPrivate: Boolean(c.is_private || c.is_im || c.is_mpim), botIsMember: c.is_member };
  }

  async findChannel(name: string): Promise<ChannelInfo | undefined> {
    const want = name.replace(/^#/, '').toLowerCase();
    let found: ChannelInfo | undefined;
    await this.pages(
      'conversations.list',
      (cursor) => this.client.conversations.list({ types: 'public_channel,private_channel', exclude_archived: true, limit: 1000, cursor }) as Promise<Listing>,
      (p) => {
        const c = (p.channels ?? []).find((x) => x.id && x.name?.toLowerCase() === want);
        if (c) found = { id: c.id as string, name: c.name, isPrivate: Boolean(c.is_private), botIsMember: c.is_member };
        return !found;
      },
    );
    return found;
  }

  /**
   * A Slack message link (`https://acme.slack.com/archives/C1/p1700000000000100?thread_ts=...`).
   * A link whose host is not this workspace's is foreign and never followed.
   */
  async resolveLink(link: string): Promise<LinkTarget> {
    let u: URL;
    try {
      u = new URL(link);
    } catch {
      return { kind: 'invalid' };
    }
    const m = /^\/archives\/([CGD][A-Z0-9]+)\/p(\d{10})(\d{6})\/?$/.exec(u.pathname);
    if (!m || !/(^|\.)slack\.com$/.test(u.hostname)) return { kind: 'invalid' };
    const own = await this.workspaceUrl();
    const ownHost = own ? new URL(own).hostname : undefined;
    if (!ownHost || u.hostname !== ownHost) return { kind: 'foreign', host: u.hostname };
    const messageId = `${m[2]}.${m[3]}`;
    const thread = u.searchParams.get('thread_ts') ?? undefined;
    return { kind: 'message', channelId: m[1], messageId, threadId: thread ?? messageId };
  }

  /** Text-like files up to 5 MB, downloaded with the bot token (needs files:read). */
  async downloadFile(message: HistoryMessage, index: number): Promise<HistoryFile> {
    const f = message.files?.[index];
    if (!f) return { name: 'file', skipped: 'missing' };
    if (!f.url) return { name: f.name, skipped: 'no download URL (files:read scope missing?)' };
    if ((f.size ?? 0) > FILE_LIMIT) return { name: f.name, skipped: 'larger than 5 MB' };
    if (!TEXT_TYPES.test(f.mimetype ?? '')) return { name: f.name, skipped: `not a text format (${f.mimetype ?? 'unknown'})` };
    try {
      const res = await fetch(f.url, { headers: { authorization: `Bearer ${this.client.token ?? ''}` } });
      if (!res.ok) return { name: f.name, skipped: `download refused (${res.status}); add the files:read scope` };
      return { name: f.name, data: new Uint8Array(await res.arrayBuffer()) };
    } catch (err) {
      this.log.warn({ err, file: f.name }, 'shared file download failed');
      return { name: f.name, skipped: `download failed: ${(err as Error).message}` };
    }
  }
}
