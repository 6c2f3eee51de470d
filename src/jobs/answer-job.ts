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
}

/**
 * How far an answer got, kept in the state store per event id, so a job run again (its worker
 * died, or it threw) updates the placeholder it already posted and posts no second answer.
 */
export interface AnswerProgress {
  placeholder?: MessageRef;
  /** The answer (or the failure notice) is out: a later run does nothing. */
  answered?: boolean;
}

const PROGRESS = 'answer_progress';

/** The job id of an event's answer: its dedupe key (the dedupe gate's claim key). */
export function answerJobId(event: Pick<ChatEvent, 'platform' | 'eventId'>): string {
  return `${event.platform}:event:${event.eventId}`;
}

export async function readAnswerProgress(store: StateStore, eventId: string): Promise<AnswerProgress> {
  return (await store.kvGet<AnswerProgress>(PROGRESS, eventId)) ?? {};
}

export async function saveAnswerProgress(store: StateStore, eventId: string, progress: AnswerProgress): Promise<void> {
  await store.kvSet<AnswerProgress>(PROGRESS, eventId, progress);
}
