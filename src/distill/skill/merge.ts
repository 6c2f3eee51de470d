import type { CorpusView } from './corpus-view';
import type { EvidenceChunk, SkillDraft } from './types';

export function mergeWithPrevious(draft: SkillDraft, _previous: string, _chunks: readonly EvidenceChunk[], _view: CorpusView): { draft: SkillDraft; changes: string[] } {
  return { draft, changes: [] };
}
