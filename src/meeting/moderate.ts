import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { t } from '../chat/i18n';
import { classifyError } from '../errors';
import type { Lang } from '../text/lang';
import { extractiveSynthesis } from './extractive';
import { modelSynthesis } from './model-moderator';
import type { MeetingAnswer, Synthesis } from './types';

/**
 * The moderator step: with a model, one strict call over the answers; without one (or when the
 * call fails, or no avatar found anything to compare) the extractive comparison, which says so.
 */
export async function moderate(question: string, answers: MeetingAnswer[], lang: Lang, model?: BaseChatModel): Promise<Synthesis> {
  const grounded = answers.filter((a) => a.answer.grounded && a.answer.citations.length > 0);
  if (!model || grounded.length === 0) return extractiveSynthesis(question, answers, lang);
  try {
    return await modelSynthesis(model, question, answers, lang);
  } catch (err) {
    const code = classifyError(err).code;
    return extractiveSynthesis(question, answers, lang, t(lang, `The moderator model could not help this time (${code}).`, `主持用的语言模型这次没能完成（${code}）。`));
  }
}
