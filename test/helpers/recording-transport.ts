import type { ChatEvent, ChatTransport, MessageRef, Reply, ReplyTarget } from '../../src/chat/types';

/** A transport that records what the core asked it to show (the port's test double). */
export class RecordingTransport implements ChatTransport {
  readonly platform = 'slack' as const;
  readonly posts: { target: ReplyTarget; reply: Reply; ref: MessageRef }[] = [];
  readonly updates: { ref: MessageRef; reply: Reply }[] = [];
  private n = 0;
  /** What is visible in the chat, in order: an update replaces its message in place. */
  private readonly visible: { ref: MessageRef; reply: Reply }[] = [];

  async post(target: ReplyTarget, reply: Reply): Promise<MessageRef> {
    const ref = { channelId: target.channelId, messageId: `m${++this.n}`, threadId: target.threadId };
    this.posts.push({ target, reply, ref });
    this.visible.push({ ref, reply });
    return ref;
  }

  async update(ref: MessageRef, reply: Reply): Promise<void> {
    this.updates.push({ ref, reply });
    const slot = this.visible.find((v) => v.ref.messageId === ref.messageId);
    if (slot) slot.reply = reply;
  }

  /** Everything shown, in order: posts and updates (an update replaces a placeholder). */
  shown(): Reply[] {
    return this.visible.map((v) => v.reply).filter((r) => r.kind !== 'status');
  }

  texts(): string[] {
    return this.shown().map((r) => (r.kind === 'answer' ? `${r.answer.disclosure}\n${r.answer.text}` : r.text));
  }
}

let seq = 0;
export function dmEvent(text: string, extra: Partial<ChatEvent> = {}): ChatEvent {
  seq++;
  return {
    eventId: `Ev${seq}`,
    platform: 'slack',
    appId: 'A_HUB',
    workspaceId: 'T1',
    channelId: 'D1',
    channelType: 'dm',
    messageId: `1700000000.${String(seq).padStart(6, '0')}`,
    userId: 'U1',
    text,
    mentioned: false,
    mentions: [],
    kind: 'message',
    sentAt: Date.now(),
    ...extra,
  };
}
