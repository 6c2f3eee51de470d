import { formatAnchors } from './anchors';
import { HEADINGS, PERSONA_KEYS, WORK_KEYS, type Claim, type SkillDraft } from './types';

/** What a section with no evidence says, so a reader sees a gap and not a blank template. */
export const EMPTY_NOTE = '_Nothing in the material shows this._';

function claimLine(c: Claim, bullet = '- '): string {
  const a = formatAnchors(c.anchors);
  return `${bullet}${c.text}${a ? ` ${a}` : ''}`;
}

function list(claims: readonly Claim[]): string[] {
  return claims.length ? claims.map((c) => claimLine(c)) : [EMPTY_NOTE];
}

export function renderSkill(d: SkillDraft): string {
  const out: string[] = [`# Skill: ${d.name}`, ''];
  if (d.intro) out.push(claimLine(d.intro, ''), '');
  out.push('## Work', '');
  for (const key of WORK_KEYS) {
    if (key === 'conflicts' && !d.work.conflicts.length) continue;
    if (key === 'heuristics') {
      // Procedures print between Systems owned and Decision heuristics.
      out.push(`### ${HEADINGS.procedures}`, '');
      if (!d.work.procedures.length) out.push(EMPTY_NOTE, '');
      for (const p of d.work.procedures) {
        out.push(`**${p.title.replace(/\*/g, '')}** ${formatAnchors(p.anchors)}`.trimEnd());
        p.steps.forEach((s, i) => out.push(claimLine(s, `${i + 1}. `)));
        out.push('');
      }
    }
    out.push(`### ${HEADINGS[key]}`, '', ...list(d.work[key]), '');
  }
  out.push('## Persona', '');
  for (const key of PERSONA_KEYS) out.push(`### ${HEADINGS[key]}`, '', ...list(d.persona[key]), '');
  out.push('## Honest limits', '', ...list(d.limits), '');
  out.push('## Corrections', '');
  out.push(...(d.corrections.length ? d.corrections.map((c) => `- ${c}`) : ['_No corrections yet._']));
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
