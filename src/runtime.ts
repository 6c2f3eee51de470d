import type { Logger } from 'pino';
import { AvatarService } from './avatars/service';
import { createChatModel } from './answer/llm';
import { loadConfig, type Config, type ConfigOverrides } from './config/env';
import { createLogger } from './log';
import { embedderFactoryFor } from './retrieval/embedders';
import { openStateStore } from './store/sqlite-store';

export interface Runtime {
  config: Config;
  log: Logger;
  service: AvatarService;
  close(): void;
}

/** Wire config, logging, state, embedder and model together: the one place that reads the environment. */
export function createRuntime(env: NodeJS.ProcessEnv, overrides: ConfigOverrides = {}, options: { cwd?: string; isTTY?: boolean; logger?: Logger } = {}): Runtime {
  const config = loadConfig(env, overrides, options.cwd);
  const pretty = config.log.format === 'pretty' || (config.log.format === 'auto' && Boolean(options.isTTY));
  const log = options.logger ?? createLogger({ level: config.log.level, pretty, logBodies: config.log.bodies });
  const store = openStateStore(config.dataDir, { auditKey: config.env.AUDIT_HMAC_KEY?.trim() || undefined, log });
  const service = new AvatarService({
    avatarsDir: config.avatarsDir,
    dataDir: config.dataDir,
    embedders: embedderFactoryFor(config),
    store,
    model: config.llm ? createChatModel(config.llm, { ...config.modelLimits, log }) : undefined,
    log,
  });
  return {
    config,
    log,
    service,
    close() {
      service.close();
      store.close();
    },
  };
}
