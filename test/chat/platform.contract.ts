import { APPROVE } from '../../src/distill/chat-feature';
import type { ChatRouter } from '../../src/chat/router';
import type { ChatAction, ChatTransport, MessageRef, Reply, ReplyTarget } from '../../src/chat/types';
import type { StateStore } from '../../src/store/types';

/**
 * The platform contract: what every chat platform (Slack, Feishu, the web playground, the
 * recording fake) must do for the core, checked by one suite. Each implementation provides a
 * driver that speaks its own wire format and reports what the platform showed in neutral terms.
 */

/** Something the platform showed: a new message at a place, a message changed in place, or a private one. */
export interface Shown {
  op: 'post' | 'update' | 'ephemeral';
  /** `channel/thread` of a post or private message (`-` for no thread); unset for updates. */
  place?: string;
  /** For a private message, the only user who sees it. */
  to?: string;
  text: string;
}

// `any[]`: the constructor shape TypeScript requires of a mixin's base.
type TransportClass = new (...args: any[]) => ChatTransport;

/**
 * A transport class that also records what it showed, in order, and can be told to fail: for
 * drivers whose platform is the transport itself (the recording fake, the playground).
 */
export function recorded<B extends TransportClass>(Base: B) {
  return class extends Base {
    readonly shownLog: Shown[] = [];
    failing = false;

    override async post(target: ReplyTarget, reply: Reply): Promise<MessageRef> {
      if (this.failing) throw new Error('post failed (contract test)');
      this.shownLog.push(shownPost(target, reply));
      return super.post(target, reply);
    }

    override async update(ref: MessageRef, reply: Reply): Promise<void> {
      if (this.failing) throw new Error('update failed (contract test)');
      // Drafts are the answer being written in the placeholder's place (the streaming tests check
      // them); the contract is about what the message finally shows.
      if (reply.kind !== 'draft') this.shownLog.push({ op: 'update', text: textOf(reply) });
      return super.update(ref, reply);
    }
  };
}

function shownPost(target: ReplyTarget, reply: Reply): Shown {
  const ephemeral = reply.kind === 'notice' && reply.ephemeral === true;
  return { op: ephemeral ? 'ephemeral' : 'post', place: `${target.channelId}/${target.threadId ?? '-'}`, to: ephemeral ? target.userId : undefined, text: textOf(reply) };
}

function textOf(reply: Reply): string {
  return reply.kind === 'answer' ? `${reply.answer.disclosure}\n${reply.answer.text}` : reply.text;
}

/** A question the driver delivered, as the platform identified it. */
export interface Question {
  /** Where its answer belongs (`channel/thread`). */
  place: string;
  /** Deliver exactly the same event again (a Slack retry, a Feishu re-push). */
  redeliver?(): Promise<void>;
}

export interface PlatformDriver {
  router: ChatRouter;
  store: StateStore;
  /** The asker's platform user id. */
  user: string;
  /** Ask the avatar `lao-zhang` (whose material covers rollbacks) where answers go into a thread. */
  ask(text: string): Promise<Question>;
  /** Run `/avatar list` where other people are present; its reply is for the asker only. */
  listAvatars(): Promise<void>;
  /** Everything the platform showed so far, in order. */
  shown(): Shown[];
  /** Press 👍 on the last answer, as the platform delivers the press. */
  pressThumbsUp?(): Promise<void>;
  /** Press Approve on a consent card carrying `id`. */
  pressApprove?(id: string): Promise<void>;
  /** Make posting fail (the platform answers with an error) until `restorePosts`. */
  failPosts(): void;
  restorePosts(): void;
  /** Error-level log lines so far. */
  errors(): Record<string, unknown>[];
  idle(): Promise<void>;
  close(): Promise<void>;
}

const PLACEHOLDER = /looking through the material|正在查阅资料/;
/** Every answer says it comes from a digital avatar. */
const ANSWER = /digital avatar|数字分身/i;

/** Run the contract against one platform. */
export function platformContract(name: string, start: () => Promise<PlatformDriver>): void {
  describe(`platform contract: ${name}`, () => {
    let d: PlatformDriver;
    beforeEach(async () => {
      d = await start();
    });
    afterEach(async () => {
      await d?.close();
    });

    /** What was shown from `from` on: the placeholder's post, and what replaced it. */
    function answerTo(q: Question, from: number): { posts: Shown[]; updates: Shown[] } {
      const shown = d.shown().slice(from);
      return { posts: shown.filter((s) => s.op === 'post' && s.place === q.place), updates: shown.filter((s) => s.op === 'update') };
    }

    it('answers a question with a placeholder first, then the answer in its place (the thread)', async () => {
      const q = await d.ask('how do I roll back billing-gateway?');
      await d.idle();
      const { posts, updates } = answerTo(q, 0);
      expect(posts).toHaveLength(1);
      expect(posts[0].text).toMatch(PLACEHOLDER);
      expect(d.shown()[0]).toEqual(posts[0]);
      expect(updates).toHaveLength(1);
      expect(updates[0].text).toMatch(ANSWER);
      expect(updates[0].text).not.toMatch(PLACEHOLDER);
      // Nothing went anywhere else.
      expect(d.shown().filter((s) => s.op === 'post' && s.place !== q.place)).toEqual([]);
    });

    it('answers a re-delivered event once', async () => {
      const q = await d.ask('how do I roll back billing-gateway?');
      if (!q.redeliver) return; // Every playground request is a new question: nothing re-delivers it.
      await q.redeliver();
      await d.idle();
      await q.redeliver();
      await d.idle();
      const { posts, updates } = answerTo(q, 0);
      expect(posts).toHaveLength(1);
      expect(updates).toHaveLength(1);
    });

    it('shows a private notice to the asker only', async () => {
      await d.listAvatars();
      await d.idle();
      const shown = d.shown();
      expect(shown.filter((s) => s.op !== 'ephemeral')).toEqual([]);
      expect(shown).toHaveLength(1);
      expect(shown[0]).toMatchObject({ op: 'ephemeral', to: d.user });
      expect(shown[0].text).toMatch(/lao-zhang/);
    });

    it('hands a thumbs-up to the core feedback action', async () => {
      if (!d.pressThumbsUp) return; // The web playground shows no buttons.
      await d.ask('how do I roll back billing-gateway?');
      await d.idle();
      await d.pressThumbsUp();
      await d.idle();
      const feedback = await d.store.listFeedback('lao-zhang');
      expect(feedback).toHaveLength(1);
      expect(feedback[0]).toMatchObject({ kind: 'up', userId: expect.stringMatching(new RegExp(`:${d.user}$`)) });
    });

    it('hands a consent Approve to the core consent action', async () => {
      if (!d.pressApprove) return;
      const seen: ChatAction[] = [];
      const approve = d.router.actions.get(APPROVE);
      d.router.actions.set(APPROVE, async (action) => {
        seen.push(action);
      });
      try {
        await d.pressApprove('CONSENT-contract');
        await d.idle();
      } finally {
        if (approve) d.router.actions.set(APPROVE, approve);
      }
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ actionId: APPROVE, value: 'CONSENT-contract', userId: d.user });
    });

    it('logs a failed post and keeps answering', async () => {
      d.failPosts();
      await d.ask('how do I roll back billing-gateway?');
      await d.idle();
      expect(d.errors().length).toBeGreaterThan(0);
      expect(d.errors().some((l) => l.err !== undefined)).toBe(true);
      d.restorePosts();
      const from = d.shown().length;
      const q = await d.ask('how do I roll back billing-gateway?');
      await d.idle();
      expect(answerTo(q, from).updates[0]?.text).toMatch(ANSWER);
    });
  });
}
