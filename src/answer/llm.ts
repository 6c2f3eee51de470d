import { AIMessage, HumanMessage, SystemMessage, type BaseMessage } from '@langchain/core/messages';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { ChatOpenAI } from '@langchain/openai';
import type { Logger } from 'pino';
import type { ModelConfig, ModelLimits } from '../config/env';
import { attachGuard, guardOf, ModelGuard } from './model-guard';
import type { PromptMessage } from './prompt';

/** ChatOpenAI against any OpenAI-compatible endpoint (OpenAI, DeepSeek, Qwen, Ollama, vLLM). */
export function createChatModel(cfg: ModelConfig, options: Partial<ModelLimits> & { log?: Logger } = {}): ChatOpenAI {
  const model = new ChatOpenAI({
    model: cfg.model,
    apiKey: cfg.apiKey ?? 'not-needed',
    temperature: 0.2,
    streaming: true,
    // Per attempt, until the endpoint starts answering; ANSWER_TIMEOUT_MS caps an answer's attempts together.
    maxRetries: options.maxRetries ?? 1,
    timeout: options.timeoutMs ?? 15_000,
    configuration: cfg.baseURL ? { baseURL: cfg.baseURL } : undefined,
  });
  return attachGuard(
    model,
    new ModelGuard({ answerBudgetMs: options.answerBudgetMs, breakerFailures: options.breakerFailures, breakerCooldownMs: options.breakerCooldownMs, log: options.log?.child({ model: cfg.model }) }),
  );
}

export function toLangChain(messages: PromptMessage[]): BaseMessage[] {
  return messages.map((m) => (m.role === 'system' ? new SystemMessage(m.content) : m.role === 'user' ? new HumanMessage(m.content) : new AIMessage(m.content)));
}

export interface GenerateOptions {
  /**
   * A time limit for this call: `answer` is the model's answer budget (ANSWER_TIMEOUT_MS).
   * Without it only an enclosing withModelBudget() limits the call.
   */
  budget?: 'answer' | number;
}

/** Models not made by createChatModel (test doubles) get the budget, but no breaker. */
const unguarded = new ModelGuard({ breakerFailures: 0 });

/**
 * Stream a completion, handing each piece to `onToken` (never after the call was aborted), and return the whole text. Goes through
 * the model's guard: refused while its breaker is open, aborted when the budget runs out.
 */
export async function generate(model: BaseChatModel, messages: PromptMessage[], onToken?: (t: string) => void, options: GenerateOptions = {}): Promise<string> {
  const guard = guardOf(model) ?? unguarded;
  const budgetMs = options.budget === 'answer' ? guard.answerBudgetMs : options.budget;
  const text = await guard.call(async (signal) => {
    let out = '';
    const stream = await model.stream(toLangChain(messages), { signal });
    for await (const chunk of stream) {
      const piece = typeof chunk.content === 'string' ? chunk.content : chunk.content.map((c) => ('text' in c ? String(c.text) : '')).join('');
      if (piece) {
        out += piece;
        // Once the guard has given up on this call (budget, shutdown), its caller has moved on to the
        // offline answer: what the cut-off stream still delivers must not reach a draft.
        if (!signal.aborted) onToken?.(piece);
      }
    }
    // An aborted stream ends quietly in LangChain; a cut-off answer must not pass for a whole one.
    signal.throwIfAborted();
    return out;
  }, budgetMs);
  return text.trim();
}

/** The model's name for `Answer.model`. */
export function modelName(model: BaseChatModel): string {
  const m = model as unknown as { model?: string; modelName?: string };
  return m.model ?? m.modelName ?? model._llmType();
}
