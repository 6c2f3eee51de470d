import type { LoadResult, SourceUnit } from '../types';
import { authorMatcher } from './author-filter';

/** An `im.v1.message` item as the Open API and our export give it. */
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

export interface FeishuExport {
  chat?: { chat_id?: string; name?: string; chat_type?: string; members?: string[] };
  users?: Record<string, string>;
  items: FeishuMessage[];
}

const CONTEXT_CHARS = 600;

function isMessage(m: unknown): boolean {
  if (!m || typeof m !== 'object') return false;
  const o = m as { msg_type?: unknown; message_type?: unknown; body?: { content?: unknown }; content?: unknown };
  return (typeof o.msg_type === 'string' || typeof o.message_type === 'string') && (typeof o.body?.content === 'string' || typeof o.content === 'string');
}

/**
 * Recognise the shapes we accept by content: an Open API history page (`data.items`), our export
 * (`chat`, `users`, `items`), or a bare array of messages. Anything else is not Feishu.
 */
export function asFeishuExport(value: unknown): FeishuExport | undefined {
  if (Array.isArray(value)) return value.length > 0 && value.slice(0, 20).some(isMessage) ? { items: value as FeishuMessage[] } : undefined;
  if (!value || typeof value !== 'object') return undefined;
  const v = value as { items?: unknown; data?: { items?: unknown }; chat?: FeishuExport['chat']; users?: FeishuExport['users']; code?: unknown };
  const items = Array.isArray(v.items) ? v.items : Array.isArray(v.data?.items) ? v.data?.items : undefined;
  if (!Array.isArray(items)) return undefined;
  // An empty page is still Feishu when the wrapper says so.
  const wrapperSaysSo = (v.chat && typeof v.chat === 'object') || (v.data && typeof v.code === 'number');
  if (!items.slice(0, 20).some(isMessage) && !(items.length === 0 && wrapperSaysSo)) return undefined;
  return { chat: v.chat, users: v.users && typeof v.users === 'object' ? v.users : undefined, items: items as FeishuMessage[] };
}

type PostNode = { tag?: string; text?: string; href?: string; user_id?: string; user_name?: string };

/** Plain text of a text or post message, or undefined for other types. Throws on malformed content JSON. */
export function feishuText(m: FeishuMessage, nameOf: (id: string) => string | undefined): string | undefined {
  const type = m.msg_type ?? m.message_type;
  if (type !== 'text' && type !== 'post') return undefined;
  const content = JSON.parse(m.body?.content ?? m.content ?? '') as Record<string, unknown>;
  const mention = (key: string): string => {
    const found = (m.mentions ?? []).find((x) => x.key === key);
    const id = typeof found?.id === 'string' ? found.id : found?.id?.open_id;
    return `@${found?.name ?? (id ? nameOf(id) : undefined) ?? (key === '@_all' ? 'all' : key.replace(/^@_/, ''))}`;
  };
  if (type === 'text') return String(content.text ?? '').replace(/@_(user_\d+|all)/g, mention).trim();
  // A post may be wrapped by locale: {"zh_cn": {title, content}}.
  const post = (Array.isArray(content.content) ? content : (Object.values(content).find((x) => x && typeof x === 'object' && Array.isArray((x as { content?: unknown }).content)) ?? {})) as {
    title?: string;
    content?: PostNode[][];
  };
  const lines = (post.content ?? []).map((para) =>
    (Array.isArray(para) ? para : [])
      .map((n) => {
        if (n.tag === 'text' || n.tag === 'code_block' || n.tag === 'md') return n.text ?? '';
        if (n.tag === 'a') return n.href && n.href !== n.text ? `${n.text ?? ''} (${n.href})` : (n.text ?? '');
        if (n.tag === 'at') return n.user_id === 'all' ? '@all' : `@${n.user_name ?? (n.user_id ? nameOf(n.user_id) : undefined) ?? n.user_id ?? ''}`;
        return ''; // images, emotions, media
      })
      .join(''),
  );
  return [post.title, ...lines].filter((l) => l && l.trim()).join('\n').trim();
}

/**
 * One unit per text or post message sent by a person. Other types (images, files, stickers,
 * cards) are not text and are passed over; a message whose content JSON is broken is reported
 * with its index and the rest still loads. Replies carry their thread's root as context; a p2p
 * chat is private to its participants.
 */
export function loadFeishuExport(exp: FeishuExport, source: string, opts: { author?: string | string[] } = {}): LoadResult {
  const result: LoadResult = { units: [], skipped: [], errors: [] };
  type Sender = Exclude<NonNullable<FeishuMessage['sender']>, string>;
  const senderObj = (m: FeishuMessage): Sender => (typeof m.sender === 'object' && m.sender ? m.sender : {});
  const senderId = (m: FeishuMessage): string => (typeof m.sender === 'string' ? m.sender : (senderObj(m).id ?? ''));
  // Names come from the export's users map, then from senders and mentions seen anywhere in it.
  const known = new Map<string, string>(Object.entries(exp.users ?? {}).filter(([, v]) => typeof v === 'string'));
  for (const m of exp.items) {
    const s = senderObj(m);
    if (s.id && s.name && !known.has(s.id)) known.set(s.id, s.name);
    for (const x of m.mentions ?? []) {
      const id = typeof x.id === 'string' ? x.id : x.id?.open_id;
      if (id && x.name && !known.has(id)) known.set(id, x.name);
    }
  }
  const nameOf = (id: string): string | undefined => known.get(id);
  const matches = authorMatcher(opts.author);
  const p2p = exp.chat?.chat_type === 'p2p';

  const texts = new Map<string, { who: string; text: string }>();
  const parsed: { m: FeishuMessage; text: string }[] = [];
  exp.items.forEach((m, i) => {
    if (!m || typeof m !== 'object' || m.deleted) return;
    let text: string | undefined;
    try {
      text = feishuText(m, nameOf);
    } catch (err) {
      result.errors.push({
        path: source,
        message: `${source}: message ${i} (${m.message_id ?? 'no id'}): malformed body.content JSON: ${(err as Error).message}`,
        position: `items[${i}]`,
      });
      return;
    }
    if (!text) return;
    const id = senderId(m);
    if (m.message_id) texts.set(m.message_id, { who: senderObj(m).name ?? nameOf(id) ?? id, text });
    parsed.push({ m, text });
  });

  const participants = new Set<string>(exp.chat?.members ?? []);
  if (p2p) for (const { m } of parsed) if (senderId(m) && senderObj(m).sender_type !== 'app') participants.add(senderId(m));
  for (const { m, text } of parsed) {
    const sender = senderObj(m);
    if (sender.sender_type && sender.sender_type !== 'user') continue;
    const id = senderId(m);
    const name = sender.name ?? nameOf(id);
    if (matches && !matches(id, name)) continue;
    const ms = Number(m.create_time);
    const unit: SourceUnit = {
      source,
      kind: 'feishu',
      text,
      locator: m.message_id ?? `${source}#${m.create_time ?? ''}`,
      author: name && id ? `${name} (${id})` : name || id || undefined,
      date: Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : undefined,
      title: exp.chat?.name,
    };
    // The thread's root, or the message replied to when the root is not in this file (a later page of history).
    const root = [m.root_id, m.parent_id].map((id) => (id && id !== m.message_id ? texts.get(id) : undefined)).find(Boolean);
    if (root) unit.context = `${root.who}: ${root.text.length > CONTEXT_CHARS ? `${root.text.slice(0, CONTEXT_CHARS)}…` : root.text}`;
    if (p2p) {
      unit.visibility = 'private';
      unit.audience = [...[...participants].map((p) => `lark:${p}`), ...(exp.chat?.chat_id ? [`lark:${exp.chat.chat_id}`] : [])];
    }
    result.units.push(unit);
  }
  return result;
}
