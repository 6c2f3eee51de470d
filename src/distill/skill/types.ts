import type { BaseChatModel } from '@langchain/core/language_models/chat_models';

/** One piece of the subject's material, as the chunk store holds it; `id` is what `[e:N]` names. */
export interface EvidenceChunk {
  id: number;
  text: string;
  source: string;
  locator: string;
  kind: string;
  title?: string;
  date?: string;
  author?: string;
  /** Others' words around a chat message (thread context). Never quoted as the subject's. */
  context?: string;
}

export interface SkillPerson {
  name: string;
  name_en?: string;
  title: string;
  team: string;
  languages: ('zh' | 'en')[];
  pronoun?: 'he' | 'she' | 'they';
}

export interface SynthesisInput {
  person: SkillPerson;
  chunks: EvidenceChunk[];
  /** An earlier skill.md, for re-distill merges. */
  previous?: string;
  /** Approved corrections, verbatim, newest first (as src/distill/corrections.ts approvedCorrections lists them). */
  corrections?: string[];
  /** public-figure: a person known through public writing (public-figure.ts); default colleague. */
  kind?: 'colleague' | 'public-figure';
}

export interface SynthesisResult {
  markdown: string;
  /** Evidence ids used, all present in input.chunks. */
  evidence: number[];
  /** Human-readable list of what changed vs previous (added/removed/kept claims). */
  changes: string[];
  stats: { chunks: number; claims: number; anchors: number; seconds: number };
}

export interface SynthesisOptions {
  model?: BaseChatModel;
  onProgress?: (done: number, total: number, phase: string) => void;
  maxChunks?: number;
}

export interface SectionQuality {
  section: string;
  claims: number;
  anchors: number;
  anchorsPerClaim: number;
  /** Share of claims with numbers, commands, names of systems, dates. */
  specificity: number;
  hollow: boolean;
  reason?: string;
}

export interface QualityReport {
  sections: SectionQuality[];
  warnings: string[];
  hollow: boolean;
  unresolvedAnchors: number[];
}

/** One line of a skill: a statement and the evidence it rests on. */
export interface Claim {
  text: string;
  anchors: number[];
}

export interface Procedure {
  title: string;
  anchors: number[];
  steps: Claim[];
}

export const WORK_KEYS = ['responsibilities', 'systems', 'heuristics', 'gotchas', 'whoToAsk', 'conflicts'] as const;
export const PERSONA_KEYS = ['tone', 'phrases', 'languageMix', 'formality', 'greetings', 'boundaries'] as const;
export type WorkKey = (typeof WORK_KEYS)[number];
export type PersonaKey = (typeof PERSONA_KEYS)[number];
export type ClaimKey = WorkKey | PersonaKey;

/** The structured skill before rendering; every generator fills one and `renderSkill` prints it. */
export interface SkillDraft {
  name: string;
  /** One-paragraph summary under the title (who, what material, which period). */
  intro?: Claim;
  work: Record<WorkKey, Claim[]> & { procedures: Procedure[] };
  persona: Record<PersonaKey, Claim[]>;
  limits: Claim[];
  corrections: string[];
}

export function emptyDraft(name: string): SkillDraft {
  return {
    name,
    work: { responsibilities: [], systems: [], procedures: [], heuristics: [], gotchas: [], whoToAsk: [], conflicts: [] },
    persona: { tone: [], phrases: [], languageMix: [], formality: [], greetings: [], boundaries: [] },
    limits: [],
    corrections: [],
  };
}

/** Section headings, in the order they are printed. */
export const HEADINGS: Record<ClaimKey | 'procedures', string> = {
  responsibilities: 'Responsibilities',
  systems: 'Systems owned',
  procedures: 'Procedures',
  heuristics: 'Decision heuristics',
  gotchas: 'Gotchas',
  whoToAsk: 'Who to ask',
  conflicts: 'Conflicts',
  tone: 'Tone',
  phrases: 'Typical phrases',
  languageMix: 'Language mix',
  formality: 'Formality',
  greetings: 'Greetings and sign-offs',
  boundaries: 'Boundaries',
};
