import { feishuText, type FeishuMessage } from '../corpus/loaders/feishu-export';
import type { HistoryMessage } from './message';

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
  return { id: m.message_id, threadId: m.root_id || undefined, channelId: m.chat_id, userId: s.id, userName: s.name ?? nameOf(s.id) ?? s.id, text, mentions, ts };
}

/** Roots learn their reply counts from the replies present (Feishu lists do not carry them). */
export function countReplies(messages: HistoryMessage[]): void {
  const replies = new Map<string, number>();
  for (const m of messages) if (m.threadId && m.threadId !== m.id) replies.set(m.threadId, (replies.get(m.threadId) ?? 0) + 1);
  for (const m of messages) {
    const n = replies.get(m.id);
    if (n) {
      m.replyCount = n;
      m.threadId ??= m.id;
    }
  }
}
