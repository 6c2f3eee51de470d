import type { ChatEvent, MessageRef, ReplyTarget } from '../chat/types';
import type { StateStore } from '../store/types';

/**
 * An `answer` job: an event whose gates a web replica ran (ignore bots, dedupe, stale, rate
 * limit, avatar, access, status), answered by a worker. Its job id is the event's dedupe key, so
 * a second enqueue of the same event adds nothing.
 */
export interface AnswerJob {
  event: ChatEvent;
  target: ReplyTarget;
  /** The question (the text after an avatar's name has been taken off). */
  args: string;
  lang: 'zh' | 'en';
  /** The avatar resolveAvatar settled on. */
  avatar: string;
  /**
   * The job of the question handed off before this one in the same conversation: a worker
   * answers this one only once that one is finished (or after ORDER_WAIT_MS), whichever
   * worker runs it, so the conversation's answers come in the order its questions did.
   */
  after?: string;
  /**
   * The owner of the event's durable dedupe claim, when the web replica claimed the event in
   * Redis alone (AckPaths): the worker takes the PostgreSQL keys for it before answering, and
   * skips the event when another owner holds them. Absent: the web replica took them itself.
   */
  claim?: string;
}

/**
 * How far an answer got, kept in the state store per event id, so a job run again (its worker
 * died, or it threw) updates the placeholder it already posted and posts no second answer.
 * Deleted once the queue has the job as completed; what a crash leaves is pruned by age.
 */
export interface AnswerProgress {
  /**
   * When a run set out to post the placeholder. Written before the post, so a run after a crash
   * between the post and saving `placeholder` knows one may be out and posts no second one.
   */
  posting?: number;
  placeholder?: MessageRef;
  /** The answer (or the failure notice) is out: a later run does nothing. */
  answered?: boolean;
  /**
   * A background job's replies (a summary's "Reading…"), kept under the job's id by a digest of
   * their text: null once a run set out to post one, the message once posted. A run after a
   * crash posts none of them again (jobResponder).
   */
  replies?: Record<string, MessageRef | null>;
  /** Last written (ms since epoch), for pruning. */
  at?: number;
}

const PROGRESS = 'answer_progress';
/** Per conversation: the last answer job handed off, `{ job, at }`. */
const CHAIN = 'answer_chain';

/** How long a worker waits for the question before this one in its conversation; then it answers all the same. */
export const ORDER_WAIT_MS = 120_000;
/** Progress records and conversation chains older than this are pruned (the dedupe claims live as long). */
export const ANSWER_RECORD_TTL_MS = 24 * 60 * 60_000;

/** The job id of an event's answer: its dedupe key (the dedupe gate's claim key). */
export function answerJobId(event: Pick<ChatEvent, 'platform' | 'eventId'>): string {
  return `${event.platform}:event:${event.eventId}`;
}

export async function readAnswerProgress(store: StateStore, eventId: string): Promise<AnswerProgress> {
  return (await store.kvGet<AnswerProgress>(PROGRESS, eventId)) ?? {};
}

export async function saveAnswerProgress(store: StateStore, eventId: string, progress: AnswerProgress): Promise<void> {
  await store.kvSet<AnswerProgress>(PROGRESS, eventId, { ...progress, at: Date.now() });
}

/** The answer's job is recorded as completed by the queue (which keeps its id): its progress is no longer needed. */
export async function forgetAnswerProgress(store: StateStore, eventId: string): Promise<void> {
  await store.kvDelete(PROGRESS, eventId);
}

interface ChainLink {
  job: string;
  at: number;
}

/**
 * Record `jobId` as the conversation's latest answer job and answer the one before it (if it
 * was handed off within ORDER_WAIT_MS), under the conversation's lock so that two web replicas
 * receiving questions of one conversation at once still make one chain. In production mode, one
 * Redis script instead (AckPaths.chain: atomic, one round trip; the link expires after
 * ORDER_WAIT_MS), and the lock and PostgreSQL while Redis does not answer.
 */
export async function chainAnswer(store: StateStore, conversation: string, jobId: string, now = Date.now()): Promise<string | undefined> {
  if (store.ackPaths) {
    try {
      return await store.ackPaths.chain(`${CHAIN}:${conversation}`, jobId, now, ORDER_WAIT_MS, ORDER_WAIT_MS);
    } catch {
      // Redis does not answer (the queue waits for it to come back): chained in PostgreSQL meanwhile, as below.
    }
  }
  return store.withLock(
    `answer-chain:${conversation}`,
    async () => {
      const before = await store.kvGet<ChainLink>(CHAIN, conversation);
      if (before?.job === jobId) return undefined;
      await store.kvSet<ChainLink>(CHAIN, conversation, { job: jobId, at: now });
      return before && now - before.at < ORDER_WAIT_MS ? before.job : undefined;
    },
    { ttlMs: 10_000 },
  );
}

/** Delete progress records and conversation chains not written for `maxAgeMs`; the number removed. */
export async function pruneAnswerRecords(store: Pick<StateStore, 'kvList' | 'kvDelete'>, maxAgeMs = ANSWER_RECORD_TTL_MS, now = Date.now()): Promise<number> {
  let removed = 0;
  for (const namespace of [PROGRESS, CHAIN]) {
    for (const { key, value } of await store.kvList<{ at?: number }>(namespace)) {
      // A record without a time is from before records had one: as old as can be.
      if (now - (value?.at ?? 0) <= maxAgeMs) continue;
      await store.kvDelete(namespace, key);
      removed++;
    }
  }
  return removed;
}
