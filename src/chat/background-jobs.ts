import type { Runtime } from '../app/runtime';
import type { Platform } from '../corpus/types';
import { classifyError } from '../errors';
import { isLastAttempt, PermanentJobError, type JobContext, type JobQueue } from '../jobs/types';
import type { HandlerContext } from './commands';
import { t } from './i18n';
import type { ChatTransport, MessageRef, Reply, ReplyTarget } from './types';

/**
 * Long work started from chat (a summary, a distillation) as a queue job: a web replica in
 * production mode enqueues it (Runtime.jobs) and a worker runs it through the app's transport,
 * with the queue's retries, backoff and dead letters. Embedded and `--role all` run it in
 * process as before.
 */

/** Workers post through Slack's and Feishu's APIs; the playground and terminal work over their own connection. */
const WORKER_PLATFORMS: readonly Platform[] = ['slack', 'lark'];

/** Runs of a background job before it becomes a dead letter. */
export const BACKGROUND_ATTEMPTS = 3;
export const BACKGROUND_BACKOFF_MS = 2_000;

/** The queue to hand `platform`'s work to, when this process hands work off (serve --role web). */
export function handOffQueue(runtime: Runtime | undefined, platform: Platform): JobQueue | undefined {
  return runtime?.jobs && WORKER_PLATFORMS.includes(platform) ? runtime.jobs : undefined;
}

/**
 * `respond` for a handler run as a job: every reply is posted (a status replaced by the next
 * reply, as in process), and the queue's progress shows how many went out and the last one.
 */
export function jobResponder(transport: ChatTransport, target: ReplyTarget, job: Pick<JobContext, 'progress'>): HandlerContext['respond'] {
  let status: MessageRef | undefined;
  let sent = 0;
  return async (reply: Reply) => {
    sent++;
    await job.progress({ replies: sent, last: 'text' in reply ? String(reply.text).slice(0, 120) : reply.kind }).catch(() => undefined);
    if (reply.kind === 'status') {
      status = await transport.post(target, reply);
      return status;
    }
    if (status && !(reply.kind === 'notice' && reply.ephemeral)) {
      const ref = status;
      status = undefined;
      await transport.update(ref, reply);
      return ref;
    }
    return transport.post(target, reply);
  };
}

/**
 * After a job's handler threw: a failure no retry can help becomes a PermanentJobError (a dead
 * letter at once); on the last run the user is told, in a sentence naming the error code, that
 * the work was given up. Returns the error to throw.
 */
export async function failJob(ctx: Pick<HandlerContext, 'lang' | 'log'> & { tell(reply: Reply): Promise<unknown> }, job: Pick<JobContext, 'id' | 'attempt' | 'attempts'>, err: unknown, what: { en: string; zh: string }): Promise<Error> {
  const e = classifyError(err);
  const out = err instanceof PermanentJobError || e.retryable ? (err instanceof Error ? err : e) : new PermanentJobError(`${e.code}: ${e.message}`);
  if (!isLastAttempt(job, out)) {
    ctx.log.warn({ err, job: job.id, attempt: job.attempt, attempts: job.attempts }, `${what.en}: failed; the job will be retried`);
    return out;
  }
  ctx.log.error({ err, code: e.code, job: job.id, attempt: job.attempt }, `${what.en}: failed for good; the job is kept as a dead letter`);
  const tries = job.attempt === 1 ? '' : t(ctx.lang, ` after ${job.attempt} tries`, `（已尝试 ${job.attempt} 次）`);
  await ctx
    .tell({
      kind: 'notice',
      ephemeral: true,
      errorCode: e.code,
      text: t(ctx.lang, `Sorry, I could not ${what.en}${tries} (${e.code}). I have set it aside for the team to look at; please try again later.`, `抱歉，没能${what.zh}${tries}（${e.code}）。已留给团队排查，请稍后再试。`),
    })
    .catch((postErr: unknown) => ctx.log.warn({ err: postErr, job: job.id }, 'could not tell the user that the job failed'));
  return out;
}
