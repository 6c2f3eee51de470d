import type { CorpusView } from './corpus-view';
import { parseSkill, type ParsedLine, type ParsedSection } from './parse';
import { sameClaim } from './similarity';
import { offWork } from './work-context';
import { contentTerms } from './terms';
import { clip } from './text';
import { HEADINGS, PERSONA_KEYS, WORK_KEYS, type Claim, type ClaimKey, type EvidenceChunk, type Procedure, type SkillDraft } from './types';

/** Sections recomputed from the whole material each time: an old figure is replaced, not kept. */
const RECOMPUTED = new Set<ClaimKey>(['tone', 'phrases', 'languageMix', 'formality', 'greetings']);
const MAX_CARRIED = 10;

function keyOfPath(path: string): ClaimKey | 'procedures' | undefined {
  for (const k of [...WORK_KEYS, 'procedures' as const]) if (path === `Work/${HEADINGS[k]}`) return k;
  for (const k of PERSONA_KEYS) if (path === `Persona/${HEADINGS[k]}`) return k;
  return undefined;
}

function claimsOf(d: SkillDraft, k: ClaimKey): Claim[] {
  return (WORK_KEYS as readonly string[]).includes(k) ? d.work[k as (typeof WORK_KEYS)[number]] : d.persona[k as (typeof PERSONA_KEYS)[number]];
}

const short = (t: string) => clip(t.replace(/\*\*/g, ''), 110);

/** Chunks that still say what an earlier claim said, when its own evidence is gone. */
function support(text: string, view: CorpusView): number[] {
  const terms = [...new Set(contentTerms(text.replace(/[“”「」"]/g, ' ')))].filter((t) => (view.df.get(t) ?? 0) > 0);
  const want = [...new Set(contentTerms(text))].length;
  if (want < 3 || terms.length / want < 0.6) return [];
  let best: { id: number; n: number }[] = [];
  for (const it of view.items) {
    const have = new Set(it.terms);
    const n = terms.filter((t) => have.has(t)).length;
    if (n / want >= 0.6) best.push({ id: it.chunk.id, n });
  }
  best = best.sort((a, b) => b.n - a.n || a.id - b.id).slice(0, 2);
  return best.map((b) => b.id);
}

/**
 * Merge a fresh draft with the previous skill.md: earlier conclusions stay while their evidence
 * is still in the material (or other chunks still support them), others are dropped, and every
 * difference is listed.
 */
export function mergeWithPrevious(draft: SkillDraft, previous: string, chunks: readonly EvidenceChunk[], view: CorpusView): { draft: SkillDraft; changes: string[] } {
  const known = new Set(chunks.map((c) => c.id));
  const { sections } = parseSkill(previous);
  const changes: string[] = [];
  let kept = 0;
  let carried = 0;
  let reanchored = 0;
  const matchedNew = new Set<Claim | Procedure>();

  for (const s of sections) {
    const key = keyOfPath(s.path);
    if (!key) continue;
    if (key === 'procedures') {
      for (const p of proceduresOf(s)) {
        const same = draft.work.procedures.find((n) => sameClaim(n.title, p.title, 0.6));
        if (same) {
          matchedNew.add(same);
          kept++;
          continue;
        }
        const steps = p.steps.map((st) => ({ ...st, anchors: st.anchors.filter((a) => known.has(a)) })).filter((st) => st.anchors.length);
        if (steps.length >= 2) {
          draft.work.procedures.push({ title: p.title, anchors: p.anchors.filter((a) => known.has(a)).length ? p.anchors.filter((a) => known.has(a)) : steps[0].anchors, steps });
          carried++;
        } else changes.push(`removed ${s.path}: ${short(p.title)} (its evidence is no longer in the material)`);
      }
      continue;
    }
    const fresh = claimsOf(draft, key);
    let carriedHere = 0;
    let recomputed = false;
    for (const line of s.lines.filter((l) => l.kind !== 'note')) {
      const same = fresh.find((n) => !matchedNew.has(n) && sameClaim(n.text, line.text));
      if (same) {
        matchedNew.add(same);
        const extra = line.anchors.filter((a) => known.has(a) && !same.anchors.includes(a));
        same.anchors = [...same.anchors, ...extra].slice(0, 4);
        kept++;
        continue;
      }
      if (RECOMPUTED.has(key)) {
        recomputed = true;
        continue;
      }
      // An earlier Systems claim about a town, a person or private life is not carried over.
      const off = key === 'systems' ? offWork(line.raw.replace(/^\s*(?:[-*]|\d+\.)\s+/, ''), line.anchors.map((a) => view.byId.get(a)?.chunk.text ?? '')) : undefined;
      if (off) {
        changes.push(`removed ${s.path}: ${short(line.text)} (not a work system: ${off.why})`);
        continue;
      }
      const resolving = line.anchors.filter((a) => known.has(a));
      const anchors = resolving.length ? resolving : support(line.text, view);
      if (anchors.length && carriedHere < MAX_CARRIED) {
        fresh.push({ text: line.text, anchors });
        matchedNew.add(fresh[fresh.length - 1]);
        carriedHere++;
        carried++;
        if (!resolving.length || resolving.length < line.anchors.length) {
          reanchored++;
          if (!resolving.length) changes.push(`re-anchored ${s.path}: ${short(line.text)} (now ${anchors.map((a) => `e:${a}`).join(', ')})`);
        }
      } else {
        const gone = line.anchors.map((a) => `e:${a}`).join(', ');
        changes.push(`removed ${s.path}: ${short(line.text)} (${gone ? `evidence ${gone} is no longer in the material` : 'no evidence anchor'})`);
      }
    }
    if (recomputed) changes.push(`updated ${s.path}: recomputed from the current material`);
  }

  const added = (path: string, text: string) => changes.push(`added ${path}: ${short(text)}`);
  for (const k of [...WORK_KEYS, ...PERSONA_KEYS]) {
    if (RECOMPUTED.has(k)) continue;
    const path = `${(WORK_KEYS as readonly string[]).includes(k) ? 'Work' : 'Persona'}/${HEADINGS[k]}`;
    for (const c of claimsOf(draft, k)) if (!matchedNew.has(c)) added(path, c.text);
  }
  for (const p of draft.work.procedures) if (!matchedNew.has(p) && !isCarried(p, sections)) added(`Work/${HEADINGS.procedures}`, p.title);
  changes.unshift(`kept ${kept + carried} earlier claims (${kept} found again in the new material, ${carried} carried over on their evidence, ${reanchored} re-anchored)`);
  return { draft, changes };
}

function isCarried(p: Procedure, sections: readonly ParsedSection[]): boolean {
  const s = sections.find((x) => x.path === `Work/${HEADINGS.procedures}`);
  return !!s?.lines.some((l) => l.kind === 'title' && l.text.replace(/\*\*/g, '').trim() === p.title);
}

function proceduresOf(s: ParsedSection): Procedure[] {
  const out: Procedure[] = [];
  let cur: Procedure | undefined;
  const title = (l: ParsedLine) => l.text.replace(/^\*\*([^*]+)\*\*.*$/, '$1').trim();
  for (const l of s.lines) {
    if (l.kind === 'title') {
      cur = { title: title(l), anchors: l.anchors, steps: [] };
      out.push(cur);
    } else if (l.kind === 'step' && cur) cur.steps.push({ text: l.text, anchors: l.anchors });
  }
  return out;
}
