export type { EvidenceChunk, SkillPerson, SynthesisInput, SynthesisResult, SectionQuality, QualityReport, SynthesisOptions } from './types';
export { synthesizeSkill } from './synthesize';
export { checkSkill } from './quality';
export { anchorsIn } from './anchors';
