import { classifyError } from '../errors';
import { mainLang, MAX_QUESTIONS, OFFLINE_SUMMARY_MODEL, participants, stillOpen } from './extractive';
import { assertCitesValid } from './links';
import { mapReduceSummary, windows as modelWindows } from './map-reduce';
import { offlineSummary } from './offline-map-reduce';
import { formatDate } from './overview';
import { DAY_MS, sortMessages, type HistoryMessage } from './message';
import type { Summary, SummarizeOptions } from './types';

/** The longest range a summary in chat fetches (history calls are slow and rate-limited). Exports have no cap. */
export const MAX_DAYS = 90;

/** Keep the last `maxDays` of a history, with a note saying what was left out. */
export function capToDays(messages: HistoryMessage[], maxDays: number, lang: 'zh' | 'en'): { kept: HistoryMessage[]; note?: string } {
  if (messages.length === 0) return { kept: messages };
  const last = messages[messages.length - 1].ts;
  const from = last - maxDays * DAY_MS;
  if (messages[0].ts >= from) return { kept: messages };
  const kept = messages.filter((m) => m.ts >= from);
  const left = messages.length - kept.length;
  const date = new Date(from).toISOString().slice(0, 10);
  return {
    kept,
    note:
      lang === 'zh'
        ? `时间范围超过 ${maxDays} 天，只总结了最近 ${maxDays} 天（${date} 起）；更早的 ${left} 条消息未包含在内。`
        : `The range spans more than ${maxDays} days, so only the last ${maxDays} (from ${date}) are summarised; ${left} earlier messages are left out.`,
  };
}

function emptySummary(opts: SummarizeOptions): Summary {
  const lang = opts.lang ?? 'en';
  return {
    lang,
    scope: opts.scope ?? 'channel',
    channel: opts.channelName,
    messageCount: 0,
    threadCount: 0,
    overview: [lang === 'zh' ? '这段时间里没有人发言。' : 'Nothing was said in this range.'],
    topics: [],
    decisions: [],
    actions: [],
    questions: [],
    participants: [],
    notes: [...(opts.notes ?? [])],
    model: OFFLINE_SUMMARY_MODEL,
  };
}

/**
 * Summarise a range of chat history: overview, topics, decisions, action items, open questions
 * and participants, each point citing fetched messages. Offline by default (extractive); with
 * a model, map-reduce over time-ordered windows. A failing model falls back to offline.
 */
export async function summarize(input: HistoryMessage[], opts: SummarizeOptions = {}): Promise<Summary> {
  // The same message can arrive twice (a thread root from history and from its replies).
  const unique = new Map<string, HistoryMessage>();
  for (const m of input) if (m.text.trim() && !unique.has(m.id)) unique.set(m.id, m);
  const messages = sortMessages([...unique.values()]);
  if (messages.length === 0) return emptySummary(opts);
  const lang = opts.lang ?? mainLang(messages);
  // Only an explicit cap leaves messages out, and then it says so.
  const { kept, note } = opts.maxDays !== undefined ? capToDays(messages, opts.maxDays, lang) : { kept: messages, note: undefined };
  const notes = [...(opts.notes ?? []), ...(note ? [note] : [])];
  const scope = opts.scope ?? 'channel';
  let summary: Summary | undefined;
  let windows = 1;
  if (opts.model) {
    try {
      summary = await mapReduceSummary(kept, { model: opts.model, lang, scope, channelName: opts.channelName, notes, voice: opts.voice, onProgress: opts.onProgress });
      windows = modelWindows(kept).length;
    } catch (err) {
      const e = classifyError(err);
      if (e.code !== 'MODEL_FAILED') throw err;
      notes.push(lang === 'zh' ? '语言模型调用失败，以下为离线摘录。' : 'The language model failed; this is the offline extract.');
    }
  }
  if (!summary) ({ summary, windows } = offlineSummary(kept, { lang, scope, channelName: opts.channelName, maxTopics: opts.maxTopics, notes }));
  summary.participants = participants(kept);
  summary.questions = stillOpen(summary.questions, kept).slice(-MAX_QUESTIONS);
  summary.notes.unshift(coverage(kept, windows, lang, opts.asked));
  assertCitesValid(summary, kept);
  return summary;
}

/** What a summary covers, first among its notes: how many messages, from when to when, in how many windows, and what was asked. */
function coverage(messages: HistoryMessage[], windows: number, lang: 'zh' | 'en', asked?: string): string {
  const from = formatDate(messages[0].ts, lang);
  const to = formatDate(messages[messages.length - 1].ts, lang);
  if (lang === 'zh') {
    return `涵盖 ${messages.length} 条消息，${from === to ? from : `${from}至${to}`}${windows > 1 ? `，分 ${windows} 段总结` : ''}${asked ? `（请求范围：${asked}）` : ''}。`;
  }
  return `Covers ${messages.length} message${messages.length === 1 ? '' : 's'} ${from === to ? `on ${from}` : `from ${from} to ${to}`}${windows > 1 ? `, summarised in ${windows} windows` : ''}${asked ? ` (asked for: ${asked})` : ''}.`;
}
