import type { Logger } from 'pino';
import type { Platform } from '../corpus/types';
import { answerJobId, readAnswerProgress, saveAnswerProgress, type AnswerJob } from '../jobs/answer-job';
import type { JobHandler, JobQueue } from '../jobs/types';
import type { StateStore } from '../store/types';
import type { RouteContext } from './middleware';
import type { ChatRouter } from './router';
import { placeholderResponder } from './commands';
import type { ChatTransport } from './types';

const WORKER_PLATFORMS: readonly Platform[] = ['slack', 'lark'];

/** Attempts of an answer job: a worker that dies mid-answer is replaced twice before the event is given up. */
const ANSWER_ATTEMPTS = 3;

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
    const job: AnswerJob = { event: ctx.event, target: ctx.target, args: ctx.args, lang: ctx.lang, avatar: ctx.avatar as string };
    await queue.enqueue('answer', job, { id: answerJobId(ctx.event), attempts: ANSWER_ATTEMPTS, backoffMs: 500 });
    return true;
  };
}

/** Finds the transport of the app that received an event (one per app, created once by the worker). */
export type TransportFinder = (platform: string, appId: string) => ChatTransport | undefined;

/**
 * The worker's `answer` handler. Progress is recorded per event in the state store: the
 * placeholder once posted, then `answered`. A run after a crash or a throw reuses the
 * placeholder (the answer replaces it) and a run after the answer went out does nothing.
 */
export function answerHandler(router: ChatRouter, transportFor: TransportFinder, store: StateStore, log: Logger): JobHandler<AnswerJob> {
  return async (job) => {
    const { event } = job.data;
    const progress = await readAnswerProgress(store, event.eventId);
    if (progress.answered) {
      log.info({ event_id: event.eventId, attempt: job.attempt }, 'answer job: already answered, nothing to do');
      return { skipped: true };
    }
    const transport = transportFor(event.platform, event.appId);
    if (!transport) throw new Error(`answer job ${job.id}: no ${event.platform} app "${event.appId}" configured on this worker`);
    // The placeholder and the answered mark are recorded as they go out; drafts in between are not.
    const respond = placeholderResponder(transport, job.data.target, {
      placeholder: progress.placeholder,
      posted: (placeholder) => saveAnswerProgress(store, event.eventId, { placeholder }),
      replaced: (ref) => saveAnswerProgress(store, event.eventId, { placeholder: ref, answered: true }),
    });
    await router.answerHandedOff(job.data, transport, respond);
    return { answered: true };
  };
}
