import type { Logger } from 'pino';
import { answerJobId, readAnswerProgress, saveAnswerProgress } from '../jobs/answer-job';
import type { StateStore } from '../store/types';
import { placeholderResponder, type HandlerContext } from './commands';
import type { ChatEvent, ChatTransport, MessageRef, ReplyTarget } from './types';

/**
 * `respond` for an answer that a run after a crash must finish, not repeat: an answer job on a
 * worker (answerHandler), or an answer computed in the process that acked its event (`--role
 * all`, journaled). Recorded per event as it goes out: the intent to post the placeholder, the
 * placeholder, then `answered`; so a later run updates the placeholder a killed run left (found by
 * its key when the crash came between posting and recording it) and posts no second answer.
 * Undefined when the answer is already out: nothing to do.
 */
export async function recordedResponder(
  store: StateStore,
  /** Looked up once the answer is known not to be out (a worker without the event's app throws then). */
  transportOf: () => ChatTransport,
  event: Pick<ChatEvent, 'platform' | 'eventId'>,
  target: ReplyTarget,
  log: Logger,
  options: {
    /** The placeholder's key (default: the event's answer job id). */
    key?: string;
    /**
     * A first draft (where the status is native) is keyed too: a worker's, so a retry finds it.
     * Not in place: in a Slack assistant thread a keyed draft is posted as a message that the
     * stream then replaces (deleted); in place the stream opens at once, and a kill between its
     * opening and the record of it leaves it to a second answer.
     */
    keyFirstDraft?: boolean;
  } = {},
): Promise<HandlerContext['respond'] | undefined> {
  const progress = await readAnswerProgress(store, event.eventId);
  if (progress.answered) return undefined;
  const key = options.key ?? answerJobId(event);
  const transport = transportOf();
  const recovered = progress.posting !== undefined && !progress.placeholder ? await recoverPlaceholder(transport, target, key, log) : undefined;
  const placeholder = progress.placeholder ?? (recovered === 'unknown' ? undefined : recovered);
  if (recovered && recovered !== 'unknown') await saveAnswerProgress(store, event.eventId, { placeholder });
  // Not known whether one is out: no second one, and no drafts; the answer is posted.
  const blind = recovered === 'unknown';
  let known = placeholder !== undefined;
  const respondInPlace = placeholderResponder(transport, target, {
    placeholder,
    posted: async (ref) => {
      known = true;
      await saveAnswerProgress(store, event.eventId, { placeholder: ref });
    },
    replaced: (ref) => saveAnswerProgress(store, event.eventId, { placeholder: ref, answered: true }),
  });
  return async (reply) => {
    if ((reply.kind === 'status' || reply.kind === 'draft') && !known) {
      if (blind) return undefined;
      // The intent first: a crash between the post and recording it leaves this behind.
      await saveAnswerProgress(store, event.eventId, { posting: Date.now() });
    }
    // The placeholder carries the key (Slack finds it again, Feishu gives the same message back).
    const keyed = reply.kind === 'status' || (options.keyFirstDraft === true && reply.kind === 'draft' && !known);
    return respondInPlace(keyed ? { ...reply, key } : reply);
  };
}

/**
 * The message an earlier run of a job posted with `key` and did not record (an answer's
 * placeholder, a background job's "Reading…"): found by its key where the platform can look
 * (Slack); undefined when it is not there, or when posting again with the key is itself safe
 * (Feishu gives the message back); 'unknown' when the lookup failed (it may be out: post no second one).
 */
export async function recoverPlaceholder(transport: ChatTransport, target: ReplyTarget, key: string, log: Logger): Promise<MessageRef | undefined | 'unknown'> {
  if (!transport.findPosted) {
    log.info({ job: key }, 'job: an earlier run may have posted the placeholder; posting it with the same key gives it back');
    return undefined;
  }
  try {
    const found = await transport.findPosted(target, key);
    if (found) log.info({ job: key, message: found.messageId }, 'job: adopted the placeholder an earlier run posted and did not record');
    else log.info({ job: key }, 'job: an earlier run set out to post the placeholder and did not; posting it');
    return found;
  } catch (err) {
    log.warn({ err, job: key }, 'job: an earlier run may have posted a placeholder it did not record, and it cannot be looked up; posting no second one');
    return 'unknown';
  }
}
