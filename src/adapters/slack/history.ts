import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { SlackNames } from '../../corpus/loaders/slack-text';
import type { ChannelInfo, HistoryMessage, HistoryProgress, HistoryRange, LinkTarget } from '../../summarize/message';
import { fromSlackMessage, slackPermalink, type RawSlackMessage } from '../../summarize/slack-messages';

/** One Web API call with the transport's rate-limit handling (waits Retry-After, then retries). */
export type SlackCaller = <T>(method: string, fn: () => Promise<T>) => Promise<T>;

const PAGE = 200;
const MAX_NAME_LOOKUPS = 300;

interface Page {
  messages?: RawSlackMessage[];
  has_more?: boolean;
  response_metadata?: { next_cursor?: string };
}

const secs = (ms: number): string => (ms / 1000).toFixed(6);

/**
 * Channel history for summaries: conversations.history for the range, conversations.replies for
 * every thread active in it, names from users.info, permalinks built on the workspace URL that
 * auth.test reports (chat.getPermalink when it reports none).
 */
export class SlackHistory {
  private base?: Promise<string | undefined>;
  private readonly names = new Map<string, string>();

  constructor(
    private readonly client: WebClient,
    private readonly call: SlackCaller,
    private readonly log: Logger,
  ) {}

  /** `https://acme.slack.com/`, once per transport. */
  workspaceUrl(): Promise<string | undefined> {
    this.base ??= this.call('auth.test', () => this.client.auth.test()).then((r) => (r.url as string | undefined) || undefined);
    return this.base;
  }

  async permalink(channelId: string, ts: string, threadTs?: string): Promise<string | undefined> {
    const url = await this.workspaceUrl();
    if (url) return slackPermalink(url, channelId, ts, threadTs);
    const res = await this.call('chat.getPermalink', () => this.client.chat.getPermalink({ channel: channelId, message_ts: ts }));
    return res.permalink as string | undefined;
  }

  /** Every page of one listing; the cursor comes back in response_metadata. */
  private async pages(method: string, fetch: (cursor?: string) => Promise<Page>, onPage: (p: Page) => boolean): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await this.call(method, () => fetch(cursor));
      if (!onPage(page)) return;
      cursor = page.has_more !== false ? page.response_metadata?.next_cursor || undefined : undefined;
    } while (cursor);
  }

  async fetch(channelId: string, range: HistoryRange, onProgress?: (p: HistoryProgress) => void): Promise<HistoryMessage[]> {
    const max = range.maxMessages ?? 20_000;
    const oldest = range.oldest !== undefined ? secs(range.oldest) : undefined;
    const latest = range.latest !== undefined ? secs(range.latest) : undefined;
    const inRange = (m: RawSlackMessage): boolean => {
      const ms = Number(m.ts) * 1000;
      return (range.oldest === undefined || ms >= range.oldest) && (range.latest === undefined || ms <= range.latest);
    };
    const raw: RawSlackMessage[] = [];
    const progress: HistoryProgress = { messages: 0, threads: 0, pages: 0 };
    const take = (page: Page, thread?: string, skipRoot?: string): boolean => {
      progress.pages++;
      for (const m of page.messages ?? []) {
        if (m.ts === skipRoot || !inRange(m)) continue;
        // Everything conversations.replies returns belongs to that thread, whatever the message says.
        if (thread) m.thread_ts ??= thread;
        raw.push(m);
      }
      progress.messages = raw.length;
      onProgress?.({ ...progress });
      return raw.length < max;
    };
    const replies = async (ts: string, skipRoot?: string): Promise<void> => {
      progress.threads++;
      await this.pages('conversations.replies', (cursor) => this.client.conversations.replies({ channel: channelId, ts, cursor, limit: PAGE }) as Promise<Page>, (p) => take(p, ts, skipRoot));
    };
    if (range.threadId) {
      await replies(range.threadId);
    } else {
      await this.pages(
        'conversations.history',
        (cursor) => this.client.conversations.history({ channel: channelId, oldest, latest, inclusive: true, cursor, limit: PAGE }) as Promise<Page>,
        (p) => take(p),
      );
      // A thread started before the range can still have replies inside it; history lists its root only if the root is in range.
      const threads = raw.filter((m) => (m.reply_count ?? 0) > 0 && (!m.latest_reply || range.oldest === undefined || Number(m.latest_reply) * 1000 >= range.oldest));
      for (const root of threads) {
        if (raw.length >= max) break;
        await replies(root.ts as string, root.ts);
      }
    }
    const url = await this.workspaceUrl();
    const names = await this.namesFor(raw);
    const out: HistoryMessage[] = [];
    for (const m of raw.slice(0, max)) {
      const h = fromSlackMessage(m, channelId, names, url);
      if (!h) continue;
      h.link ??= await this.permalink(channelId, h.id, m.thread_ts);
      out.push(h);
    }
    return out.sort((a, b) => a.ts - b.ts);
  }

  /** Display names of authors and mentioned people, looked up once each. */
  private async namesFor(messages: RawSlackMessage[]): Promise<SlackNames> {
    const ids = new Set<string>();
    for (const m of messages) {
      if (m.user) ids.add(m.user);
      for (const x of (m.text ?? '').matchAll(/<@([UW][A-Z0-9]+)/g)) ids.add(x[1]);
    }
    let lookups = 0;
    for (const id of ids) {
      if (this.names.has(id) || lookups >= MAX_NAME_LOOKUPS) continue;
      lookups++;
      try {
        const res = await this.call('users.info', () => this.client.users.info({ user: id }));
        const u = res.user;
        this.names.set(id, u?.profile?.display_name || u?.real_name || u?.name || id);
      } catch (err) {
        this.log.debug({ user: id, err }, 'users.info failed; showing the id');
        this.names.set(id, id);
      }
    }
    return { users: this.names, channels: new Map() };
  }

  async isMember(channelId: string, userId: string): Promise<boolean> {
    let found = false;
    await this.pages(
      'conversations.members',
      (cursor) => this.client.conversations.members({ channel: channelId, cursor, limit: 1000 }) as Promise<Page & { members?: string[] }>,
      (p) => {
        found = ((p as { members?: string[] }).members ?? []).includes(userId);
        return !found;
      },
    );
    return found;
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
      (cursor) => this.client.conversations.list({ types: 'public_channel,private_channel', exclude_archived: true, limit: 1000, cursor }) as Promise<Page>,
      (p) => {
        const list = ((p as { channels?: { id: string; name?: string; is_private?: boolean; is_member?: boolean }[] }).channels ?? []);
        const c = list.find((x) => x.name?.toLowerCase() === want);
        if (c) found = { id: c.id, name: c.name, isPrivate: Boolean(c.is_private), botIsMember: c.is_member };
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
}
