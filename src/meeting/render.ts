import { t } from '../chat/i18n';
import type { Lang } from '../text/lang';
import type { LeftOut } from './plan';
import type { Meeting, MeetingAnswer, PointCitation, Synthesis, SynthesisPoint } from './types';

/*
 * A meeting as platform-neutral Markdown (the adapters escape it for Slack, Feishu, the web or a
 * terminal: answers and model output are untrusted text), and as the CLI's JSON.
 */

export interface Participant {
  name: string;
  handle: string;
}

/** The meeting's first message: the question, who takes part, who was left out, and its progress. */
export function renderHeader(args: { id: string; question: string; lang: Lang; participants: Participant[]; leftOut: LeftOut[]; progress: string }): string {
  const { lang } = args;
  const who = args.participants.map((p) => `${p.name} (@${p.handle})`).join(lang === 'zh' ? '、' : ', ');
  const lines = [
    `**${t(lang, 'Avatar meeting', '数字分身会议')}** (${args.id})${t(lang, ': ', '：')}${oneLine(args.question)}`,
    t(lang, `With ${who}. Each answers in this thread from their own material, then a moderator compares the answers.`, `参会：${who}。每个分身在本讨论串中根据各自的资料作答，最后由主持人比较各方回答。`),
    ...args.leftOut.map((l) => `${t(lang, 'Left out: ', '未参加：')}${l.note}`),
    t(lang, '🤖 Every answer comes from a digital avatar, not the person.', '🤖 所有回答都来自数字分身，不是本人。'),
    args.progress,
  ];
  return lines.join('\n');
}

/** The header's last line while avatars are still looking, and once all have answered. */
export function progressLine(lang: Lang, done: string[], pending: string[]): string {
  if (pending.length === 0) return t(lang, `✅ All ${done.length} avatars answered; the moderator's synthesis is the last reply in the thread.`, `✅ ${done.length} 个分身均已作答，主持人的总结是讨论串中的最后一条回复。`);
  const waiting = pending.join(lang === 'zh' ? '、' : ', ');
  const answered = done.length ? t(lang, ` · answered: ${done.join(', ')}`, ` · 已作答：${done.join('、')}`) : '';
  return t(lang, `⏳ ${done.length} of ${done.length + pending.length} answered. Still looking: ${waiting}${answered}`, `⏳ 已作答 ${done.length}/${done.length + pending.length}。仍在查阅：${waiting}${answered}`);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** "Lao Zhang [1][3], Sarah Lin [2]": a point's sources by the numbers of each avatar's answer. */
export function citeList(citations: PointCitation[], answers: MeetingAnswer[]): string {
  const by = new Map<string, number[]>();
  for (const c of citations) by.set(c.avatar, [...(by.get(c.avatar) ?? []), c.n]);
  return [...by.entries()].map(([avatar, ns]) => `${answers.find((a) => a.avatar === avatar)?.name ?? avatar} ${ns.map((n) => `[${n}]`).join('')}`).join(', ');
}

function section(title: string, points: SynthesisPoint[], answers: MeetingAnswer[], lang: Lang): string[] {
  const lines = [`**${title}**`];
  if (points.length === 0) lines.push(`• ${t(lang, 'nothing found', '无')}`);
  for (const p of points) lines.push(`• ${oneLine(p.text)}${p.citations.length ? ` — ${citeList(p.citations, answers)}` : ''}`);
  return lines;
}

/** The moderator's message: how it was made, the three lists with their sources, the sources in full, and the label. */
export function renderSynthesis(meeting: Pick<Meeting, 'question' | 'lang' | 'answers'>, s: Synthesis): string {
  const { lang, answers } = meeting;
  const lines = [
    `**${t(lang, "Moderator's synthesis", '主持人总结')}**${t(lang, ': ', '：')}${oneLine(meeting.question)}`,
    `_${oneLine(s.note)}_`,
    '',
    ...section(t(lang, 'Where they agree', '一致之处'), s.agree, answers, lang),
    '',
    ...section(t(lang, 'Where they differ', '分歧之处'), s.differ, answers, lang),
    '',
    ...section(t(lang, 'What none of them covers', '都未涉及'), s.gaps, answers, lang),
  ];
  const cited = new Map<string, PointCitation>();
  for (const p of [...s.agree, ...s.differ, ...s.gaps]) for (const c of p.citations) cited.set(`${c.avatar}#${c.n}`, c);
  if (cited.size > 0) {
    lines.push('', `**${t(lang, 'Sources', '来源')}**`);
    for (const c of cited.values()) lines.push(`${citeList([c], answers)} ${c.source} ${c.locator}`);
  }
  lines.push('', t(lang, "🤖 A moderator's comparison of digital avatars' answers, not the people's own words.", '🤖 这是对数字分身回答的比较，不是本人的原话。'));
  return lines.join('\n');
}

/** `understudy meeting --json`. */
export function meetingJson(m: Meeting): Record<string, unknown> {
  const point = (p: SynthesisPoint): Record<string, unknown> => ({ text: p.text, citations: p.citations.map((c) => ({ avatar: c.avatar, n: c.n, source: c.source, locator: c.locator })) });
  return {
    meeting: m.id,
    question: m.question,
    answers: m.answers.map((a) => ({
      avatar: a.avatar,
      name: a.name,
      label: a.answer.label,
      text: a.answer.text,
      grounded: a.answer.grounded,
      model: a.answer.model,
      citations: a.answer.citations.map((c) => ({ n: c.n, source: c.source, locator: c.locator, text: c.text, visibility: c.visibility })),
    })),
    left_out: m.leftOut.map((l) => ({ avatar: l.avatar, reason: l.reason, note: l.note })),
    synthesis: { method: m.synthesis.method, ...(m.synthesis.model ? { model: m.synthesis.model } : {}), note: m.synthesis.note, agree: m.synthesis.agree.map(point), differ: m.synthesis.differ.map(point), gaps: m.synthesis.gaps.map(point) },
  };
}
