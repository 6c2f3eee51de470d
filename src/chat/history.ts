import type { ChatPlatform } from '../corpus/types';

/**
 * The history port: how features read a platform's past messages. Summaries and distillation
 * both read through a `HistoryReader`; each platform has one reader, in its adapter folder
 * (Slack: conversations.history/replies; Feishu: im.v1.message.list). Exports become the same
 * `HistoryMessage` shape (summarize/export-source.ts).
 */

export interface HistoryFile {
  name: string;
  mimetype?: string;
  size?: number;
  /** Where the platform serves it (fetched with the bot's credentials). */
  url?: string;
  /** Bytes, when the platform let us download them. */
  data?: Uint8Array;
  /** Why not, when it did not (missing scope, too large, not a text format). */
  skipped?: string;
}

export interface HistoryMessage {
  /** Message id: Slack ts, Feishu message_id. */
  id: string;
  /** The thread root's id when the message is in a thread (a root with replies carries its own id). */
  threadId?: string;
  channelId?: string;
  userId: string;
  /** Display name, when the platform told us; readers show `userId` without it. */
  userName?: string;
  /** Plain text: mentions rendered as @name, links as `label (url)`. */
  text: string;
  /** Names of the people @mentioned, as they appear after `@` in `text`. */
  mentions?: string[];
  /** When it was sent, ms since epoch. */
  ts: number;
  /** Slack permalink or Feishu message link. Only a link the platform gave or that we built from its id. */
  link?: string;
  /** Replies the platform counts for a thread root, including ones outside the fetched range. */
  replyCount?: number;
  /** Files shared with the message. */
  files?: HistoryFile[];
}

/** What to read: a time range of a channel, or one thread. Times are ms since epoch. */
export interface HistoryRange {
  oldest?: number;
  latest?: number;
  /** Read this thread (all of it, or the part within oldest/latest). */
  threadId?: string;
  /** Stop after this many messages (protects memory and rate limits). */
  maxMessages?: number;
}

export interface HistoryProgress {
  messages: number;
  threads: number;
  pages: number;
}

/** One page; `next` is the cursor of the following page (resumable: it can be saved and passed back later). */
export interface HistoryPage {
  messages: HistoryMessage[];
  next?: string;
  /**
   * Threads rooted on this page whose replies the channel listing leaves out (Slack), with when
   * the last reply was sent (ms); a root need not be a person's message to have replies.
   */
  threads?: { id: string; latestReply?: number }[];
}

/** A conversation the bot reads. */
export interface HistoryChannel {
  id: string;
  name: string;
  /** Private channels and DMs keep `private` visibility, tied to their members. */
  private: boolean;
  members?: string[];
}

/** A conversation, as the platform describes it. */
export interface ChannelInfo {
  id: string;
  name?: string;
  isPrivate: boolean;
  /** Whether the bot itself is in it; undefined when the platform does not say. */
  botIsMember?: boolean;
}

/** What a pasted message link points at. */
export type LinkTarget =
  | { kind: 'message'; channelId: string; messageId: string; threadId?: string }
  /** A link into another workspace or tenant: never followed. */
  | { kind: 'foreign'; host: string }
  | { kind: 'invalid' };

/** Read access to one workspace's history. Implementations page through the platform and honour its rate limits. */
export interface HistoryReader {
  readonly platform: ChatPlatform;
  /**
   * One page of a channel within oldest/latest (Slack: top-level messages and thread roots;
   * Feishu: replies too), or of one thread when `range.threadId` is set. Pass the page's `next`
   * to get the following one.
   */
  page(channelId: string, range: HistoryRange, cursor?: string): Promise<HistoryPage>;
  /** The channels the bot is in, with members for private ones. */
  listChannels(): Promise<HistoryChannel[]>;
  userName(userId: string): Promise<string | undefined>;
  /** Whether a person is in a channel: only members may have it summarised. */
  isMember(channelId: string, userId: string): Promise<boolean>;
  channelInfo(channelId: string): Promise<ChannelInfo | undefined>;
  /** A channel by the name a person typed (`#general`), among those the bot can see. */
  findChannel?(name: string): Promise<ChannelInfo | undefined>;
  /** What a pasted message link points at; a link into another workspace or tenant is `foreign`. */
  resolveLink?(url: string): Promise<LinkTarget>;
  /** The platform's link to a message that came without one. */
  permalink?(channelId: string, messageId: string, threadId?: string): Promise<string | undefined>;
  /** The bytes of a message's `index`-th file, or why not. */
  downloadFile?(message: HistoryMessage, index: number): Promise<HistoryFile>;
}

const DEFAULT_MAX = 20_000;

/**
 * A channel's messages in a range with the replies of every thread active in it, or one whole
 * thread; oldest first, each message once, every message with its link where the platform has one.
 */
export async function readHistory(reader: HistoryReader, channelId: string, range: HistoryRange, onProgress?: (p: HistoryProgress) => void): Promise<HistoryMessage[]> {
  const max = range.maxMessages ?? DEFAULT_MAX;
  const byId = new Map<string, HistoryMessage>();
  const progress: HistoryProgress = { messages: 0, threads: range.threadId ? 1 : 0, pages: 0 };
  const inRange = (m: HistoryMessage): boolean => (range.oldest === undefined || m.ts >= range.oldest) && (range.latest === undefined || m.ts <= range.latest);
  const threads: NonNullable<HistoryPage['threads']> = [];
  const readAll = async (r: HistoryRange): Promise<void> => {
    let cursor: string | undefined;
    do {
      const page = await reader.page(channelId, r, cursor);
      for (const m of page.messages) if (inRange(m) && byId.size < max && !byId.has(m.id)) byId.set(m.id, m);
      if (!r.threadId) threads.push(...(page.threads ?? []));
      progress.pages++;
      progress.messages = byId.size;
      onProgress?.({ ...progress });
      cursor = byId.size < max ? page.next : undefined;
    } while (cursor);
  };
  await readAll(range);
  if (!range.threadId) {
    // A thread started before the range can have replies inside it; the channel lists only its root.
    for (const t of threads) {
      if (byId.size >= max) break;
      if (t.latestReply !== undefined && range.oldest !== undefined && t.latestReply < range.oldest) continue;
      progress.threads++;
      await readAll({ oldest: range.oldest, latest: range.latest, threadId: t.id });
    }
  }
  const out = [...byId.values()];
  countReplies(out);
  if (reader.permalink) for (const m of out) m.link ??= await reader.permalink(channelId, m.id, m.threadId);
  return out.sort((a, b) => a.ts - b.ts);
}

/** Roots the platform gave no reply count learn it from the replies present (Feishu lists carry none). */
export function countReplies(messages: HistoryMessage[]): void {
  const replies = new Map<string, number>();
  for (const m of messages) if (m.threadId && m.threadId !== m.id) replies.set(m.threadId, (replies.get(m.threadId) ?? 0) + 1);
  for (const m of messages) {
    const n = replies.get(m.id);
    if (n && m.replyCount === undefined) {
      m.replyCount = n;
      m.threadId ??= m.id;
    }
  }
}
