export type { EvidenceChunk, SkillPerson, SynthesisResult } from './types';
export { synthesizeSkill } from './synthesize';
export { checkSkill } from './quality';
export { anchorsIn } from './anchors';
