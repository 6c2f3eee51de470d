import type { ChunkView, CorpusView } from './corpus-view';
import { monthOf } from './text';
import type { Claim, SkillDraft } from './types';

export const DERIVED = '(derived from corpus statistics)';

const pct = (n: number, d: number) => (d ? Math.round((100 * n) / d) : 0);
const ATTACHMENT = /\b(?:attached|attachment|spreadsheet|enclosed|see the file|the file|\.xls|\.doc|\.pdf|\.ppt)\b|(?:附件|表格|见附件)/i;

function monthsBetween(a: string, b: string): number {
  const [ya, ma] = a.split('-').map(Number);
  const [yb, mb] = b.split('-').map(Number);
  return (yb - ya) * 12 + (mb - ma);
}

export interface LimitsContext {
  /** Input size before sampling. */
  totalChunks: number;
  draft: SkillDraft;
}

/** What the material does not cover, from what it does. */
export function honestLimits(view: CorpusView, ctx: LimitsContext): Claim[] {
  const out: Claim[] = [];
  const N = view.messages;
  const dated = view.items.filter((i) => monthOf(i.chunk.date)).sort((a, b) => (a.chunk.date ?? '').localeCompare(b.chunk.date ?? ''));
  if (dated.length) {
    const first = dated[0];
    const last = dated.at(-1) as ChunkView;
    out.push({
      text: `Covers ${monthOf(first.chunk.date)} to ${monthOf(last.chunk.date)} only (${N} messages or documents); it knows nothing after ${last.chunk.date?.slice(0, 10)}.`,
      anchors: [first.chunk.id, last.chunk.id],
    });
    const months = [...new Set(dated.map((i) => monthOf(i.chunk.date) as string))].sort();
    let gap: [string, string] | undefined;
    for (let i = 1; i < months.length; i++) {
      const g = monthsBetween(months[i - 1], months[i]);
      if (g > 3 && (!gap || g > monthsBetween(gap[0], gap[1]))) gap = [months[i - 1], months[i]];
    }
    if (gap) out.push({ text: `Nothing between ${gap[0]} and ${gap[1]} ${DERIVED}.`, anchors: [] });
  } else {
    out.push({ text: `The material carries no dates: how current any of it is cannot be told ${DERIVED}.`, anchors: [] });
  }
  const kinds = new Map<string, number>();
  for (const i of view.items) kinds.set(i.chunk.kind, (kinds.get(i.chunk.kind) ?? 0) + 1);
  const kindList = [...kinds.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} (${n} chunks)`);
  const channels = new Map<string, number>();
  for (const i of view.items) if (i.chunk.title?.startsWith('#')) channels.set(i.chunk.title, (channels.get(i.chunk.title) ?? 0) + 1);
  const where = channels.size ? `; channels: ${[...channels.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([c, n]) => `${c} (${n})`).join(', ')}` : '';
  out.push({ text: `Sources: ${kindList.join(', ')}${where}. Meetings, calls and anything outside these are not in it ${DERIVED}.`, anchors: [] });

  const forwards = view.items.filter((i) => i.forward);
  const fwdMsgs = new Set(forwards.map((i) => i.messageKey)).size;
  if (fwdMsgs) out.push({ text: `${pct(fwdMsgs, N)}% of messages (${fwdMsgs}) are forwards or carry others' text; those words are not the subject's own.`, anchors: forwards.slice(0, 2).map((i) => i.chunk.id) });
  else out.push({ text: `No forwarded messages were found: everything is the subject's own writing ${DERIVED}.`, anchors: [] });

  const attach = view.items.filter((i) => ATTACHMENT.test(i.clean.body));
  const attachMsgs = new Set(attach.map((i) => i.messageKey)).size;
  if (attachMsgs) out.push({ text: `${attachMsgs} messages refer to attachments, spreadsheets or files whose contents are not in the material.`, anchors: attach.slice(0, 3).map((i) => i.chunk.id) });

  const langs = { zh: 0, en: 0 };
  for (const i of view.items) {
    if (i.lang === 'zh' || i.lang === 'mixed') langs.zh++;
    if (i.lang === 'en' || i.lang === 'mixed') langs.en++;
  }
  const present = (['zh', 'en'] as const).filter((l) => langs[l] > 0);
  const missing = view.person.languages.filter((l) => langs[l] === 0);
  const name = { zh: 'Chinese', en: 'English' };
  out.push({
    text: `Languages in the material: ${present.map((l) => `${name[l]} (${pct(langs[l], view.items.length)}% of chunks)`).join(', ') || 'none detected'}${missing.length ? `; nothing in ${missing.map((l) => name[l]).join(' or ')} although the subject uses it` : ''} ${DERIVED}.`,
    anchors: [],
  });

  const thin = sectionsWithoutEvidence(ctx.draft);
  if (thin.length) out.push({ text: `The material shows nothing for: ${thin.join(', ')}. The avatar should say so rather than guess ${DERIVED}.`, anchors: [] });
  if (ctx.totalChunks > view.items.length) {
    out.push({ text: `Distilled from a sample of ${view.items.length} of ${ctx.totalChunks} chunks, spread over time and weighted towards steps, decisions and warnings ${DERIVED}.`, anchors: [] });
  }
  return out;
}

function sectionsWithoutEvidence(d: SkillDraft): string[] {
  const out: string[] = [];
  if (!d.work.procedures.length) out.push('procedures');
  if (!d.work.heuristics.length) out.push('decisions and rules of thumb');
  if (!d.work.gotchas.length) out.push('gotchas');
  if (!d.work.whoToAsk.length) out.push('who to ask');
  if (!d.persona.boundaries.length) out.push('boundaries (what they would not discuss)');
  return out;
}
