import type { Lang } from '../text/lang';
import { extractiveSummary, groupUnits } from './extractive';
import { DAY_MS, type HistoryMessage } from './message';
import type { Summary, SummaryTopic } from './types';

/** A window spans at most this long, so that a quiet year is not drowned by a busy week. */
export const OFFLINE_WINDOW_DAYS = 90;
const OFFLINE_WINDOW_MESSAGES = 1500;
const MAX_TOPICS_LONG = 10;

/** Time-ordered windows of whole threads and bursts, each within OFFLINE_WINDOW_DAYS and a message budget. */
export function offlineWindows(messages: HistoryMessage[]): HistoryMessage[][] {
  const out: HistoryMessage[][] = [];
  let cur: HistoryMessage[] = [];
  let start = 0;
  for (const unit of groupUnits(messages)) {
    const first = unit.messages[0].ts;
    if (cur.length && (first - start > OFFLINE_WINDOW_DAYS * DAY_MS || cur.length + unit.messages.length > OFFLINE_WINDOW_MESSAGES)) {
      out.push(cur);
      cur = [];
    }
    if (!cur.length) start = first;
    cur.push(...unit.messages);
  }
  if (cur.length) out.push(cur);
  return out.map((w) => w.sort((a, b) => a.ts - b.ts));
}

/**
 * The offline summary of a range of any length: topics are found per window (map) and the
 * windows' leading topics are combined in time order (reduce), so the start of a long range is
 * represented as well as its end; decisions, action items and open questions are found over
 * the whole range, where a later reply can close an earlier question.
 */
export function offlineSummary(
  messages: HistoryMessage[],
  opts: { lang: Lang; scope: 'channel' | 'thread'; channelName?: string; maxTopics?: number; notes?: string[] },
): { summary: Summary; windows: number } {
  const wins = opts.scope === 'thread' ? [messages] : offlineWindows(messages);
  if (wins.length === 1) return { summary: extractiveSummary(messages, opts), windows: 1 };
  const perWindow = wins.map((w) => extractiveSummary(w, { ...opts, notes: [] }).topics);
  const limit = Math.min(Math.max(opts.maxTopics ?? 6, wins.length), MAX_TOPICS_LONG);
  // Round-robin over the windows' ranked topics: every window's lead topic before any second one.
  const chosen: { topic: SummaryTopic; window: number }[] = [];
  for (let rank = 0; chosen.length < limit && perWindow.some((t) => t.length > rank); rank++) {
    const round = perWindow
      .map((t, window) => ({ topic: t[rank], window }))
      .filter((x) => x.topic !== undefined)
      .sort((a, b) => b.topic.messages - a.topic.messages);
    chosen.push(...round.slice(0, limit - chosen.length));
  }
  // The same subject in several windows ("Welcome" every quarter) is one topic with their counts.
  const topics: SummaryTopic[] = [];
  for (const { topic } of chosen.sort((a, b) => a.window - b.window || b.topic.messages - a.topic.messages)) {
    const same = topics.find((t) => t.title.toLowerCase() === topic.title.toLowerCase());
    if (!same) topics.push({ ...topic, cites: [...topic.cites] });
    else {
      same.messages += topic.messages;
      same.people = Math.max(same.people, topic.people);
      if (same.cites.length < 3) same.cites.push(topic.cites[0]);
    }
  }
  return { summary: extractiveSummary(messages, { ...opts, topics }), windows: wins.length };
}
