import type { ChannelType, ChatEvent } from '../../chat/types';
import { feishuText, type FeishuMessage } from '../../corpus/loaders/feishu-export';
import type { LarkAppConfig } from './apps';

export interface LarkUserId {
  open_id?: string;
  user_id?: string;
  union_id?: string;
}

export interface LarkMention {
  key: string;
  id?: LarkUserId;
  name?: string;
  mentioned_type?: string;
}

/** `im.message.receive_v1` as the SDK's dispatcher hands it over: header fields merged with the event. */
export interface LarkMessageEvent {
  event_id?: string;
  app_id?: string;
  tenant_key?: string;
  create_time?: string;
  sender?: { sender_id?: LarkUserId; sender_type?: string; tenant_key?: string };
  message?: {
    message_id: string;
    root_id?: string;
    parent_id?: string;
    thread_id?: string;
    create_time?: string;
    chat_id: string;
    chat_type?: string;
    message_type?: string;
    content?: string;
    mentions?: LarkMention[];
    user_agent?: string;
  };
}

/** `application.bot.menu_v6`: a click on the bot's menu in the p2p chat. */
export interface LarkMenuEvent {
  event_id?: string;
  app_id?: string;
  tenant_key?: string;
  create_time?: string;
  event_key?: string;
  timestamp?: number | string;
  operator?: { operator_name?: string; operator_id?: LarkUserId };
}

/** What the adapter does with a message event. */
export type Normalized =
  | { kind: 'event'; event: ChatEvent }
  /** A picture, file, sticker...: answered with a short "text only" note where we would answer. */
  | { kind: 'not_text'; event: ChatEvent; messageType: string }
  | { kind: 'ignore'; reason: string };

/** Message types we read; everything else gets the "I can only read text" note. */
const TEXT_TYPES = new Set(['text', 'post']);

/** Message types that are not a person writing to us (system notices, shared chats...). */
const SILENT_TYPES = new Set(['system', 'share_chat', 'share_user', 'merge_forward', 'interactive', 'location', 'todo', 'vote', 'hongbao', 'share_calendar_event', 'calendar', 'general_calendar', 'video_chat']);

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Plain text of a text or post message with the bot's own @mention removed and other
 * `@_user_N` placeholders resolved through mentions[]. Throws on malformed content JSON.
 */
export function messageText(message: NonNullable<LarkMessageEvent['message']>, botKeys: string[], botOpenId: string | undefined): string {
  const raw = JSON.parse(message.content ?? '') as Record<string, unknown>;
  if (!raw || typeof raw !== 'object') throw new SyntaxError('content is not a JSON object');
  let content: unknown = raw;
  if (message.message_type === 'text') {
    let text = typeof raw.text === 'string' ? raw.text : '';
    for (const key of botKeys) text = text.replace(new RegExp(`${escape(key)}(?!\\d)`, 'g'), ' ');
    content = { ...raw, text };
  } else {
    const dropBot = (para: unknown): unknown =>
      Array.isArray(para) ? para.filter((n: { tag?: string; user_id?: string }) => !(n?.tag === 'at' && (botKeys.includes(n.user_id ?? '') || (botOpenId && n.user_id === botOpenId)))) : para;
    const strip = (post: { content?: unknown }): unknown => (Array.isArray(post.content) ? { ...post, content: post.content.map(dropBot) } : post);
    content = Array.isArray(raw.content) ? strip(raw) : Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v && typeof v === 'object' ? strip(v as { content?: unknown }) : v]));
  }
  // A post's at-node names the user by open id or by the placeholder key.
  const names = new Map((message.mentions ?? []).flatMap((m) => [[m.id?.open_id ?? '', m.name] as const, [m.key, m.name] as const]));
  const asExport: FeishuMessage = {
    message_type: message.message_type,
    content: JSON.stringify(content),
    mentions: (message.mentions ?? []).filter((m) => !botKeys.includes(m.key)).map((m) => ({ key: m.key, id: m.id?.open_id, name: m.name })),
  };
  return (feishuText(asExport, (id) => names.get(id)) ?? '').replace(/[ \t]+/g, ' ').trim();
}

/** "LarkLocale/zh_CN" in the client's user agent, as `zh-CN`. */
function localeOf(userAgent: string | undefined): string | undefined {
  const m = /LarkLocale\/([a-z]{2})_([A-Z]{2})/.exec(userAgent ?? '');
  return m ? `${m[1]}-${m[2]}` : undefined;
}

/**
 * A message event as a ChatEvent. Bots (ourselves included) and group messages that do not
 * @mention the bot are ignored; p2p chats are always answered.
 */
export function normalizeMessage(data: LarkMessageEvent, app: LarkAppConfig, botOpenId: string | undefined, channelType: ChannelType): Normalized {
  const m = data.message;
  const sender = data.sender?.sender_id?.open_id;
  if (!m?.message_id || !m.chat_id) return { kind: 'ignore', reason: 'no message' };
  if (data.sender?.sender_type && data.sender.sender_type !== 'user') return { kind: 'ignore', reason: `sender is ${data.sender.sender_type}` };
  if (!sender || (botOpenId && sender === botOpenId)) return { kind: 'ignore', reason: 'own or anonymous message' };
  const mentions = m.mentions ?? [];
  const botKeys = mentions.filter((x) => botOpenId !== undefined && x.id?.open_id === botOpenId).map((x) => x.key);
  const mentioned = botKeys.length > 0;
  const p2p = m.chat_type === 'p2p';
  if (!p2p && !mentioned) return { kind: 'ignore', reason: 'group message without a mention of the bot' };
  const type = m.message_type ?? 'text';
  const base: ChatEvent = {
    eventId: data.event_id ?? `${m.chat_id}:${m.message_id}`,
    platform: 'lark',
    appId: data.app_id ?? app.appId,
    workspaceId: data.tenant_key ?? data.sender?.tenant_key ?? '-',
    channelId: m.chat_id,
    channelType: p2p ? 'dm' : channelType,
    messageId: m.message_id,
    threadId: m.root_id && m.root_id !== m.message_id ? m.root_id : undefined,
    userId: sender,
    text: '',
    mentioned: mentioned || p2p,
    mentions: mentions.filter((x) => !botKeys.includes(x.key) && x.id?.open_id).map((x) => ({ id: x.id?.open_id as string, name: x.name })),
    kind: 'message',
    sentAt: Number(m.create_time ?? data.create_time ?? Date.now()),
    appAvatar: app.avatar,
    locale: localeOf(m.user_agent),
  };
  if (!TEXT_TYPES.has(type)) {
    if (SILENT_TYPES.has(type)) return { kind: 'ignore', reason: `message type ${type}` };
    return { kind: 'not_text', event: base, messageType: type };
  }
  // Throws on malformed content: the adapter logs and skips the message.
  const text = messageText(m, botKeys, botOpenId);
  // Nothing but the mention: show what the bot can do, in every mode.
  if (text === '') return { kind: 'event', event: { ...base, kind: 'command', command: 'avatar', text: 'help' } };
  return { kind: 'event', event: { ...base, text } };
}

/**
 * A bot menu click as the command it names: the event key is the command line with `_` for
 * spaces (`avatar_list` is `/avatar list`, `summarize` is `/summarize`). Answered in the p2p chat.
 */
export function normalizeMenu(data: LarkMenuEvent, app: LarkAppConfig, p2pChatId: string | undefined, now = Date.now()): ChatEvent | undefined {
  const user = data.operator?.operator_id?.open_id;
  const key = (data.event_key ?? '').trim().replace(/^\//, '');
  if (!user || !key) return undefined;
  const [command, ...args] = key.split(/[_\s]+/).filter(Boolean);
  const sent = Number(data.create_time ?? data.timestamp ?? now);
  return {
    eventId: data.event_id ?? `menu:${user}:${now}`,
    platform: 'lark',
    appId: data.app_id ?? app.appId,
    workspaceId: data.tenant_key ?? '-',
    // Without a known p2p chat the reply goes to the user's open id, which opens it.
    channelId: p2pChatId ?? user,
    channelType: 'dm',
    messageId: `menu:${data.event_id ?? now}`,
    userId: user,
    userName: data.operator?.operator_name,
    text: args.join(' '),
    mentioned: true,
    mentions: [],
    kind: 'command',
    command: command.toLowerCase(),
    // Menu timestamps have been seen in seconds and in milliseconds.
    sentAt: sent < 1e12 ? sent * 1000 : sent,
    appAvatar: app.avatar,
  };
}
