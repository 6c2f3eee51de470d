import crypto from 'node:crypto';
import type { Answer } from '../../answer/types';
import type { ChatTransport, MessageRef, Reply, ReplyTarget } from '../../chat/types';

/** One thing the router showed for an event: a post, or an update of an earlier post (the placeholder). */
export interface Shown {
  messageId: string;
  reply: Reply;
}

/**
 * The playground's one transport: what the router would post in a chat is kept by the event it
 * answers (the reply target's origin), for the HTTP request of that event to take; a streaming
 * request also watches it as it happens (status, drafts, the answer).
 */
export class PlaygroundTransport implements ChatTransport {
  readonly platform = 'playground' as const;
  /** The page takes drafts often: it only repaints a message. */
  readonly draftIntervalMs = 50;
  private readonly replies = new Map<string, Map<string, Reply>>();
  private readonly watchers = new Map<string, (shown: Shown) => void>();

  async post(target: ReplyTarget, reply: Reply): Promise<MessageRef> {
    const ref = { ...target, messageId: crypto.randomUUID() };
    this.keep(target, ref.messageId, reply);
    return ref;
  }

  async update(ref: MessageRef, reply: Reply): Promise<void> {
    this.keep(ref, ref.messageId, reply);
  }

  /** Call `fn` with everything shown for `eventId` from now on; returns the way to stop. */
  watch(eventId: string, fn: (shown: Shown) => void): () => void {
    this.watchers.set(eventId, fn);
    return () => {
      if (this.watchers.get(eventId) === fn) this.watchers.delete(eventId);
    };
  }

  private keep(target: ReplyTarget, messageId: string, reply: Reply): void {
    const eventId = target.origin?.eventId;
    if (!eventId) return;
    let replies = this.replies.get(eventId);
    if (!replies) this.replies.set(eventId, (replies = new Map()));
    replies.set(messageId, reply);
    this.watchers.get(eventId)?.({ messageId, reply });
  }

  /**
   * What was shown for `eventId` (and forget it): every answer in the order posted (a meeting
   * posts one per avatar), the last as `answer` with its message id, the notices, the first error code.
   */
  take(eventId: string): { answer?: Answer; ref?: string; answers: { answer: Answer; ref: string }[]; notices: string[]; code?: string; empty: boolean } {
    const replies = this.replies.get(eventId) ?? new Map<string, Reply>();
    this.replies.delete(eventId);
    const answers: { answer: Answer; ref: string }[] = [];
    let code: string | undefined;
    const notices: string[] = [];
    for (const [id, r] of replies) {
      if (r.kind === 'answer') answers.push({ answer: r.answer, ref: id });
      else if (r.kind === 'notice') {
        notices.push(r.text);
        code ??= r.errorCode;
      } else if (r.kind === 'consent') notices.push(r.text);
    }
    const last = answers[answers.length - 1];
    return { answer: last?.answer, ref: last?.ref, answers, notices, code, empty: replies.size === 0 };
  }
}
