import { AIMessage, HumanMessage, SystemMessage, type BaseMessage } from '@langchain/core/messages';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { ChatOpenAI } from '@langchain/openai';
import type { ModelConfig } from '../config/env';
import { UnderstudyError } from '../errors';
import type { PromptMessage } from './prompt';

/** ChatOpenAI against any OpenAI-compatible endpoint (OpenAI, DeepSeek, Qwen, Ollama, vLLM). */
export function createChatModel(cfg: ModelConfig, options: { timeoutMs?: number; maxRetries?: number } = {}): ChatOpenAI {
  return new ChatOpenAI({
    model: cfg.model,
    apiKey: cfg.apiKey ?? 'not-needed',
    temperature: 0.2,
    streaming: true,
    maxRetries: options.maxRetries ?? 2,
    timeout: options.timeoutMs ?? 60_000,
    configuration: cfg.baseURL ? { baseURL: cfg.baseURL } : undefined,
  });
}

export function toLangChain(messages: PromptMessage[]): BaseMessage[] {
  return messages.map((m) => (m.role === 'system' ? new SystemMessage(m.content) : m.role === 'user' ? new HumanMessage(m.content) : new AIMessage(m.content)));
}

/** Stream a completion, handing each piece to `onToken`, and return the whole text. */
export async function generate(model: BaseChatModel, messages: PromptMessage[], onToken?: (t: string) => void): Promise<string> {
  let text = '';
  try {
    const stream = await model.stream(toLangChain(messages));
    for await (const chunk of stream) {
      const piece = typeof chunk.content === 'string' ? chunk.content : chunk.content.map((c) => ('text' in c ? String(c.text) : '')).join('');
      if (piece) {
        text += piece;
        onToken?.(piece);
      }
    }
  } catch (err) {
    throw new UnderstudyError('MODEL_FAILED', `the language model call failed: ${(err as Error).message}`, { cause: err });
  }
  return text.trim();
}

/** The model's name for `Answer.model`. */
export function modelName(model: BaseChatModel): string {
  const m = model as unknown as { model?: string; modelName?: string };
  return m.model ?? m.modelName ?? model._llmType();
}
