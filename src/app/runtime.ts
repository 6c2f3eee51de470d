import path from 'node:path';
import type { Logger } from 'pino';
import { createChatModel } from '../answer/llm';
import { loadConfig, type Config, type ConfigOverrides } from '../config/env';
import { createLogger } from '../log';
import type { JobQueue } from '../jobs/types';
import { embedderFactoryFor } from '../retrieval/embedders';
import { chatRewriter } from '../retrieval/rewrite';
import { KEY_FILE } from '../store/audit-chain';
import { PendingStateStore } from '../store/pending-store';
import { openProductionStateStore, PG_ANCHOR_FILE } from '../store/production-store';
import { openStateStore } from '../store/sqlite-store';
import type { StateStore } from '../store/types';
import { mkdirPrivate } from '../util/fs-atomic';
import { AvatarService } from './avatar-service';

export interface Runtime {
  config: Config;
  log: Logger;
  service: AvatarService;
  /**
   * Resolves once the state store is reachable and migrated: at once for SQLite; in production
   * mode after PostgreSQL and Redis have answered, else it rejects naming DATABASE_URL or REDIS_URL.
   */
  ready(): Promise<void>;
  /**
   * Set by `serve --role web` (production mode): long work started from chat (summaries,
   * distillations) is enqueued here for the workers instead of running in this process.
   */
  jobs?: JobQueue;
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
  const store = openConfiguredStore(config, log);
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
  // Index announcements between replicas (index-watch.ts) are serve's: a one-shot command opens no subscriber.
  return {
    config,
    log,
    service,
    async ready() {
      if (store instanceof PendingStateStore) await store.ready();
    },
    async close() {
      service.close();
      await store.close();
    },
  };
}

/**
 * Production mode (DATABASE_URL and REDIS_URL): PostgreSQL + Redis, still connecting when this
 * returns (Runtime.ready). Otherwise the embedded SQLite file in the data dir, open at once.
 */
function openConfiguredStore(config: Config, log: Logger): StateStore {
  const auditKey = config.env.AUDIT_HMAC_KEY?.trim() || undefined;
  if (!config.databaseUrl || !config.redisUrl) return openStateStore(config.dataDir, { auditKey, log });
  // Without AUDIT_HMAC_KEY the audit key file lives in the data dir, which replicas share.
  mkdirPrivate(config.dataDir);
  return new PendingStateStore(
    openProductionStateStore({
      databaseUrl: config.databaseUrl,
      redisUrl: config.redisUrl,
      auditKey,
      keyFile: path.join(config.dataDir, KEY_FILE),
      anchorFile: path.join(config.dataDir, PG_ANCHOR_FILE),
      log,
    }),
  );
}
