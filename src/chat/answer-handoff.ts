import type { Logger } from 'pino';
import type { Platform } from '../corpus/types';
import { answerJobId, chainAnswer, ORDER_WAIT_MS, readAnswerProgress, saveAnswerProgress, type AnswerJob } from '../jobs/answer-job';
import { RetryLater, type JobHandler, type JobQueue } from '../jobs/types';
import type { StateStore } from '../store/types';
import type { RouteContext } from './middleware';
import type { ChatRouter } from './router';
import { placeholderResponder } from './commands';
import { claimDurably } from './gates';
import { recordedResponder, recoverPlaceholder } from './recorded-answer';
import { t } from './i18n';
import { conversationKey, type ChatTransport, type MessageRef, type ReplyTarget } from './types';

const WORKER_PLATFORMS: readonly Platform[] = ['slack', 'lark'];

/** Attempts of an answer job: a worker that dies mid-answer is replaced twice before the event is given up. */
const ANSWER_ATTEMPTS = 3;
/** How soon a question put back to wait for the one before it in its conversation looks again. */
const ORDER_RECHECK_MS = 500;

/**
 * The web replica's last step: enqueue the answer for a worker, id = the event's dedupe key
 * (an event delivered to two replicas that both passed dedupe still makes one job). The
 * worker posts the placeholder too: every message of an answer comes from the one place that
 * records what it posted, and the web replica only verifies, acks and enqueues.
 */
export function handOffAnswers(queue: JobQueue): (ctx: RouteContext) => Promise<boolean> {
  return async (ctx) => {
    // Workers post through Slack's and Feishu's APIs; the playground and terminal answer over their own connection.
    if (!WORKER_PLATFORMS.includes(ctx.event.platform)) return false;
    const id = answerJobId(ctx.event);
    // In the conversation's turn here (arrival order), and chained to its previous question across replicas.
    const enqueue = async (): Promise<void> => {
      const after = await chainAnswer(ctx.service.store, conversationKey(ctx.event), id);
      const job: AnswerJob = { event: ctx.event, target: ctx.target, args: ctx.args, lang: ctx.lang, avatar: ctx.avatar as string, ...(after ? { after } : {}), ...(ctx.dedupeOwner ? { claim: ctx.dedupeOwner } : {}) };
      await queue.enqueue('answer', job, { id, attempts: ANSWER_ATTEMPTS, backoffMs: 500 });
    };
    await (ctx.turn ? ctx.turn.run(enqueue) : enqueue());
    return true;
  };
}

/**
 * The worker's half of a dedupe the web replica deferred (AnswerJob.claim): the event's PostgreSQL
 * keys, for the job's owner, so the same job run again keeps them and a second job for the event
 * (enqueued again after Redis forgot the event and its job) is refused.
 */
async function claimHandedOff(store: StateStore, job: AnswerJob): Promise<boolean> {
  if (!job.claim) return true;
  if (!store.ackPaths) throw new Error('an answer job deferred its dedupe claim, but this worker\'s state store has no durable claims (production mode: DATABASE_URL and REDIS_URL)');
  return claimDurably(store.ackPaths, job.event, job.claim);
}

/** Finds the transport of the app that received an event (one per app, created once by the worker). */
export type TransportFinder = (platform: string, appId: string) => ChatTransport | undefined;

/**
 * The worker's `answer` handler. Progress is recorded per event in the state store: the intent
 * to post the placeholder, the placeholder once posted, then `answered`. A run after a crash or
 * a throw reuses the placeholder (the answer replaces it), also when the crash came between
 * posting it and recording it (the placeholder is posted with the job's id as its key: Slack finds
 * it again, Feishu gives it back), and does nothing after the answer went out. With
 * `queue`, a question waits for the one before it in its conversation (AnswerJob.after) without
 * holding a worker slot: while that one is not finished, the job is put back (RetryLater) and
 * looks again every ORDER_RECHECK_MS, until `orderWaitMs` after it was handed off; then it answers.
 */
export function answerHandler(router: ChatRouter, transportFor: TransportFinder, store: StateStore, log: Logger, queue?: Pick<JobQueue, 'get'>, orderWaitMs = ORDER_WAIT_MS): JobHandler<AnswerJob> {
  return async (job) => {
    const { event } = job.data;
    // The question before this one in the conversation is answered first, whichever worker has it.
    // Looked at before anything is written: a waiting job comes back every ORDER_RECHECK_MS.
    if (job.data.after && queue) {
      const before = await queue.get(job.data.after);
      const waited = Date.now() - job.enqueuedAt;
      if (before && before.state !== 'completed' && before.state !== 'dead') {
        // Not finished: the slot goes to another job meanwhile (no attempt used).
        if (waited < orderWaitMs) throw new RetryLater(Math.min(ORDER_RECHECK_MS, orderWaitMs - waited), `waiting for ${job.data.after}, the question before this one`);
        log.warn({ event_id: event.eventId, after: job.data.after, waited_ms: waited }, 'answer job: the question before this one did not finish in time; answering anyway');
      }
    }
    if (!(await claimHandedOff(store, job.data))) {
      log.info({ event_id: event.eventId, attempt: job.attempt }, 'answer job: the event is claimed by another job (a duplicate); skipped');
      return { skipped: true };
    }
    const transportOf = (): ChatTransport => {
      const transport = transportFor(event.platform, event.appId);
      if (!transport) throw new Error(`answer job ${job.id}: no ${event.platform} app "${event.appId}" configured on this worker`);
      return transport;
    };
    // The placeholder (a status, or the first draft where the status is native) carries the job's id as its key.
    const respond = await recordedResponder(store, transportOf, event, job.data.target, log, { key: job.id, keyFirstDraft: true });
    if (!respond) {
      log.info({ event_id: event.eventId, attempt: job.attempt }, 'answer job: already answered, nothing to do');
      return { skipped: true };
    }
    await router.answerHandedOff(job.data, transportOf(), respond);
    return { answered: true };
  };
}

/**
 * An answer job the queue gave up on (its attempts used up, or its worker stopped again and
 * again): the asker is told so, in place of the placeholder when there is one (else in the
 * thread), once: the notice is recorded as the answer, and a job already answered gets none.
 */
export async function tellAnswerGivenUp(job: { id: string; data: AnswerJob }, transportFor: TransportFinder, store: StateStore, log: Logger): Promise<void> {
  const { event, target, lang } = job.data;
  const progress = await readAnswerProgress(store, event.eventId);
  if (progress.answered) return;
  const transport = transportFor(event.platform, event.appId);
  if (!transport) {
    log.warn({ job: job.id, event_id: event.eventId }, 'answer job given up, and no transport here to tell the asker');
    return;
  }
  const recovered = progress.posting !== undefined && !progress.placeholder ? await recoverPlaceholder(transport, target, job.id, log) : undefined;
  let placeholder = progress.placeholder ?? (recovered === 'unknown' ? undefined : recovered);
  // Feishu: the placeholder's own post again (same key) is the message to replace, whether or not it went out.
  if (!placeholder && progress.posting !== undefined && !transport.findPosted) placeholder = await transport.post(target, { kind: 'status', text: '…', key: job.id });
  const respond = placeholderResponder(transport, target, { placeholder, replaced: (ref) => saveAnswerProgress(store, event.eventId, { placeholder: ref, answered: true }) });
  await respond({
    kind: 'notice',
    errorCode: 'JOB_GIVEN_UP',
    text: t(lang, "I couldn't finish this answer (the worker stopped); please ask again.", '这个回答没能完成（处理它的进程停止了），请再问一次。'),
  });
  log.warn({ job: job.id, event_id: event.eventId, in_place: placeholder !== undefined }, 'answer job given up; the asker was told');
}
