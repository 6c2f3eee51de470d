import type { Logger } from 'pino';
import { pruneAnswerRecords } from '../jobs/answer-job';
import type { StateStore } from '../store/types';

/**
 * How long a dedupe claim lives. Keys only need to outlive platform retries (Slack retries
 * within minutes, Feishu re-pushes within hours) and the router's 30-minute stale-event gate;
 * a day is ample.
 */
export const DEDUPE_TTL_MS = 24 * 60 * 60_000;
export const PRUNE_EVERY_MS = 60 * 60_000;

/**
 * Delete expired dedupe claims, and answer-job records (progress, conversation chains) not
 * written for a day, now and then every `everyMs` (unref'd: it never keeps the process alive).
 * Returns a stop function.
 */
export function startEventPruning(
  store: Pick<StateStore, 'pruneClaims'> & Partial<Pick<StateStore, 'kvList' | 'kvDelete'>>,
  log: Logger,
  options: { everyMs?: number; answerRecordTtlMs?: number } = {},
): () => void {
  const run = (): void => {
    Promise.resolve()
      .then(() => store.pruneClaims())
      .then(
        (removed) => log.debug({ removed }, 'pruned expired dedupe keys'),
        (err: unknown) => log.warn({ err }, 'could not prune dedupe keys'),
      );
    const { kvList, kvDelete } = store;
    if (!kvList || !kvDelete) return;
    pruneAnswerRecords({ kvList: kvList.bind(store), kvDelete: kvDelete.bind(store) }, options.answerRecordTtlMs).then(
      (removed) => log.debug({ removed }, 'pruned old answer-job records'),
      (err: unknown) => log.warn({ err }, 'could not prune answer-job records'),
    );
  };
  run();
  const timer = setInterval(run, options.everyMs ?? PRUNE_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
