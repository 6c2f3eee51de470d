import { collectSentences, pickDiverse, type Candidate } from './cues';
import { idf, type ChunkView, type CorpusView } from './corpus-view';
import {
  DECISION,
  DECISION_ZH,
  GOTCHA,
  GOTCHA_ZH,
  HEURISTIC,
  HEURISTIC_ZH,
  IMPERATIVE,
  IMPERATIVE_ZH,
  LIST_ITEM,
  SEQUENCE,
  SEQUENCE_ZH,
} from './patterns';
import { isPersonName, peopleIn, type PersonMention } from './people';
import { isWeakTerm, namedEntities } from './terms';
import { specificityScore } from './specificity';
import { entityContext } from './work-context';
import { clip, monthOf, quote, wordCount } from './text';
import type { Topic } from './topics';
import type { Claim, Procedure } from './types';

const ROLE = /\b(?:i(?:'m| am) (?:responsible|in charge) for|my (?:job|role|team|group|desk) (?:is|was)|i (?:own|run|manage|lead|maintain|look after|handle)\b)|(?:(?<!不)我负责|我主要负责|我们组负责|我在做)/i;

function span(items: readonly ChunkView[]): string {
  const months = items.map((i) => monthOf(i.chunk.date)).filter((m): m is string => !!m).sort();
  if (!months.length) return '';
  return months[0] === months.at(-1) ? months[0] : `${months[0]} to ${months.at(-1)}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

const topAnchors = (items: readonly ChunkView[], n = 3) => [...new Set(items.map((i) => i.chunk.id))].slice(0, n);

export function responsibilities(view: CorpusView, topics: readonly Topic[]): Claim[] {
  const out: Claim[] = [];
  for (const c of pickDiverse(collectSentences(view, (s) => ROLE.test(s)), 3)) out.push({ text: `In ${pronounPossessive(view)} words: ${quote(c.text)}`, anchors: c.ids.slice(0, 3) });
  for (const t of topics) {
    const when = span(t.members);
    const eg = t.sentence ? ` Typical: ${quote(t.sentence, 160)}` : '';
    const anchors = [t.representative.chunk.id, ...topAnchors(t.members, 3)];
    out.push({ text: `**${t.terms.slice(0, 5).join(', ')}** — ${plural(t.messages, 'message')}${when ? `, ${when}` : ''}.${eg}`, anchors: [...new Set(anchors)].slice(0, 3) });
  }
  return out;
}

function pronounPossessive(view: CorpusView): string {
  return view.person.pronoun === 'he' ? 'his' : view.person.pronoun === 'she' ? 'her' : 'their';
}

interface EntityStat {
  shown: string;
  kind: string;
  items: ChunkView[];
  messages: Set<string>;
  initialOnly: boolean;
}

/**
 * Systems, products, reports and instruments the subject names again and again, in work context:
 * towns, people and the things of private life (the builder, the bank for a mortgage) are left out.
 */
export function systems(view: CorpusView, people: Map<string, PersonMention> = peopleIn(view), limit = 12): Claim[] {
  const stats = new Map<string, EntityStat>();
  for (const item of view.items) {
    if (item.forward && !item.sentences.length) continue;
    for (const e of namedEntities(item.clean.body, item.clean.code)) {
      const k = e.term.toLowerCase().replace(/\(\)$/, '');
      let s = stats.get(k);
      if (!s) stats.set(k, (s = { shown: e.term, kind: e.kind, items: [], messages: new Set(), initialOnly: true }));
      if (e.kind === 'code') [s.shown, s.kind] = [e.term, 'code'];
      if (!e.initial) s.initialOnly = false;
      if (!s.items.includes(item)) s.items.push(item);
      s.messages.add(item.messageKey);
    }
  }
  const self = new Set(view.nameParts);
  const weight: Record<string, number> = { code: 1.5, identifier: 1.3, acronym: 1, name: 1 };
  const ranked = [...stats.entries()]
    .filter(([k, s]) => {
      if (s.messages.size < 2) return false;
      if (self.has(k.replace(/\s/g, '')) || k.split(' ').some((w) => self.has(w))) return false;
      if (s.kind === 'name') {
        if (s.initialOnly) return false;
        if (isPersonName(s.shown, people) || usedAsPerson(s)) return false;
        // "Matt Smith and Jason Wolfe" is two people, not a system.
        if (/ and /.test(s.shown) && s.shown.split(/ and | & /).every((p) => isPersonName(p, people))) return false;
        if (!s.shown.includes(' ') && view.lowerWords.has(k)) return false;
      }
      // Work context is required: a place, a person or a private matter is not a system owned.
      const ctx = entityContext(s.shown, s.items.map((i) => i.clean.body));
      if (ctx === 'person' || ctx === 'place' || ctx === 'private') return false;
      if (s.kind === 'name' && ctx !== 'work') return false;
      return true;
    })
    .map(([, s]) => ({ s, score: s.messages.size * weight[s.kind] * (s.shown.includes(' ') ? 1.2 : 1) }))
    .sort((a, b) => b.score - a.score || a.s.shown.localeCompare(b.s.shown));
  const out: Claim[] = [];
  const shownLower: string[] = [];
  for (const { s } of ranked) {
    if (out.length >= limit) break;
    const low = s.shown.toLowerCase();
    // "Phantom Stock" after "Phantom Stock Account" says nothing new.
    if (shownLower.some((x) => x.includes(low) || low.includes(x))) continue;
    shownLower.push(low);
    const name = s.kind === 'code' ? `\`${s.shown}\`` : `**${s.shown}**`;
    const example = shortestMention(s.items, s.shown);
    const when = span(s.items);
    out.push({
      text: `${name} — ${plural(s.messages.size, 'message')}${when ? `, ${when}` : ''}${example ? `: ${quote(example, 150)}` : ''}`,
      anchors: topAnchors(s.items),
    });
  }
  return out;
}

const PERSON_CUE = (name: string) =>
  new RegExp(`${esc(name)}[’']s\\b|\\b(?:let|tell|told|ask|asked|call|called|with|thank|thanks|from|to)\\s+${esc(name)}\\b|\\b${esc(name)}\\s+(?:said|says|will|would|wants|thinks|called|mentioned|agreed|is going|knows|needs|asked)\\b`);
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A single capitalised word used the way people are: "the Kuo's", "let Pauline know". */
function usedAsPerson(s: EntityStat): boolean {
  if (s.shown.includes(' ')) return false;
  const re = PERSON_CUE(s.shown);
  return s.items.filter((it) => re.test(it.clean.body)).length >= Math.max(1, s.items.length / 3);
}

function shortestMention(items: readonly ChunkView[], term: string): string | undefined {
  const low = term.toLowerCase();
  let best: string | undefined;
  for (const it of items) {
    for (const s of it.sentences) {
      if (!s.toLowerCase().includes(low) || s.length < 30) continue;
      if (!best || Math.abs(s.length - 110) < Math.abs(best.length - 110)) best = s;
    }
  }
  return best;
}

const isStep = (s: string) => IMPERATIVE.test(s) || IMPERATIVE_ZH.test(s) || SEQUENCE.test(s) || SEQUENCE_ZH.test(s) || LIST_ITEM.test(s);

/**
 * Procedures: messages that lay out steps (numbered lists, first/then, 先/然后), each a titled
 * procedure; then the remaining instructions grouped by topic.
 */
export function procedures(view: CorpusView, topics: readonly Topic[], limit = 8): Procedure[] {
  const byMessage = new Map<string, ChunkView[]>();
  for (const it of view.items) {
    const list = byMessage.get(it.messageKey) ?? [];
    list.push(it);
    byMessage.set(it.messageKey, list);
  }
  const found: { p: Procedure; score: number }[] = [];
  const usedSteps = new Set<string>();
  for (const items of byMessage.values()) {
    const steps: Claim[] = [];
    let ordered = 0;
    for (const it of items) {
      const lines = it.clean.body.split('\n').map((l) => l.trim());
      const listed = lines.filter((l) => LIST_ITEM.test(l) && l.replace(LIST_ITEM, '').length >= 8);
      const steplike = listed.filter((l) => isStep(l.replace(LIST_ITEM, ''))).length;
      if (listed.length >= 2 && (steplike * 2 >= listed.length || /(?:steps?|following|checklist|to do|todo|步骤|流程)\b/i.test(it.clean.body.slice(0, 300)))) {
        ordered += listed.length;
        for (const l of listed) steps.push({ text: l.replace(LIST_ITEM, ''), anchors: [it.chunk.id] });
        continue;
      }
      for (const s of it.sentences) {
        if (!isStep(s)) continue;
        if (SEQUENCE.test(s) || SEQUENCE_ZH.test(s)) ordered++;
        steps.push({ text: s.replace(LIST_ITEM, ''), anchors: [it.chunk.id] });
      }
    }
    // A question is not a step; the same sentence in two overlapping chunks is one step.
    const unique = steps.filter((s, i) => !/[?？]\s*$/.test(s.text) && steps.findIndex((o) => o.text === s.text) === i);
    steps.length = 0;
    steps.push(...unique);
    if (steps.length < 2 || (ordered < 2 && steps.length < 3)) continue;
    // "First, there is a tract...; second, ..." lists facts; a procedure tells someone to act.
    if (!listedAny(items) && ordered < 3 && !steps.some((s) => IMPERATIVE.test(s.text) || IMPERATIVE_ZH.test(s.text))) continue;
    const first = items[0];
    const title = introLine(items) ?? procedureTitle(first, steps[0].text);
    const numbered = items.some((it) => it.clean.body.split('\n').filter((l) => /^\s*\d{1,2}[.)、]/.test(l)).length >= 2) ? 3 : 0;
    const score = ordered * 2 + numbered + Math.min(steps.length, 8) + steps.filter((s) => /\d|`/.test(s.text)).length - (first.forward ? 4 : 0);
    found.push({ p: { title, anchors: [first.chunk.id], steps: steps.slice(0, 8).map((s) => ({ ...s, text: clip(s.text, 200) })) }, score });
  }
  found.sort((a, b) => b.score - a.score || a.p.anchors[0] - b.p.anchors[0]);
  const out = found.slice(0, Math.max(0, limit - 2)).map((f) => f.p);
  for (const p of out) for (const s of p.steps) usedSteps.add(s.text.toLowerCase());

  // Instructions scattered over many messages, grouped by topic.
  for (const t of topics) {
    if (out.length >= limit) break;
    const members = new Set(t.members);
    const cands = collectSentences(view, (s, it) => members.has(it) && (IMPERATIVE.test(s) || IMPERATIVE_ZH.test(s)) && !usedSteps.has(clip(s, 200).toLowerCase()));
    // "Please drop me a note" is a habit (Persona), not a step worth keeping.
    const picked = pickDiverse(cands.filter((c) => specificityScore(c.text) > 0 || wordCount(c.text) >= 12), 6);
    if (picked.length < 2) continue;
    picked.sort((a, b) => (a.items[0].chunk.date ?? '').localeCompare(b.items[0].chunk.date ?? ''));
    out.push({
      title: `Recurring instructions on ${t.terms.slice(0, 3).join(', ')}`,
      anchors: [picked[0].ids[0]],
      steps: picked.map((c) => ({ text: clip(c.text, 200), anchors: c.ids.slice(0, 2) })),
    });
  }
  return out;
}

/** "切换步骤：" or "To rotate the keys:" right before a list names the procedure. */
function introLine(items: readonly ChunkView[]): string | undefined {
  for (const it of items) {
    const lines = it.clean.body.split('\n').map((l) => l.trim());
    const at = lines.findIndex((l) => LIST_ITEM.test(l));
    const prev = at > 0 ? lines[at - 1] : '';
    if (/[:：]$/.test(prev) && prev.length <= 80 && prev.length >= 3) return prev.replace(/[:：]$/, '');
  }
  return undefined;
}

function listedAny(items: readonly ChunkView[]): boolean {
  return items.some((it) => it.clean.body.split('\n').filter((l) => LIST_ITEM.test(l.trim())).length >= 2);
}

function procedureTitle(item: ChunkView, firstStep: string): string {
  const subject = (item.chunk.title ?? '').replace(/^\s*(?:(?:re|fw|fwd|答复|回复|转发)\s*[:：]\s*)+/i, '').trim();
  if (subject && !/^#/.test(subject) && subject !== item.chunk.source) return clip(subject, 80);
  const where = item.chunk.title?.startsWith('#') ? ` (${item.chunk.title})` : '';
  return `${clip(firstStep.replace(LIST_ITEM, ''), 60)}${where}`;
}

const isQuestion = (s: string) => /[?？]\s*["”')]?$/.test(s);

function cueClaims(cands: Candidate[], n: number, prefix: (c: Candidate) => string, seen: Set<string>): Claim[] {
  return pickDiverse(cands, n, 1, seen).map((c) => ({ text: `${prefix(c)}${quote(c.text.replace(LIST_ITEM, ''), 220)}`, anchors: c.ids.slice(0, 3) }));
}

/** Decisions taken and rules of thumb, decisions first. */
export function heuristics(view: CorpusView, seen: Set<string>, limit = 10): Claim[] {
  const decisions = collectSentences(view, (s) => !isQuestion(s) && (DECISION.test(s) || DECISION_ZH.test(s)));
  const rules = collectSentences(view, (s) => !isQuestion(s) && (HEURISTIC.test(s) || HEURISTIC_ZH.test(s)));
  const dated = (c: Candidate) => {
    const m = monthOf(c.items[0].chunk.date);
    return m ? `Decided (${m}): ` : 'Decided: ';
  };
  const d = cueClaims(decisions, Math.ceil(limit / 3), dated, seen);
  return [...d, ...cueClaims(rules, limit - d.length, () => '', seen)];
}

export function gotchas(view: CorpusView, seen: Set<string>, limit = 8): Claim[] {
  return cueClaims(
    collectSentences(view, (s) => !isQuestion(s) && (GOTCHA.test(s) || GOTCHA_ZH.test(s))),
    limit,
    () => '',
    seen,
  );
}

/** People the subject writes to or sends others to, with what they deal with them about. */
export function whoToAsk(view: CorpusView, people: Map<string, PersonMention> = peopleIn(view), limit = 8): Claim[] {
  const ranked = [...people.values()]
    .filter((p) => p.chunks.length >= 2 || p.ways.has('referred'))
    .sort((a, b) => Number(b.ways.has('referred')) - Number(a.ways.has('referred')) || b.chunks.length - a.chunks.length || a.name.localeCompare(b.name));
  const out: Claim[] = [];
  const firstNames = new Set<string>();
  for (const p of ranked) {
    if (out.length >= limit) break;
    const first = p.name.split(/\s+/)[0];
    if (firstNames.has(first) && !p.name.includes(' ')) continue;
    firstNames.add(first);
    const items = p.chunks.map((id) => view.byId.get(id)).filter((i): i is ChunkView => !!i);
    const about = topTerms(view, items, 4, p.name);
    const how = [...p.ways].map((w) => ({ addressed: 'writes to', mentioned: '@mentions', referred: 'refers people to', thread: 'replies to' })[w]).join(', ');
    out.push({
      text: `**${p.name}** — ${how} (${plural(new Set(items.map((i) => i.messageKey)).size, 'message')})${about.length ? `; about ${about.join(', ')}` : ''}`,
      anchors: p.chunks.slice(0, 3),
    });
  }
  return out;
}

/** Terms that distinguish a set of chunks from the whole material. */
export function topTerms(view: CorpusView, items: readonly ChunkView[], n: number, exclude = ''): string[] {
  const tf = new Map<string, number>();
  for (const it of items) for (const t of new Set(it.terms)) tf.set(t, (tf.get(t) ?? 0) + 1);
  const ex = exclude.toLowerCase().split(/\s+/);
  return [...tf.entries()]
    .filter(([t, c]) => (items.length < 3 || c >= 2) && !isWeakTerm(t) && !ex.includes(view.surfaces.show(t).toLowerCase()) && (view.df.get(t) ?? 0) >= 2)
    .map(([t, c]) => ({ t, s: c * idf(view, t) }))
    .sort((a, b) => b.s - a.s || a.t.localeCompare(b.t))
    .slice(0, n)
    .map((x) => view.surfaces.show(x.t));
}
