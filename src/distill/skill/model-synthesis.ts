import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { CorpusView } from './corpus-view';
import type { SkillDraft } from './types';

export async function modelDraft(_view: CorpusView, draft: SkillDraft, _model: BaseChatModel, _progress: (d: number, t: number, p: string) => void): Promise<SkillDraft> {
  return draft;
}
