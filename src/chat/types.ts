import type { Answer, HistoryTurn } from '../answer/types';
import type { Viewer } from '../avatars/visibility';
import type { Platform } from '../corpus/types';
import type { HistoryReader } from './history';

export type ChannelType = 'dm' | 'public_channel' | 'private_channel';

/**
 * One message or command from any platform, normalized at the edge. Everything after the
 * adapter works on this shape and knows no platform.
 */
export interface ChatEvent {
  /** Platform event id, for dedupe (Slack event_id, Feishu header.event_id). */
  eventId: string;
  platform: Platform;
  /** The bot app that received it (Slack api_app_id, Feishu app_id). */
  appId: string;
  /** Slack team_id, Feishu tenant_key. */
  workspaceId: string;
  channelId: string;
  channelType: ChannelType;
  /** Message id (Slack ts, Feishu message_id). */
  messageId: string;
  /** Thread root (Slack thread_ts, Feishu root_id) when the message is in a thread. */
  threadId?: string;
  userId: string;
  userName?: string;
  /** Text with the bot's own mention removed and other mentions rendered as @name. */
  text: string;
  /** Whether the bot was @mentioned (app_mention, Feishu mentions[]). */
  mentioned: boolean;
  /** Users mentioned besides the bot (targets of /distill @user). */
  mentions: { id: string; name?: string }[];
  /** `command` for slash commands and bot menu items, with the command name in `command`. */
  kind: 'message' | 'command';
  command?: string;
  /** When the platform says the message was sent (ms since epoch). */
  sentAt: number;
  /** The avatar bound to the receiving app (per-avatar apps); undefined in hub mode. */
  appAvatar?: string;
  /** Channel language hint, when the platform knows it. */
  locale?: string;
  /** Sent by a bot (our own replies included): always ignored. */
  fromBot?: boolean;
  /** Slack trigger_id / Feishu open_message_id: lets a command open a modal or card. */
  triggerId?: string;
  /** The message type when it is not text (a picture, a file): answered with a note that only text is read. */
  notText?: string;
}

/** What the core asks an adapter to show. Adapters render it as Block Kit or a Feishu card. */
export type Reply =
  | { kind: 'answer'; answer: Answer; avatarName: string }
  /** `errorCode`: the failure this notice reports, so adapters can tell it apart without reading its text. */
  | { kind: 'notice'; text: string; ephemeral?: boolean; errorCode?: string; key?: PostKey }
  /** `key`: see PostKey (a worker's placeholder, which a retried job must find again rather than post twice). */
  | { kind: 'status'; text: string; key?: PostKey }
  /**
   * An answer still being written: the model's text so far (or the offline answer shown piece by
   * piece), not yet checked, without label or citations. It replaces the status in place and is
   * itself replaced by the final `answer` reply (or by a complete offline answer when the stream fails).
   * `key`: as a status's, for the first draft of a worker's answer where the status was native (a
   * Slack assistant thread), which is then the placeholder.
   */
  | { kind: 'draft'; text: string; avatarName: string; key?: PostKey }
  /** A question with Approve / Decline buttons (distillation consent); `id` comes back in the action. */
  | { kind: 'consent'; id: string; text: string; lang: 'zh' | 'en' };

/**
 * An idempotency key for a post (a job's id, and which of its messages): Feishu sends the same
 * message again for a post with the key of one it sent within the hour (its `uuid`); Slack
 * carries it in the message's metadata, where ChatTransport.findPosted finds it.
 */
export type PostKey = string;

/** A button press, normalized: which button, on which value, by whom. */
export interface ChatAction {
  platform: Platform;
  appId: string;
  workspaceId: string;
  userId: string;
  /** e.g. `understudy_consent_approve`. */
  actionId: string;
  value: string;
  channelId?: string;
  messageId?: string;
  appAvatar?: string;
}

/** Where a reply goes: the channel, and the thread when there is one. */
export interface ReplyTarget {
  channelId: string;
  threadId?: string;
  /** The user a private (ephemeral) reply is for. */
  userId?: string;
  /** The event being answered, when there is one: it travels with every reply, so transports keep no per-event state. */
  origin?: ReplyOrigin;
}

/** What a platform needs to know about the message it answers to place and key its reply. */
export interface ReplyOrigin {
  eventId: string;
  channelId: string;
  channelType: ChannelType;
  /** The message being answered: Feishu replies to it rather than posting loose in the chat. */
  messageId: string;
  /** conversationKey of the event: feedback buttons carry it. */
  conversation: string;
  /** The asker's language, for a platform's own notices (a missing Feishu permission). */
  lang: 'zh' | 'en';
}

/** A message we posted, with the target it went to (an update renders for the same conversation). */
export interface MessageRef extends ReplyTarget {
  messageId: string;
}

export interface ChatUser {
  id: string;
  name?: string;
  isBot: boolean;
  /** User group / department ids, for access lists. */
  groups?: string[];
}

/** The verbs every adapter offers the core: the small adapter contract. */
export interface ChatTransport {
  readonly platform: Platform;
  /**
   * Streaming: the least time between two `draft` updates of one answer (Slack and Feishu about
   * 1000 ms, within their rate limits; the web app less). Undefined: the platform gets no drafts,
   * only the final answer.
   */
  readonly draftIntervalMs?: number;
  post(target: ReplyTarget, reply: Reply): Promise<MessageRef>;
  update(ref: MessageRef, reply: Reply): Promise<void>;
  /**
   * The message posted earlier with `key` where `target` goes (the bot's own, since the event), for
   * a job run again after dying between posting it and recording it; undefined when there is none.
   * A platform that deduplicates keyed posts itself (Feishu) needs no lookup: posting again is safe.
   */
  findPosted?(target: ReplyTarget, key: PostKey): Promise<MessageRef | undefined>;
  /** Show "working..." where the platform has a native status (Slack assistant threads). */
  setStatus?(target: ReplyTarget, status: string): Promise<boolean>;
  /** Earlier messages of a thread, oldest first, as conversation memory fallback. */
  fetchThread?(target: ReplyTarget): Promise<HistoryTurn[]>;
  resolveUser?(userId: string): Promise<ChatUser | undefined>;
  /** Read access to past messages (summaries, distillation); a reader per call, bound to this transport's event. */
  history?(): HistoryReader;
  /** Post to a user privately (opening the DM if needed). */
  dm?(userId: string, reply: Reply): Promise<MessageRef>;
  /** Send a file (an avatar export) into a conversation. */
  uploadFile?(target: ReplyTarget, filename: string, data: Uint8Array, comment: string): Promise<void>;
}

/** The conversation key for memory and first-contact: platform, workspace, channel, thread. */
export function conversationKey(e: Pick<ChatEvent, 'platform' | 'workspaceId' | 'channelId' | 'threadId' | 'channelType' | 'messageId'>): string {
  const thread = e.threadId ?? (e.channelType === 'dm' ? 'dm' : e.messageId);
  return `${e.platform}:${e.workspaceId}:${e.channelId}:${thread}`;
}

/** Where a sticky avatar choice is kept: per DM, or per channel thread. */
export function stickyKey(e: Pick<ChatEvent, 'platform' | 'workspaceId' | 'channelId' | 'threadId' | 'channelType'>): string {
  return e.channelType === 'dm' ? `${e.platform}:${e.workspaceId}:${e.channelId}` : `${e.platform}:${e.workspaceId}:${e.channelId}:${e.threadId ?? '-'}`;
}

export function viewerOf(e: Pick<ChatEvent, 'platform' | 'userId' | 'channelType' | 'channelId'>): Viewer {
  // The operator at the terminal has the files anyway.
  if (e.platform === 'cli') return { platform: 'cli', userId: e.userId, surface: 'local' };
  return { platform: e.platform, userId: e.userId, surface: e.channelType, channelId: e.channelId };
}
