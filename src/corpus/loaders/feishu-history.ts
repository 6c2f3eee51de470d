import type { HistoryMessage } from '../../chat/history';
import { feishuText, type FeishuMessage } from './feishu-export';

export function feishuSender(m: FeishuMessage): { id: string; name?: string; type?: string } {
  return typeof m.sender === 'string' ? { id: m.sender } : { id: m.sender?.id ?? '', name: m.sender?.name, type: m.sender?.sender_type };
}

/**
 * A Feishu message (export or im.v1.message.list item) as history: text and post messages by
 * people; apps, cards, images and deleted messages give undefined. Throws on a malformed body.
 * Feishu has no permalink per message, so `link` stays empty.
 */
export function fromFeishuMessage(m: FeishuMessage, nameOf: (id: string) => string | undefined): HistoryMessage | undefined {
  if (!m || typeof m !== 'object' || m.deleted) return undefined;
  const s = feishuSender(m);
  if (s.type && s.type !== 'user') return undefined;
  const text = feishuText(m, nameOf);
  const ts = Number(m.create_time);
  if (!text || !m.message_id || !Number.isFinite(ts)) return undefined;
  const mentions = (m.mentions ?? []).map((x) => x.name).filter((x): x is string => Boolean(x));
  return { id: m.message_id, threadId: m.root_id || undefined, channelId: m.chat_id, userId: s.id, userName: s.name ?? nameOf(s.id), text, mentions, ts };
}
