import { OpenAIEmbeddings } from '@langchain/openai';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { ModelConfig } from '../config/env';
import { UnderstudyError } from '../errors';
import type { QueryRewriter } from './rewrite';
import { useLiteEncoder, type SentenceEncoder } from './semantic';
import { DEFAULT_LOCAL_DIMENSIONS, LocalEmbedder, LOCAL_EMBEDDER_VERSION, type IdfLookup } from './local-embedder';

/** What an index needs from an embedder: a stable identity and float vectors. */
export interface IndexEmbedder {
  readonly id: string;
  embedDocuments(texts: string[]): Promise<Float32Array[]>;
  embedQuery(text: string): Promise<Float32Array>;
}

/** Builds the embedder for an index; the local one takes IDF weights from the avatar's corpus. */
export interface EmbedderFactory {
  readonly id: string;
  create(idf: IdfLookup): IndexEmbedder;
  /**
   * The offline semantic layer (USE lite), built in the background beside the index and fused
   * once ready; absent = off. A model embedder makes it unnecessary.
   */
  readonly semantic?: SemanticProvider;
  /** With a chat model: extra phrasings of each question, searched and fused. */
  readonly rewriter?: QueryRewriter;
}

export interface SemanticProvider {
  encoder(): Promise<SentenceEncoder>;
  /**
   * Build as soon as an index loads (long-running `serve`). Otherwise one-shot commands use the
   * cached layer if there is one and only `semanticReady()` (eval) builds it.
   */
  background: boolean;
}

export function localEmbedderFactory(dimensions = DEFAULT_LOCAL_DIMENSIONS, semantic?: SemanticProvider): EmbedderFactory {
  return {
    id: `${LOCAL_EMBEDDER_VERSION}:${dimensions}`,
    semantic,
    create(idf) {
      const e = new LocalEmbedder({ dimensions, idf });
      return {
        id: e.id,
        embedDocuments: async (texts) => texts.map((t) => e.embed(t)),
        embedQuery: async (text) => e.embed(text),
      };
    },
  };
}

/** Any LangChain embeddings (OpenAIEmbeddings in production, a fake in tests). */
export function langchainEmbedderFactory(id: string, embeddings: EmbeddingsInterface): EmbedderFactory {
  const wrapped: IndexEmbedder = {
    id,
    async embedDocuments(texts) {
      if (texts.length === 0) return [];
      try {
        return (await embeddings.embedDocuments(texts)).map((v) => Float32Array.from(v));
      } catch (err) {
        throw new UnderstudyError('MODEL_FAILED', `embedding ${texts.length} chunks with ${id} failed: ${(err as Error).message}`, { cause: err });
      }
    },
    async embedQuery(text) {
      try {
        return Float32Array.from(await embeddings.embedQuery(text));
      } catch (err) {
        throw new UnderstudyError('MODEL_FAILED', `embedding the question with ${id} failed: ${(err as Error).message}`, { cause: err });
      }
    },
  };
  return { id, create: () => wrapped };
}

export function openAiEmbedderFactory(model: ModelConfig): EmbedderFactory {
  const embeddings = new OpenAIEmbeddings({
    model: model.model,
    apiKey: model.apiKey ?? 'not-needed',
    maxRetries: 2,
    batchSize: 256,
    configuration: model.baseURL ? { baseURL: model.baseURL } : undefined,
  });
  return langchainEmbedderFactory(`openai:${model.model}`, embeddings);
}

/** The runtime's choice: the model's embeddings when configured, else local vectors plus USE lite unless `semantic` is false. */
export function embedderFactoryFor(
  config: { embeddings?: ModelConfig; semantic?: boolean },
  options: { semanticInBackground?: boolean; rewriter?: QueryRewriter } = {},
): EmbedderFactory {
  const base = config.embeddings
    ? openAiEmbedderFactory(config.embeddings)
    : localEmbedderFactory(DEFAULT_LOCAL_DIMENSIONS, config.semantic === false ? undefined : { encoder: useLiteEncoder, background: Boolean(options.semanticInBackground) });
  return options.rewriter ? { ...base, rewriter: options.rewriter } : base;
}
