import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Runtime } from '../app/runtime';
import type { Platform } from '../corpus/types';
import { classifyError } from '../errors';
import { readAnswerProgress, saveAnswerProgress, type AnswerProgress } from '../jobs/answer-job';
import { isLastAttempt, PermanentJobError, type JobContext, type JobQueue } from '../jobs/types';
import { silentLogger } from '../log';
import type { StateStore } from '../store/types';
import { recoverPlaceholder } from './recorded-answer';
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
 * With `store`, the job's statuses and notices are posted once across its runs (a run after a
 * crash posts no second "Reading…"): each is recorded under the job's id by a digest of its text,
 * as it is set out and once posted, and goes out with a key from both (recoverPlaceholder).
 */
export function jobResponder(transport: ChatTransport, target: ReplyTarget, job: Pick<JobContext, 'id' | 'progress'>, store?: StateStore, log: Logger = silentLogger): HandlerContext['respond'] {
  let status: MessageRef | undefined;
  let sent = 0;
  let record: Promise<AnswerProgress> | undefined;
  const remember = async (digest: string, ref: MessageRef | null): Promise<void> => {
    if (!store || !record) return;
    const r = await record;
    r.replies = { ...r.replies, [digest]: ref };
    await saveAnswerProgress(store, job.id, r);
  };
  const postOnce = async (reply: Extract<Reply, { kind: 'status' | 'notice' }>): Promise<MessageRef | undefined> => {
    if (!store) return transport.post(target, reply);
    record ??= readAnswerProgress(store, job.id);
    const digest = createHash('sha1').update(`${reply.kind}\n${reply.text}`).digest('hex').slice(0, 16);
    const key = `${job.id}#${digest}`;
    const before = (await record).replies?.[digest];
    // Posted by an earlier run: this is the one.
    if (before) return before;
    // Set out by an earlier run that died before recording it: found where the platform can look (Slack); Feishu gives it back for the same key.
    if (before === null && !(reply.kind === 'notice' && reply.ephemeral)) {
      const found = await recoverPlaceholder(transport, target, key, log);
      // Could not look (rate limit, scope): it may be out, so not a second one; a status's next reply is posted anew.
      if (found === 'unknown') return undefined;
      if (found) {
        await remember(digest, found);
        return found;
      }
    }
    await remember(digest, null);
    const ref = await transport.post(target, { ...reply, key });
    await remember(digest, ref);
    return ref;
  };
  const send = async (reply: Reply): Promise<MessageRef | undefined> => {
    sent++;
    await job.progress({ replies: sent, last: 'text' in reply ? String(reply.text).slice(0, 120) : reply.kind }).catch(() => undefined);
    if (reply.kind === 'status') {
      status = await postOnce(reply);
      return status;
    }
    if (status && !(reply.kind === 'notice' && reply.ephemeral)) {
      const ref = status;
      status = undefined;
      await transport.update(ref, reply);
      return ref;
    }
    return reply.kind === 'notice' ? postOnce(reply) : transport.post(target, reply);
  };
  // One reply at a time (a progress notice may be sent without waiting): each reads the record the one before wrote.
  let line: Promise<unknown> = Promise.resolve();
  return (reply) => {
    const next = line.then(() => send(reply));
    line = next.catch(() => undefined);
    return next;
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
