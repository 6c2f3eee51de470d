import type { Lang } from '../text/lang';
import { displayName, type HistoryMessage } from './message';
import type { Summary, Unit } from './types';
import { splitSentences } from '../text/sentences';
import { scrubUrls } from './links';

/** The opening worth quoting: prose sentences (not code or output) until there is something to read. */
export function snippet(text: string, max = 140): string {
  const prose = splitSentences(scrubUrls(text)).filter((x) => !/^(?:#>|>|\$ |```)/.test(x) && /[A-Za-z\u4e00-\u9fff]{2}/.test(x));
  let out = '';
  for (const s of prose) {
    out = out ? `${out} ${s}` : s;
    if (out.length >= 50) break;
  }
  const one = (out || scrubUrls(text)).replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** `6 Feb 2021` / `2021年2月6日`, in UTC so output does not depend on the machine. */
export function formatDate(ms: number, lang: Lang): string {
  const d = new Date(ms);
  if (lang === 'zh') return `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日`;
  return d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}

/** `6 Feb 14:05` / `2月6日 14:05` (UTC): the label of a message link. */
export function formatStamp(ms: number, lang: Lang): string {
  const d = new Date(ms);
  const hm = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  if (lang === 'zh') return `${d.getUTCMonth() + 1}月${d.getUTCDate()}日 ${hm}`;
  return `${d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' })} ${hm}`;
}

function list(items: string[], lang: Lang): string {
  if (lang === 'zh') return items.join('、');
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Two to four sentences: who and when, what about, the busiest thread, what was found. */
export function describeOverview(s: Summary, messages: HistoryMessage[], units: Unit[]): string[] {
  const zh = s.lang === 'zh';
  const first = messages[0];
  const last = messages[messages.length - 1];
  const d1 = formatDate(first.ts, s.lang);
  const d2 = formatDate(last.ts, s.lang);
  const people = s.participants.length;
  const out: string[] = [];
  const chan = s.channel ? `#${s.channel}` : '';
  if (s.scope === 'thread') {
    const root = messages.find((m) => !m.threadId || m.threadId === m.id) ?? first;
    out.push(
      zh
        ? `这个讨论串共有 ${people} 人发了 ${messages.length} 条消息，由${displayName(root)}于${d1}发起：“${snippet(root.text, 100)}”。`
        : `A thread of ${plural(messages.length, 'message')} from ${plural(people, 'person', 'people')}, started by ${displayName(root)} on ${d1}: “${snippet(root.text, 100)}”.`,
    );
  } else {
    const when = d1 === d2 ? (zh ? d1 : `on ${d1}`) : zh ? `${d1}至${d2}` : `between ${d1} and ${d2}`;
    out.push(
      zh
        ? `${when}，${chan || '这个频道'}共有 ${people} 人发了 ${messages.length} 条消息${s.threadCount ? `（${s.threadCount} 个讨论串）` : ''}。`
        : `${plural(messages.length, 'message')} from ${plural(people, 'person', 'people')}${chan ? ` in ${chan}` : ''} ${when}${s.threadCount ? `, in ${plural(s.threadCount, 'thread')} and loose messages` : ''}.`,
    );
  }
  const titles = s.topics.slice(0, 3).map((t) => t.title.split(zh ? '、' : ' · ').slice(0, 2).join(zh ? '、' : ' '));
  if (titles.length > 1 || (titles.length === 1 && s.scope === 'channel')) {
    out.push(zh ? `讨论主要围绕：${list(titles, 'zh')}。` : `The talk was mostly about ${list(titles, 'en')}.`);
  }
  if (s.scope === 'channel') {
    const busiest = units.filter((u) => u.root && u.messages.length >= 4 && u.root.threadId).sort((a, b) => b.messages.length - a.messages.length)[0];
    if (busiest?.root) {
      const n = busiest.messages.length - 1;
      out.push(
        zh
          ? `最热的讨论串由${displayName(busiest.root)}发起，有 ${n} 条回复：“${snippet(busiest.root.text, 90)}”。`
          : `The busiest thread, started by ${displayName(busiest.root)}, drew ${plural(n, 'reply', 'replies')}: “${snippet(busiest.root.text, 90)}”.`,
      );
    }
  }
  const { decisions: d, actions: a, questions: q } = s;
  if (d.length + a.length + q.length === 0) out.push(zh ? '没有识别出明确的决定、待办或未回答的问题。' : 'No explicit decisions, action items or unanswered questions were found.');
  else
    out.push(
      zh
        ? `共识别出 ${d.length} 项决定、${a.length} 项待办和 ${q.length} 个未回答的问题。`
        : `Found ${plural(d.length, 'decision')}, ${plural(a.length, 'action item')} and ${plural(q.length, 'open question')}.`,
    );
  return out.slice(0, 4);
}
