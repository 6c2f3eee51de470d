/**
 * The platform-neutral shape of chat history that summaries are made from. Slack's
 * conversations.history / replies, Feishu's im.v1.message.list and both export formats all
 * become this.
 */
export interface HistoryMessage {
  /** Message id: Slack ts, Feishu message_id. */
  id: string;
  /** The thread root's id when the message is in a thread (a root with replies carries its own id). */
  threadId?: string;
  channelId?: string;
  userId: string;
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
}

/** What to fetch: a time range of a channel, or one whole thread. Times are ms since epoch. */
export interface HistoryRange {
  oldest?: number;
  latest?: number;
  /** Fetch this thread (all of it, or the part within oldest/latest). */
  threadId?: string;
  /** Stop after this many messages (protects memory and rate limits). */
  maxMessages?: number;
}

export interface HistoryProgress {
  messages: number;
  threads: number;
  pages: number;
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
