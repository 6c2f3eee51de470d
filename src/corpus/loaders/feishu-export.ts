import { authorMatcher } from '../author';
import type { LoadResult, SourceUnit } from '../types';

export interface FeishuMessage {
  message_id?: string;
  root_id?: string;
  parent_id?: string;
  msg_type?: string;
  message_type?: string;
  create_time?: string | number;
  chat_id?: string;
  deleted?: boolean;
  sender?: { id?: string; id_type?: string; sender_type?: string; name?: string } | string;
  body?: { content?: string };
  content?: string;
  mentions?: { key?: string; id?: string | { open_id?: string }; name?: string }[];
}

interface FeishuExport {
  chat?: { chat_id?: string; name?: string; chat_type?: string; members?: string[] };
  users?: Record<string, string>;
  items: FeishuMessage[];
}

/** Recognise the shapes we accept: an API history page, our export, or a bare message array. */
export function asFeishuExport(value: unknown): FeishuExport | undefined {
  const isMsg = (m: unknown): boolean => !!m && typeof m === 'object' && ('msg_type' in m || 'message_type' in m) && ('body' in m || 'content' in m);
  const v = value as { items?: unknown; data?: { items?: unknown }; chat?: FeishuExport['chat']; users?: FeishuExport['users'] };
  const items = Array.isArray(value) ? value : Array.isArray(v?.items) ? v.items : Array.isArray(v?.data?.items) ? v.data?.items : undefined;
  if (!Array.isArray(items) || items.length === 0 || !items.slice(0, 5).some(isMsg)) return undefined;
  return { chat: Array.isArray(value) ? undefined : v.chat, users: Array.isArray(value) ? undefined : v.users, items: items as FeishuMessage[] };
}

type PostNode = { tag?: string; text?: string; href?: string; user_id?: string; user_name?: string };

/** Plain text of a text or post message; throws on malformed content JSON. */
export function feishuText(m: FeishuMessage, names: (id: string) => string | undefined): string | undefined {
  const type = m.msg_type ?? m.message_type;
  const raw = m.body?.content ?? m.content ?? '';
  if (type !== 'text' && type !== 'post') return undefined;
  const content = JSON.parse(raw) as { text?: string; title?: string; content?: PostNode[][] } & Record<string, unknown>;
  const mention = (key: string): string => {
    const found = (m.mentions ?? []).find((x) => x.key === key);
    const id = typeof found?.id === 'string' ? found.id : found?.id?.open_id;
    return `@${found?.name ?? (id ? names(id) : undefined) ?? key.replace(/^@_/, '')}`;
  };
  if (type === 'text') return (content.text ?? '').replace(/@_user_\d+/g, mention).trim();
  // A post may be wrapped by locale: {"zh_cn": {title, content}}.
  const post = (content.content ? content : (Object.values(content).find((x) => x && typeof x === 'object' && 'content' in (x as object)) ?? {})) as {
    title?: string;
    content?: PostNode[][];
  };
  const lines = (post.content ?? []).map((para) =>
    para
      .map((n) => {
        if (n.tag === 'text') return n.text ?? '';
        if (n.tag === 'a') return n.href ? `${n.text ?? ''} (${n.href})` : (n.text ?? '');
        if (n.tag === 'at') return `@${n.user_name ?? (n.user_id ? names(n.user_id) : undefined) ?? n.user_id ?? ''}`;
        if (n.tag === 'code_block' || n.tag === 'md') return n.text ?? '';
        return '';
      })
      .join(''),
  );
  return [post.title, ...lines].filter((l) => l && l.trim()).join('\n').trim();
}

/**
 * One unit per text or post message. Other types (images, files, stickers, cards) are not text
 * and are passed over; a message whose content JSON is broken is reported and skipped.
 */
export function loadFeishuExport(exp: FeishuExport, source: string, opts: { author?: string | string[] } = {}): LoadResult {
  const result: LoadResult = { units: [], skipped: [], errors: [] };
  const senderId = (m: FeishuMessage): string => (typeof m.sender === 'string' ? m.sender : (m.sender?.id ?? ''));
  const senderName = (m: FeishuMessage): string | undefined => (typeof m.sender === 'object' ? m.sender?.name : undefined) ?? exp.users?.[senderId(m)];
  const names = (id: string): string | undefined => exp.users?.[id];
  const matches = authorMatcher(opts.author);
  const p2p = exp.chat?.chat_type === 'p2p';
  const participants = new Set<string>(exp.chat?.members ?? []);
  if (p2p) for (const m of exp.items) if (senderId(m)) participants.add(senderId(m));
  const texts = new Map<string, string>();
  const parsed: { m: FeishuMessage; text: string }[] = [];
  exp.items.forEach((m, i) => {
    if (m.deleted) return;
    let text: string | undefined;
    try {
      text = feishuText(m, names);
    } catch (err) {
      result.errors.push({ path: source, message: `${source}: message ${i} (${m.message_id ?? 'no id'}): malformed body.content JSON: ${(err as Error).message}`, position: `item ${i}` });
      return;
    }
    if (!text) return;
    if (m.message_id) texts.set(m.message_id, text);
    parsed.push({ m, text });
  });
  for (const { m, text } of parsed) {
    const sender = typeof m.sender === 'object' ? m.sender : undefined;
    if (sender?.sender_type && sender.sender_type !== 'user') continue;
    const id = senderId(m);
    const name = senderName(m);
    if (matches && !matches(id, name)) continue;
    const ms = Number(m.create_time);
    const root = m.root_id && m.root_id !== m.message_id ? texts.get(m.root_id) : undefined;
    const unit: SourceUnit = {
      source,
      kind: 'feishu',
      text,
      locator: m.message_id ?? `${source}#${ms}`,
      author: name ? `${name} (${id})` : id,
      date: Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : undefined,
      title: exp.chat?.name,
    };
    if (root) unit.context = root.slice(0, 600);
    if (p2p) {
      unit.visibility = 'private';
      unit.audience = [...participants].map((p) => `lark:${p}`).concat(exp.chat?.chat_id ? [`lark:${exp.chat.chat_id}`] : []);
    }
    result.units.push(unit);
  }
  return result;
}
