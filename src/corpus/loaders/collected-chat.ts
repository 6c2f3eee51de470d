import type { ChatPlatform, LoadResult, SourceUnit } from '../types';
import { authorMatcher } from './author-filter';

export const COLLECTED_CHAT_FORMAT = 'understudy-chat/1';

/** What distillation writes after collecting a channel: one neutral file per conversation. */
export interface CollectedChatFile {
  format: typeof COLLECTED_CHAT_FORMAT;
  platform: ChatPlatform;
  channel: { id: string; name: string; private: boolean; members?: string[] };
  messages: { id: string; at: number; userId: string; userName?: string; text: string; threadId?: string; permalink?: string }[];
}

export function isCollectedChat(value: unknown): value is CollectedChatFile {
  return !!value && typeof value === 'object' && (value as { format?: unknown }).format === COLLECTED_CHAT_FORMAT;
}

/**
 * One unit per message of the person (author filter on `platform:userId`, id or name), with the
 * thread's first message as context. Private channels and DMs stay private to their members.
 */
export function loadCollectedChat(file: CollectedChatFile, source: string, opts: { author?: string | string[] } = {}): LoadResult {
  const result: LoadResult = { units: [], skipped: [], errors: [] };
  const matches = authorMatcher(opts.author);
  const byId = new Map(file.messages.map((m) => [m.id, m]));
  const audience = file.channel.private ? [...(file.channel.members ?? []).map((m) => `${file.platform}:${m}`), `${file.platform}:${file.channel.id}`] : undefined;
  for (const m of file.messages) {
    if (!m.text?.trim()) continue;
    if (matches && !matches(`${file.platform}:${m.userId}`, m.userId, m.userName)) continue;
    const parent = m.threadId && m.threadId !== m.id ? byId.get(m.threadId) : undefined;
    const unit: SourceUnit = {
      source: `${source}#${file.channel.name}`,
      kind: file.platform === 'slack' ? 'slack' : 'feishu',
      text: m.text,
      locator: m.id,
      author: m.userName ? `${m.userName} (${m.userId})` : m.userId,
      date: new Date(m.at).toISOString(),
      title: `#${file.channel.name}`,
      url: m.permalink,
      visibility: file.channel.private ? 'private' : 'public',
      audience,
    };
    if (parent) unit.context = `${parent.userName ?? parent.userId}: ${parent.text.slice(0, 600)}`;
    result.units.push(unit);
  }
  return result;
}
