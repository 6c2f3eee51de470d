import { FILLER } from './patterns';
import { parseSkill, type ParsedLine, type ParsedSection } from './parse';
import { isSpecific } from './specificity';
import { offWork } from './work-context';
import { PF_SECTIONS } from './public-figure';
import { HEADINGS, PERSONA_KEYS, WORK_KEYS, type QualityReport, type SectionQuality } from './types';

export const REQUIRED_SECTIONS = [
  ...['responsibilities', 'systems', 'procedures', 'heuristics', 'gotchas', 'whoToAsk'].map((k) => `Work/${HEADINGS[k as keyof typeof HEADINGS]}`),
  ...PERSONA_KEYS.map((k) => `Persona/${HEADINGS[k]}`),
  'Honest limits',
  'Corrections',
];

// Sections that state what is missing or what the subject said: they need no evidence anchors.
const EXEMPT = new Set(['Honest limits', 'Corrections']);
const CLAIM_SECTIONS = new Set([...WORK_KEYS.map((k) => `Work/${HEADINGS[k]}`), `Work/${HEADINGS.procedures}`, ...PERSONA_KEYS.map((k) => `Persona/${HEADINGS[k]}`), ...PF_SECTIONS]);
const COLLEAGUE_SECTIONS = new Set([...WORK_KEYS.map((k) => `Work/${HEADINGS[k]}`), `Work/${HEADINGS.procedures}`, ...PERSONA_KEYS.map((k) => `Persona/${HEADINGS[k]}`)]);
/** Sections only a public figure's skill has: their presence says which profile to check against. */
const PF_ONLY = PF_SECTIONS.filter((p) => !COLLEAGUE_SECTIONS.has(p));
const PF_REQUIRED = [...PF_SECTIONS, 'Honest limits', 'Corrections'];

/** Every filler phrase in a claim. */
function fillerIn(text: string): string[] {
  const out: string[] = [];
  for (const re of FILLER) {
    const m = text.match(re);
    if (m) out.push(m[0]);
  }
  return out;
}

/** The text of an evidence chunk, when the caller has the index (skill check does). */
export type EvidenceText = (id: number) => string | undefined;

/** `ideas`: a public figure's skill, whose claims are ideas and arguments: anchored, but they need not name numbers or systems. */
function assess(s: ParsedSection, known: ReadonlySet<number>, unresolved: Set<number>, evidence?: EvidenceText, ideas = false): SectionQuality {
  const claims = s.lines.filter((l) => l.kind !== 'note');
  const anchors = claims.reduce((n, l) => n + l.anchors.length, 0);
  const anchored = claims.filter((l) => l.anchors.length > 0).length;
  const specific = claims.filter((l) => isSpecific(l.text)).length;
  const bad = [...new Set(claims.flatMap((l) => l.anchors).filter((a) => !known.has(a)))];
  for (const a of bad) unresolved.add(a);
  const perClaim = claims.map((l) => fillerIn(l.text));
  const fillers = perClaim.flat();
  const fillerClaims = perClaim.filter((f) => f.length > 0).length;
  const q: SectionQuality = {
    section: s.path,
    claims: claims.length,
    anchors,
    anchorsPerClaim: claims.length ? Math.round((anchors / claims.length) * 100) / 100 : 0,
    specificity: claims.length ? Math.round((specific / claims.length) * 100) / 100 : 0,
    hollow: false,
  };
  const reasons: string[] = [];
  const exempt = EXEMPT.has(s.path);
  if (!exempt && claims.length > 0 && anchors === 0) reasons.push('no evidence anchors');
  else if (!exempt && claims.length > 0 && anchored / claims.length < 0.5) reasons.push(`${claims.length - anchored} of ${claims.length} claims have no anchor`);
  if (bad.length) reasons.push(`anchors that resolve to no evidence: ${bad.slice(0, 5).map((a) => `e:${a}`).join(', ')}${bad.length > 5 ? '…' : ''}`);
  if (!exempt && fillerClaims && (fillerClaims >= 2 || fillerClaims / claims.length >= 1 / 3)) {
    reasons.push(`generic filler (${[...new Set(fillers)].slice(0, 5).map((f) => `“${f}”`).join(', ')})`);
  }
  if (s.path === `Work/${HEADINGS.systems}`) {
    const off = offWorkSystems(claims, evidence);
    if (off.length && (off.length >= 2 || off.length / claims.length >= 1 / 3)) reasons.push(`not work systems: ${off.slice(0, 6).join(', ')}${off.length > 6 ? '…' : ''}`);
  }
  if (!exempt && !ideas && s.path.startsWith('Work/') && claims.length >= 3 && q.specificity < 0.2) reasons.push(`few specifics: ${specific} of ${claims.length} claims name a number, command, system or date`);
  if (reasons.length) {
    q.hollow = true;
    q.reason = reasons.join('; ');
  } else if (!claims.length) {
    q.reason = s.lines.some((l) => l.kind === 'note') ? 'declared empty: the material shows nothing here' : 'empty';
  }
  return q;
}

/**
 * Systems claims that name a place, a person or a private matter rather than something of the
 * job, judged from the claim's own words and, when given, the evidence it anchors.
 */
function offWorkSystems(claims: readonly ParsedLine[], evidence?: EvidenceText): string[] {
  const out: string[] = [];
  for (const c of claims) {
    const off = offWork(c.raw.replace(/^\s*(?:[-*]|\d+\.)\s+/, ''), c.anchors.map((a) => evidence?.(a)).filter((t): t is string => Boolean(t)));
    if (off) out.push(`${off.name} (${off.why})`);
  }
  return out;
}

/**
 * Quality of a skill.md: anchors and specifics per section, and whether any section is hollow
 * (generic filler, nothing anchored, or anchors that point at nothing).
 */
export function checkSkill(markdown: string, knownEvidence: ReadonlySet<number>, evidence?: EvidenceText): QualityReport {
  const { title, sections } = parseSkill(markdown);
  const warnings: string[] = [];
  const unresolved = new Set<number>();
  if (!/^Skill:/.test(title)) warnings.push('the title is not "# Skill: <name>"');
  const report: SectionQuality[] = [];
  const present = new Set(sections.map((s) => s.path));
  const publicFigure = PF_ONLY.some((p) => present.has(p));
  for (const s of sections) {
    // A heading with subsections ("## Work") holds no claims itself.
    if (sections.some((o) => o.path.startsWith(`${s.path}/`)) && s.lines.length === 0) continue;
    const q = assess(s.path ? s : { ...s, path: '(preamble)' }, knownEvidence, unresolved, evidence, publicFigure);
    // The intro and headings of our own (Work, Persona) only fail on anchors that point at nothing.
    if (!CLAIM_SECTIONS.has(s.path) && !EXEMPT.has(s.path) && q.hollow && !/resolve to no evidence/.test(q.reason ?? '')) {
      q.hollow = false;
      q.reason = undefined;
    }
    if (!s.path && !q.claims) continue;
    report.push(q);
    if (q.hollow) warnings.push(`${s.path}: hollow: ${q.reason}`);
    else if (q.reason && CLAIM_SECTIONS.has(s.path)) warnings.push(`${s.path}: ${q.reason}`);
  }
  // A public figure's skill (public-figure.ts) has its own sections.
  const required = publicFigure ? PF_REQUIRED : REQUIRED_SECTIONS;
  for (const r of required) if (!present.has(r)) warnings.push(`${r}: missing section`);
  const claimSections = report.filter((q) => CLAIM_SECTIONS.has(q.section));
  const totalClaims = claimSections.reduce((n, q) => n + q.claims, 0);
  if (!totalClaims) warnings.push('no anchored claims in Work or Persona: the skill says nothing checkable');
  return {
    sections: report,
    warnings,
    hollow: report.some((q) => q.hollow) || totalClaims === 0,
    unresolvedAnchors: [...unresolved].sort((a, b) => a - b),
  };
}
