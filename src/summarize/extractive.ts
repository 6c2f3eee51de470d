import { detectLang, type Lang } from '../text/lang';
import { stem, tokenize } from '../retrieval/tokenize';
import { hasCjk } from '../text/cjk';
import { CHAT_FILLER } from '../text/stopwords';
import { dotDense, kmeans, mmr, tfidf, topTerms } from './cluster';
import { detectAction, detectDecision, detectQuestion } from './detect';
import { citeOf, scrubUrls } from './links';
import { displayName, threadKey, type HistoryMessage } from './message';
import { describeOverview, snippet } from './overview';
import { phraseTitle } from './titles';
import type { Participant, Summary, SummaryAction, SummaryDecision, SummaryQuestion, SummaryTopic, Unit } from './types';

export const OFFLINE_SUMMARY_MODEL = 'offline-extractive';

const BURST_GAP_MS = 10 * 60_000;
const BURST_MAX = 25;
const UNTHREADED_ANSWER_MS = 60 * 60_000;
const MAX_TOKENS_PER_UNIT = 3000;
export const MAX_DECISIONS = 10;
export const MAX_ACTIONS = 10;
export const MAX_QUESTIONS = 8;

/** Topic words: no filler, no people's names (they say who, not what). */
function topicTokens(text: string, names: Set<string>): string[] {
  return tokenize(scrubUrls(text).replace(/‹[^›]*›/g, ' ').replace(/@[^\s,:;!?]+(?: [A-Z][a-z]+)?/g, ' ')).filter((t) => !CHAT_FILLER.has(t) && !names.has(t));
}

/** The channel's main language: the one most of its messages are written in. */
export function mainLang(messages: HistoryMessage[]): Lang {
  let zh = 0;
  let en = 0;
  for (const m of messages) {
    if (!/[A-Za-z\u3400-\u9fff]/.test(m.text)) continue;
    if (detectLang(m.text.slice(0, 400)) === 'zh') zh++;
    else en++;
  }
  return zh > en ? 'zh' : 'en';
}

/** Threads stay whole; loose messages close in time form a burst, since they usually answer each other. */
export function groupUnits(messages: HistoryMessage[], perMessage = false): Unit[] {
  if (perMessage) return messages.map((m) => ({ messages: [m], root: m }));
  const groups = new Map<string, HistoryMessage[]>();
  for (const m of messages) {
    const k = threadKey(m);
    const g = groups.get(k);
    if (g) g.push(m);
    else groups.set(k, [m]);
  }
  const units: Unit[] = [];
  let burst: HistoryMessage[] = [];
  const flush = (): void => {
    if (burst.length) units.push({ messages: burst, root: burst[0] });
    burst = [];
  };
  for (const [key, g] of groups) {
    const loose = g.length === 1 && !g[0].threadId && !(g[0].replyCount ?? 0);
    if (!loose) {
      units.push({ messages: g, root: g.find((m) => m.id === key) });
      continue;
    }
    const last = burst[burst.length - 1];
    if (last && (g[0].ts - last.ts > BURST_GAP_MS || burst.length >= BURST_MAX)) flush();
    burst.push(g[0]);
  }
  flush();
  return units.sort((a, b) => a.messages[0].ts - b.messages[0].ts);
}

/** The word people actually wrote for a stemmed term ("packag" -> "packages"). */
function surface(term: string, texts: string[]): string {
  if (hasCjk(term) || term.includes('-') || term.includes('.')) return term;
  const counts = new Map<string, number>();
  for (const t of texts) {
    for (const w of t.toLowerCase().match(/[a-z][a-z0-9_]*/g) ?? []) if (w.startsWith(term.slice(0, 3)) && stem(w) === term) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? term;
}

/** Words a message says once links are gone: "hi" and a bare URL say nothing. */
function substance(m: HistoryMessage): number {
  return tokenize(scrubUrls(m.text).replace(/‹[^›]*›/g, ' ')).length;
}

/**
 * The message that stands for a unit: a thread's root when it says something, else the message
 * closest to the topic (so a burst is not represented by its "hi").
 */
function representative(u: Unit, score: (m: HistoryMessage) => number): HistoryMessage {
  if (u.root && (u.root.threadId || u.messages.length === 1) && substance(u.root) >= 4) return u.root;
  let best = u.messages[0];
  let bestScore = -Infinity;
  for (const m of u.messages) {
    const s = score(m) - (substance(m) < 4 ? 1 : 0);
    if (s > bestScore) {
      bestScore = s;
      best = m;
    }
  }
  return best;
}

function topics(units: Unit[], lang: Lang, maxTopics: number, perMessage: boolean): SummaryTopic[] {
  const names = new Set(units.flatMap((u) => u.messages.flatMap((m) => [...tokenize(displayName(m)), ...(m.mentions ?? []).flatMap((x) => tokenize(x))])));
  const tokensOf = new Map<HistoryMessage, string[]>();
  const docs = units.map((u) => {
    const toks: string[] = [];
    for (const m of u.messages) {
      // The root says what a thread is about; count it twice.
      const t = topicTokens(m.text, names);
      tokensOf.set(m, t);
      toks.push(...t);
      if (m === u.root) toks.push(...t);
      if (toks.length > MAX_TOKENS_PER_UNIT) break;
    }
    return toks;
  });
  const { vecs, terms } = tfidf(docs);
  const termId = new Map(terms.map((t, i) => [t, i]));
  const weights = units.map((u) => u.messages.length);
  // A handful of threads are a handful of topics; more are grouped, about sqrt(n/2) of them.
  const k = perMessage
    ? units.length < 3 ? 1 : Math.min(maxTopics, Math.max(1, Math.round(Math.sqrt(units.length / 4))))
    : units.length <= 4 ? units.length : Math.min(maxTopics + 2, Math.max(4, Math.round(Math.sqrt(units.length / 2))));
  const { assign, centroids } = kmeans(vecs, weights, k, terms.length);
  const clusters = centroids.map((c, ci) => ({ centroid: c, members: units.map((_, i) => i).filter((i) => assign[i] === ci) }));
  const size = (members: number[]): number => members.reduce((s, i) => s + weights[i], 0);
  const ranked = clusters.filter((c) => c.members.length > 0).sort((a, b) => size(b.members) - size(a.members));
  const total = size(units.map((_, i) => i));
  // Clusters of one short message are noise once there is anything bigger to show.
  const shown = ranked.filter((c, i) => i < 2 || size(c.members) >= Math.max(2, total * 0.02)).slice(0, maxTopics);
  return shown.map((c) => {
    // Size counts (big threads matter); a unit with nothing to quote does not.
    const rel = (i: number): number => dotDense(vecs[i], c.centroid) * (1 + 0.35 * Math.log(1 + weights[i])) * (units[i].messages.some((m) => substance(m) >= 4) ? 1 : 0.2);
    const picks = mmr(c.members, rel, vecs, Math.min(3, c.members.length));
    const texts = c.members.flatMap((i) => units[i].messages.map((m) => m.text)).slice(0, 400);
    const top = topTerms(c.centroid, terms, 2).map((t) => surface(t, texts));
    const phrase = phraseTitle(texts, (stem) => c.centroid[termId.get(stem) ?? -1] ?? 0, lang);
    const title = phrase ?? (lang === 'zh' ? top.join('与') : top[0] ? top[0][0].toUpperCase() + top[0].slice(1) : '');
    const closeness = (m: HistoryMessage): number => {
      const toks = new Set(tokensOf.get(m) ?? []);
      let s = 0;
      for (const t of toks) s += c.centroid[termId.get(t) ?? -1] ?? 0;
      return toks.size ? s / Math.sqrt(toks.size) : -1;
    };
    const reps = picks.map((i) => representative(units[i], closeness));
    const people = new Set(c.members.flatMap((i) => units[i].messages.map((m) => m.userId)));
    const lead = reps[0];
    return {
      title: title || snippet(lead.text, 40),
      summary: `${displayName(lead)}: “${snippet(lead.text)}”`,
      messages: size(c.members),
      people: people.size,
      cites: reps.map(citeOf),
    };
  });
}

/** Messages grouped by thread, and whether the channel uses threads at all (then only replies answer). */
function threadsOf(messages: HistoryMessage[]): { byThread: Map<string, HistoryMessage[]>; usesThreads: boolean } {
  const byThread = new Map<string, HistoryMessage[]>();
  for (const m of messages) {
    const g = byThread.get(threadKey(m));
    if (g) g.push(m);
    else byThread.set(threadKey(m), [m]);
  }
  const threaded = messages.filter((m) => m.threadId && m.threadId !== m.id).length;
  return { byThread, usesThreads: threaded >= Math.max(2, messages.length * 0.05) };
}

/** Decisions, action items and unanswered questions, found by rule, in time order. */
export function findItems(messages: HistoryMessage[]): { decisions: SummaryDecision[]; actions: SummaryAction[]; questions: SummaryQuestion[] } {
  const decisions: SummaryDecision[] = [];
  const actions: SummaryAction[] = [];
  const questions: SummaryQuestion[] = [];
  const { byThread, usesThreads } = threadsOf(messages);
  const seen = new Set<string>();
  const asked = new Set<string>();
  messages.forEach((m, i) => {
    const who = displayName(m);
    const d = detectDecision(m.text);
    if (d && !seen.has(`d:${d.what}`)) {
      seen.add(`d:${d.what}`);
      decisions.push({ who, what: d.what, cite: citeOf(m) });
    }
    const a = detectAction(m.text, who, m.mentions);
    if (a && !seen.has(`a:${a.task}`)) {
      seen.add(`a:${a.task}`);
      actions.push({ owner: a.owner, task: a.task, due: a.due, cite: citeOf(m) });
    }
    // "@Bob can you ...?" is a request, listed as Bob's task rather than as an open question.
    const request = a?.owner !== undefined && a.owner !== who;
    const q = request ? undefined : detectQuestion(m.text);
    // A question asked again (re-posted, or by someone else in the same words) is listed once.
    if (q && !asked.has(questionKey(q)) && !answered(m, i, messages, byThread.get(threadKey(m)) ?? [m], usesThreads)) {
      asked.add(questionKey(q));
      questions.push({ who, question: q, cite: citeOf(m) });
    }
  });
  return { decisions, actions, questions };
}

export function questionKey(q: string): string {
  return q.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/**
 * Questions that are still open in the whole range: each listed once (same message or same
 * words), none that someone answered later in its thread. Windows of a long range, and a
 * model, see only part of the history; this checks against all of it.
 */
export function stillOpen(questions: SummaryQuestion[], messages: HistoryMessage[]): SummaryQuestion[] {
  const index = new Map(messages.map((m, i) => [m.id, i]));
  const { byThread, usesThreads } = threadsOf(messages);
  const seen = new Set<string>();
  return questions.filter((q) => {
    const i = index.get(q.cite.id);
    if (i === undefined) return false;
    const key = questionKey(q.question);
    if (seen.has(q.cite.id) || seen.has(key)) return false;
    seen.add(q.cite.id);
    seen.add(key);
    const m = messages[i];
    return !answered(m, i, messages, byThread.get(threadKey(m)) ?? [m], usesThreads);
  });
}

/**
 * Whether anyone else replied: later in its thread; for a root, replies the platform counts
 * outside the range too; in a channel that does not use threads, another person speaking soon after.
 */
function answered(m: HistoryMessage, index: number, all: HistoryMessage[], thread: HistoryMessage[], usesThreads: boolean): boolean {
  if (thread.some((r) => r.ts >= m.ts && r.id !== m.id && r.userId !== m.userId)) return true;
  if (m.threadId === undefined || m.threadId === m.id) {
    if ((m.replyCount ?? 0) > 0 && thread.length === 1) return true;
    if (!usesThreads && thread.length === 1) {
      for (let j = index + 1; j < all.length && all[j].ts - m.ts <= UNTHREADED_ANSWER_MS; j++) {
        if (all[j].userId !== m.userId && !all[j].threadId) return true;
      }
    }
  }
  return false;
}

export function participants(messages: HistoryMessage[]): Participant[] {
  const by = new Map<string, Participant>();
  for (const m of messages) {
    const p = by.get(m.userId) ?? { id: m.userId, name: displayName(m), messages: 0 };
    p.messages++;
    by.set(m.userId, p);
  }
  return [...by.values()].sort((a, b) => b.messages - a.messages || a.name.localeCompare(b.name));
}

/** Cap each list, most recent last, and say how many were left out. */
function capped<T>(items: T[], max: number, notes: string[], what: string, lang: Lang): T[] {
  if (items.length <= max) return items;
  notes.push(lang === 'zh' ? `${what}较多，只列出最近的 ${max} 项（共 ${items.length} 项）。` : `${items.length} ${what} found; the ${max} most recent are listed.`);
  return items.slice(-max);
}

/** The offline summary: extractive topics, rule-found items, template overview. Messages sorted, non-empty. */
export function extractiveSummary(
  messages: HistoryMessage[],
  opts: { lang: Lang; scope: 'channel' | 'thread'; channelName?: string; maxTopics?: number; notes?: string[]; topics?: SummaryTopic[] },
): Summary {
  const { lang, scope } = opts;
  const notes = [...(opts.notes ?? [])];
  const units = groupUnits(messages, scope === 'thread');
  const threadCount = new Set(messages.filter((m) => m.threadId).map((m) => m.threadId)).size;
  const items = findItems(messages);
  const summary: Summary = {
    lang,
    scope,
    channel: opts.channelName,
    from: messages[0].ts,
    to: messages[messages.length - 1].ts,
    messageCount: messages.length,
    threadCount,
    overview: [],
    topics: opts.topics ?? topics(units, lang, opts.maxTopics ?? 6, scope === 'thread'),
    decisions: capped(items.decisions, MAX_DECISIONS, notes, lang === 'zh' ? '决定' : 'decisions', lang),
    actions: capped(items.actions, MAX_ACTIONS, notes, lang === 'zh' ? '待办' : 'action items', lang),
    questions: capped(items.questions, MAX_QUESTIONS, notes, lang === 'zh' ? '未回答的问题' : 'open questions', lang),
    participants: participants(messages),
    notes,
    model: OFFLINE_SUMMARY_MODEL,
  };
  summary.overview = describeOverview(summary, messages, units);
  return summary;
}

