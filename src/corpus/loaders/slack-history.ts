import type { HistoryMessage } from '../../chat/history';
import { SKIP_SUBTYPES, type SlackMessage } from './slack-export';
import { blocksText, renderSlackText, type SlackNames } from './slack-text';

/** A Slack message (Web API or export) with the thread and file fields history reads. */
export interface RawSlackMessage extends SlackMessage {
  reply_count?: number;
  latest_reply?: string;
  files?: { name?: string; mimetype?: string; size?: number; url_private_download?: string }[];
}

/** Slack's own permalink shape; a reply's link opens inside its thread. */
export function slackPermalink(workspaceUrl: string, channelId: string, ts: string, threadTs?: string): string {
  const base = `${workspaceUrl.replace(/\/+$/, '')}/archives/${channelId}/p${ts.replace('.', '')}`;
  return threadTs && threadTs !== ts ? `${base}?thread_ts=${threadTs}&cid=${channelId}` : base;
}

/** Slack ts ("1612601741.002500") to ms. */
export function tsToMs(ts: string): number {
  return Math.floor(Number(ts) * 1000);
}

/** Whether a message is a person writing (not a join, a bot, a deletion). */
function isHumanMessage(m: RawSlackMessage): boolean {
  return (m.type === undefined || m.type === 'message') && Boolean(m.ts) && !m.hidden && !m.bot_id && !(m.subtype && SKIP_SUBTYPES.has(m.subtype));
}

/**
 * A Slack message as history, with the text rendered the way the corpus loader renders it.
 * A message with neither text nor files gives undefined; `userName` only when a name is known.
 */
export function fromSlackMessage(m: RawSlackMessage, channelId: string, names: SlackNames, workspaceUrl?: string): HistoryMessage | undefined {
  if (!isHumanMessage(m)) return undefined;
  const raw = m.text?.trim() ? m.text : blocksText(m.blocks, names);
  const text = renderSlackText(raw, names).trim();
  const files = m.files?.map((f) => ({ name: f.name ?? 'file', mimetype: f.mimetype, size: f.size, url: f.url_private_download }));
  if (!text && !files?.length) return undefined;
  const ts = m.ts as string;
  const user = m.user ?? '';
  const mentions = [...raw.matchAll(/<@([UWB][A-Z0-9]+)(?:\|([^>]+))?>/g)].map((x) => x[2] ?? names.users.get(x[1]) ?? x[1]);
  const inThread = Boolean(m.thread_ts) && (m.thread_ts !== ts || (m.reply_count ?? 0) > 0);
  return {
    id: ts,
    threadId: inThread ? m.thread_ts : undefined,
    channelId,
    userId: user,
    userName: names.users.get(user) ?? (m.user_profile?.display_name || m.user_profile?.real_name || m.user_profile?.name || undefined),
    text,
    mentions: mentions.length ? mentions : undefined,
    ts: tsToMs(ts),
    link: workspaceUrl ? slackPermalink(workspaceUrl, channelId, ts, m.thread_ts) : undefined,
    replyCount: m.reply_count,
    files: files?.length ? files : undefined,
  };
}
