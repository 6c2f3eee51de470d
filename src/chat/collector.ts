/** A conversation the bot can read, as the collector sees it. */
export interface CollectorChannel {
  id: string;
  name: string;
  /** Private channels and DMs keep `private` visibility, tied to their members. */
  private: boolean;
  members?: string[];
}

export interface CollectedFile {
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

export interface CollectedMessage {
  id: string;
  /** Milliseconds since epoch. */
  at: number;
  userId: string;
  userName?: string;
  text: string;
  threadId?: string;
  replyCount?: number;
  permalink?: string;
  files?: CollectedFile[];
}

export interface HistoryPage {
  messages: CollectedMessage[];
  next?: string;
}

/**
 * What distillation needs from a platform: the channels the bot reads, history pages with
 * resumable cursors, thread replies and display names. Implementations honour rate limits.
 */
export interface HistoryCollector {
  readonly platform: 'slack' | 'lark';
  listChannels(): Promise<CollectorChannel[]>;
  history(channel: CollectorChannel, cursor: string | undefined, oldest?: number): Promise<HistoryPage>;
  replies(channel: CollectorChannel, threadId: string): Promise<CollectedMessage[]>;
  userName(userId: string): Promise<string | undefined>;
  /** Files the person shared, when the platform allows; optional. */
  downloadFile?(message: CollectedMessage, index: number): Promise<CollectedFile>;
}
