import { formatDate, formatStamp } from './overview';
import type { Cite, Summary } from './types';

export type SummaryFormat = 'markdown' | 'text';

const HEAD = {
  en: { summary: 'Summary', thread: 'Thread summary', topics: 'Topics', decisions: 'Decisions', actions: 'Action items', questions: 'Open questions', people: 'Who took part', notes: 'Notes', due: 'due', messages: 'messages', people_n: 'people', none: 'none found', more: 'more', unassigned: 'unassigned' },
  zh: { summary: '频道总结', thread: '讨论串总结', topics: '话题', decisions: '决定', actions: '待办', questions: '未回答的问题', people: '参与者', notes: '说明', due: '截止', messages: '条消息', people_n: '人', none: '未发现', more: '其他', unassigned: '未指定' },
} as const;

/** A message link as `[6 Feb 14:05](permalink)`, or the stamp and id when the platform gave no link. */
function link(c: Cite, s: Summary, format: SummaryFormat): string {
  const stamp = formatStamp(c.ts, s.lang);
  if (!c.link) return format === 'text' ? `(${stamp}, ${c.id})` : `(${stamp})`;
  return format === 'markdown' ? `[${stamp}](${c.link})` : `(${stamp} ${c.link})`;
}

/**
 * The summary as chat Markdown (adapters turn it into mrkdwn or a card) or plain text for the
 * terminal. Its only URLs are the cited messages' permalinks.
 */
export function renderSummary(s: Summary, opts: { format?: SummaryFormat; preface?: string } = {}): string {
  const format = opts.format ?? 'markdown';
  const h = HEAD[s.lang];
  const zh = s.lang === 'zh';
  const heading = (t: string): string => (format === 'markdown' ? `**${t}**` : t);
  const bullet = format === 'markdown' ? '•' : '  -';
  const sep = zh ? '：' : ': ';
  const out: string[] = [];
  if (opts.preface) out.push(opts.preface, '');
  const where = s.channel ? ` #${s.channel}` : '';
  const span = s.from !== undefined && s.to !== undefined ? (formatDate(s.from, s.lang) === formatDate(s.to, s.lang) ? formatDate(s.from, s.lang) : `${formatDate(s.from, s.lang)} – ${formatDate(s.to, s.lang)}`) : '';
  out.push(heading(`${s.scope === 'thread' ? h.thread : h.summary}${where}`) + (span ? ` (${span}, ${s.messageCount} ${zh ? h.messages : h.messages})` : ''));
  out.push(s.overview.join(zh ? '' : ' '));
  if (s.messageCount === 0) {
    if (s.notes.length) out.push('', ...s.notes.map((n) => `_${n}_`));
    return out.join('\n');
  }
  const section = (title: string, lines: string[]): void => {
    out.push('', heading(title));
    out.push(...(lines.length ? lines : [`${bullet} ${h.none}`]));
  };
  section(
    h.topics,
    s.topics.map((t) => `${bullet} ${format === 'markdown' ? `*${t.title}*` : t.title} (${t.messages} ${h.messages}, ${t.people} ${h.people_n})${sep}${t.summary} ${t.cites.map((c) => link(c, s, format)).join(' ')}`),
  );
  section(h.decisions, s.decisions.map((d) => `${bullet} ${d.who}${sep}${d.what} ${link(d.cite, s, format)}`));
  section(h.actions, s.actions.map((a) => `${bullet} ${a.owner ?? h.unassigned}${sep}${a.task}${a.due ? ` (${h.due} ${a.due})` : ''} ${link(a.cite, s, format)}`));
  section(h.questions, s.questions.map((q) => `${bullet} ${q.who}${sep}${q.question} ${link(q.cite, s, format)}`));
  const shown = s.participants.slice(0, 12).map((p) => `${p.name} (${p.messages})`);
  const rest = s.participants.length - shown.length;
  out.push('', `${heading(h.people)}${sep}${shown.join(zh ? '、' : ', ')}${rest > 0 ? (zh ? ` 等另外 ${rest} 人` : `, and ${rest} ${h.more}`) : ''}`);
  if (s.notes.length) out.push('', ...s.notes.map((n) => (format === 'markdown' ? `_${n}_` : `${h.notes}${sep}${n}`)));
  return out.join('\n');
}
