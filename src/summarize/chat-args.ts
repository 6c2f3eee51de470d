import { DAY_MS } from './message';

export const USAGE = '/summarize [#channel] [24h|7d|since YYYY-MM-DD] [thread <link>] [share]';

/** `/summarize` arguments, as typed in Slack or Feishu. */
export interface SummarizeArgs {
  /** `#name` as typed, or a channel id when the platform escaped it (`<#C123|name>`). */
  channel?: { id?: string; name?: string };
  /** Range start (ms); undefined = the default range. */
  since?: number;
  /** How the range was asked for, for the reply: `7d`, `since 2024-05-01`. */
  rangeLabel?: string;
  threadLink?: string;
  share: boolean;
  /** Words that mean nothing here, to show with the usage. */
  unknown: string[];
}

const DURATION = /^(\d{1,4})\s*(h|d|w|小时|天|周)$/i;
const UNIT_MS: Record<string, number> = { h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS, 小时: 3_600_000, 天: DAY_MS, 周: 7 * DAY_MS };
const SHARE = new Set(['share', 'public', 'post', '分享', '公开', '发到群里']);
const FILLER = new Set(['this', 'thread', 'channel', 'last', 'past', 'the', 'of', 'in', 'for', 'please', '这个', '讨论串', '频道', '最近', '一下', '总结']);

/** Parse the words after `/summarize`. `now` anchors relative ranges. */
export function parseSummarizeArgs(text: string, now: number): SummarizeArgs {
  const out: SummarizeArgs = { share: false, unknown: [] };
  const words = text.trim().split(/\s+/).filter(Boolean);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const lower = w.toLowerCase();
    const escaped = /^<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>$/.exec(w);
    if (escaped) out.channel = { id: escaped[1], name: escaped[2] || undefined };
    else if (/^#[^\s#]+$/.test(w)) out.channel = { name: w.slice(1) };
    else if (/^<?https?:\/\//.test(w)) out.threadLink = w.replace(/^<|>$/g, '').split('|')[0];
    else if (lower === 'thread' && words[i + 1] && /^<?https?:\/\//.test(words[i + 1])) out.threadLink = words[++i].replace(/^<|>$/g, '').split('|')[0];
    else if ((lower === 'since' || w === '自' || w === '从') && words[i + 1] && /^\d{4}-\d{2}-\d{2}$/.test(words[i + 1])) {
      const d = words[++i];
      out.since = Date.parse(`${d}T00:00:00Z`);
      out.rangeLabel = `since ${d}`;
    } else if (/^\d{4}-\d{2}-\d{2}$/.test(w)) {
      out.since = Date.parse(`${w}T00:00:00Z`);
      out.rangeLabel = `since ${w}`;
    } else if (DURATION.test(lower)) {
      const [, n, unit] = DURATION.exec(lower) as RegExpExecArray;
      out.since = now - Number(n) * UNIT_MS[unit];
      out.rangeLabel = `${n}${unit}`;
    } else if (lower === 'today' || w === '今天') {
      out.since = now - DAY_MS;
      out.rangeLabel = '24h';
    } else if (lower === 'week' || w === '本周' || w === '这周') {
      out.since = now - 7 * DAY_MS;
      out.rangeLabel = '7d';
    } else if (SHARE.has(lower)) out.share = true;
    else if (!FILLER.has(lower)) out.unknown.push(w);
  }
  return out;
}

/** Whether a question to an avatar asks for a summary ("summarize this thread", "总结一下"). */
export function asksForSummary(text: string): boolean {
  const t = text.trim();
  if (t.length > 80) return false;
  return /\b(summari[sz]e|summary|recap|tl;?dr|catch me up)\b/i.test(t) || /(总结|概括|汇总|摘要|归纳)/.test(t);
}

/** Whether the words ask for the summary to be posted for everyone. */
export function asksToShare(text: string): boolean {
  return /\b(share|post it|for everyone)\b/i.test(text) || /(分享|公开|发到群里)/.test(text);
}
