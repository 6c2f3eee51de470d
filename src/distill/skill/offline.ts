import type { CorpusView } from './corpus-view';
import { sentenceKey } from './cues';
import { honestLimits } from './limits';
import { peopleIn } from './people';
import { persona } from './persona';
import { monthOf } from './text';
import { findTopics } from './topics';
import { emptyDraft, type SkillDraft } from './types';
import { gotchas, heuristics, procedures, responsibilities, systems, whoToAsk } from './work';

/** The intro line: who, from what, over which period. */
export function introOf(view: CorpusView): SkillDraft['intro'] {
  const p = view.person;
  const dated = view.items.filter((i) => i.chunk.date).sort((a, b) => (a.chunk.date ?? '').localeCompare(b.chunk.date ?? ''));
  const kinds = [...new Set(view.items.map((i) => i.chunk.kind))].join(', ');
  const who = [p.name_en && p.name_en !== p.name ? `${p.name} (${p.name_en})` : p.name, [p.title, p.team].filter(Boolean).join(', ')].filter(Boolean).join(' — ');
  const period = dated.length ? `, ${monthOf(dated[0].chunk.date)} to ${monthOf(dated.at(-1)?.chunk.date)}` : '';
  const anchors = dated.length ? [dated[0].chunk.id, (dated.at(-1) ?? dated[0]).chunk.id] : view.items.slice(0, 1).map((i) => i.chunk.id);
  return {
    text: `${who}. Distilled from ${view.messages} of their messages and documents (${view.items.length} chunks of ${kinds}${period}). It describes how they worked in this material, not what is true today.`,
    anchors,
  };
}

/** Statistical extraction with no model: every claim is a quote, a count or a term list with anchors. */
export function offlineDraft(view: CorpusView, totalChunks: number): SkillDraft {
  const d = emptyDraft(view.person.name);
  if (!view.items.length) return d;
  d.intro = introOf(view);
  const topics = findTopics(view);
  const people = peopleIn(view);
  const seen = new Set<string>();
  d.work.responsibilities = responsibilities(view, topics);
  d.work.systems = systems(view, people);
  d.work.procedures = procedures(view, topics);
  for (const p of d.work.procedures) for (const s of p.steps) seen.add(sentenceKey(s.text));
  // Warnings first: "注意…一定要…" is a gotcha more than a rule.
  d.work.gotchas = gotchas(view, seen);
  d.work.heuristics = heuristics(view, seen);
  d.work.whoToAsk = whoToAsk(view, people);
  d.persona = persona(view);
  d.limits = honestLimits(view, { totalChunks, draft: d });
  return d;
}
