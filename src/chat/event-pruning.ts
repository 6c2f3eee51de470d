import type { Logger } from 'pino';
import type { StateStore } from '../store/types';

/**
 * Dedupe keys only need to outlive platform retries (Slack retries within minutes, Feishu
 * re-pushes within hours) and the router's 30-minute stale-event gate; a day is ample.
 */
export const DEDUPE_KEEP_MS = 24 * 60 * 60_000;
export const PRUNE_EVERY_MS = 60 * 60_000;

/** Prune the dedupe table now and then every `everyMs` (unref'd: it never keeps the process alive). Returns a stop function. */
export function startEventPruning(store: Pick<StateStore, 'pruneEvents'>, log: Logger, options: { keepMs?: number; everyMs?: number } = {}): () => void {
  const keepMs = options.keepMs ?? DEDUPE_KEEP_MS;
  // A store behind a network (an async port) may answer with a promise; both shapes are handled.
  const run = (): void => {
    Promise.resolve()
      .then(() => store.pruneEvents(keepMs))
      .then(
        (removed) => log.debug({ removed, keep_ms: keepMs }, 'pruned dedupe keys'),
        (err: unknown) => log.warn({ err }, 'could not prune dedupe keys'),
      );
  };
  run();
  const timer = setInterval(run, options.everyMs ?? PRUNE_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
