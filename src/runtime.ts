import type { Logger } from 'pino';
import { AvatarService } from './app/avatar-service';
import { createChatModel } from './answer/llm';
import { loadConfig, type Config, type ConfigOverrides } from './config/env';
import { createLogger } from './log';
import { embedderFactoryFor } from './retrieval/embedders';
import { chatRewriter } from './retrieval/rewrite';
import { openStateStore } from './store/sqlite-store';

export interface Runtime {
  config: Config;
  log: Logger;
  service: AvatarService;
  /** Closes the indexes at once and the state store (a store behind a network finishes closing when the promise settles). */
  close(): Promise<void>;
}

/** Wire config, logging, state, embedder and model together: the one place that reads the environment. */
export function createRuntime(
  env: NodeJS.ProcessEnv,
  overrides: ConfigOverrides = {},
  /** semanticInBackground: build the offline semantic layer as soon as an index loads (long-running serve). */
  options: { cwd?: string; isTTY?: boolean; logger?: Logger; semanticInBackground?: boolean } = {},
): Runtime {
  const config = loadConfig(env, overrides, options.cwd);
  const pretty = config.log.format === 'pretty' || (config.log.format === 'auto' && Boolean(options.isTTY));
  const log = options.logger ?? createLogger({ level: config.log.level, pretty, logBodies: config.log.bodies });
  const store = openStateStore(config.dataDir, { auditKey: config.env.AUDIT_HMAC_KEY?.trim() || undefined, log });
  const model = config.llm ? createChatModel(config.llm, { ...config.modelLimits, log }) : undefined;
  const service = new AvatarService({
    avatarsDir: config.avatarsDir,
    dataDir: config.dataDir,
    // With a chat model and OPENAI_QUERY_REWRITE=on, retrieval also searches the model's rephrasings.
    embedders: embedderFactoryFor(config, { semanticInBackground: options.semanticInBackground, rewriter: model && config.queryRewrite ? chatRewriter(model, log) : undefined }),
    store,
    model,
    log,
    indexMemoryMb: config.indexMemoryMb,
  });
  return {
    config,
    log,
    service,
    async close() {
      service.close();
      await store.close();
    },
  };
}
