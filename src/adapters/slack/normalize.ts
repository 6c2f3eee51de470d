import type { ChannelType, ChatEvent } from '../../chat/types';
import type { SlackAppConfig } from './apps';

/** The fields of a Slack message/app_mention event that we read. */
export interface SlackMessageEvent {
  type: string;
  subtype?: string;
  user?: string;
  bot_id?: string;
  app_id?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  channel: string;
  channel_type?: string;
  edited?: unknown;
  hidden?: boolean;
}

export interface SlackEnvelope {
  event_id?: string;
  team_id?: string;
  api_app_id?: string;
  authorizations?: { team_id?: string; user_id?: string }[];
}

/** Subtypes that are not a person writing to us. thread_broadcast and file_share are. */
const IGNORED_SUBTYPES = new Set([
  'bot_message', 'message_changed', 'message_deleted', 'message_replied', 'channel_join', 'channel_leave', 'group_join', 'group_leave',
  'channel_topic', 'channel_purpose', 'channel_name', 'channel_archive', 'channel_unarchive', 'pinned_item', 'unpinned_item', 'ekm_access_denied',
  'assistant_app_thread', 'tombstone',
]);

export function channelTypeOf(slackType: string | undefined, channelId: string): ChannelType | undefined {
  if (slackType === 'im' || channelId.startsWith('D')) return 'dm';
  if (slackType === 'channel') return 'public_channel';
  if (slackType === 'group' || slackType === 'mpim') return 'private_channel';
  return undefined;
}

/** Strip the bot's own mention; list the other people mentioned (targets of /distill @user). */
export function cleanText(text: string, botUserId: string | undefined): { text: string; mentions: { id: string; name?: string }[]; mentionedBot: boolean } {
  const mentions: { id: string; name?: string }[] = [];
  let mentionedBot = false;
  const cleaned = text
    .replace(/<@([UW][A-Z0-9_]+)(?:\|([^>]+))?>/g, (_m, id: string, name?: string) => {
      if (botUserId && id === botUserId) {
        mentionedBot = true;
        return '';
      }
      mentions.push({ id, name });
      return `@${name ?? id}`;
    })
    .replace(/<(https?:\/\/[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<(https?:\/\/[^>]+)>/g, '$1')
    .replace(/<#[CG][A-Z0-9]+\|([^>]*)>/g, '#$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
  return { text: cleaned, mentions, mentionedBot };
}

/**
 * A message or app_mention event as a ChatEvent; undefined for what we never answer: bots
 * (ourselves included), edits, deletions, joins and other system messages.
 */
export function normalizeMessage(
  envelope: SlackEnvelope,
  event: SlackMessageEvent,
  app: SlackAppConfig,
  botUserId: string | undefined,
  channelType: ChannelType,
): ChatEvent | undefined {
  if (event.bot_id || event.app_id && !event.user || !event.user || event.hidden || event.edited) return undefined;
  if (event.subtype && IGNORED_SUBTYPES.has(event.subtype)) return undefined;
  if (botUserId && event.user === botUserId) return undefined;
  const { text, mentions, mentionedBot } = cleanText(event.text ?? '', botUserId);
  const threadId = event.thread_ts && event.thread_ts !== event.ts ? event.thread_ts : undefined;
  return {
    eventId: envelope.event_id ?? `${event.channel}:${event.ts}`,
    platform: 'slack',
    appId: envelope.api_app_id ?? app.appId ?? app.name,
    workspaceId: envelope.team_id ?? app.teamId ?? '-',
    channelId: event.channel,
    channelType,
    messageId: event.ts,
    threadId,
    userId: event.user,
    text,
    mentioned: event.type === 'app_mention' || mentionedBot,
    mentions,
    kind: 'message',
    sentAt: Math.round(Number(event.ts) * 1000),
    appAvatar: app.avatar,
  };
}

export interface SlashCommandBody {
  command: string;
  text?: string;
  user_id: string;
  user_name?: string;
  channel_id: string;
  channel_name?: string;
  team_id?: string;
  api_app_id?: string;
  trigger_id?: string;
}

export function normalizeCommand(body: SlashCommandBody, app: SlackAppConfig, now = Date.now()): ChatEvent {
  const { text, mentions } = cleanText(body.text ?? '', undefined);
  const channelType: ChannelType = body.channel_id.startsWith('D') || body.channel_name === 'directmessage' ? 'dm' : body.channel_name === 'privategroup' ? 'private_channel' : 'public_channel';
  return {
    eventId: `command:${body.trigger_id ?? `${body.channel_id}:${now}`}`,
    platform: 'slack',
    appId: body.api_app_id ?? app.appId ?? app.name,
    workspaceId: body.team_id ?? app.teamId ?? '-',
    channelId: body.channel_id,
    channelType,
    messageId: `command:${body.trigger_id ?? now}`,
    userId: body.user_id,
    userName: body.user_name,
    text,
    mentioned: true,
    mentions,
    kind: 'command',
    command: body.command.replace(/^\//, '').toLowerCase(),
    sentAt: now,
    appAvatar: app.avatar,
    triggerId: body.trigger_id,
  };
}
