import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { HistoryTurn } from '../../answer/types';
import type { ChatTransport, ChatUser, MessageRef, Reply, ReplyTarget } from '../../chat/types';
import type { StateStore } from '../../store/types';
import { renderReply, type Block } from './render';
import { SlackHistory } from './history';

/** Our blocks are built as plain objects; the Web API validates them. */
const known = (blocks: Block[]): KnownBlock[] => blocks as unknown as KnownBlock[];
import type { UnderstudyError } from '../../errors';
import { classifySlackError, slackCall } from './web-errors';

export const ASSISTANT_THREADS = 'slack-assistant-threads';

/**
 * ChatTransport over one app's WebClient, one per app for the life of the process: where a reply
 * goes and what it answers travel in each call (ReplyTarget, MessageRef), never in the transport.
 */
export class SlackTransport implements ChatTransport {
  readonly platform = 'slack' as const;

  constructor(
    private readonly client: WebClient,
    private readonly botUserId: string | undefined,
    private readonly store: StateStore,
    private readonly log: Logger,
    private readonly workspaceUrl?: string,
  ) {}

  async dm(userId: string, reply: Reply): Promise<MessageRef> {
    const res = await this.call('conversations.open', () => this.client.conversations.open({ users: userId }));
    const channel = (res.channel as { id?: string } | undefined)?.id;
    if (!channel) throw classifySlackError({ data: { error: 'channel_not_found' } }, 'conversations.open', this.log);
    return this.post({ channelId: channel }, reply);
  }

  async uploadFile(target: ReplyTarget, filename: string, data: Uint8Array, comment: string): Promise<void> {
    const file = { channel_id: target.channelId, filename, file: Buffer.from(data), initial_comment: comment };
    await this.call('files.uploadV2', () =>
      target.threadId ? this.client.filesUploadV2({ ...file, thread_ts: target.threadId }) : this.client.filesUploadV2(file),
    );
  }

  private call<T>(method: string, fn: () => Promise<T>, target?: ReplyTarget): Promise<T> {
    return slackCall(method, fn, target?.origin ? this.log.child({ event_id: target.origin.eventId }) : this.log);
  }

  async post(target: ReplyTarget, reply: Reply): Promise<MessageRef> {
    const messages = renderReply(reply, target.origin?.conversation ?? '');
    if (reply.kind === 'notice' && reply.ephemeral && target.userId) {
      for (const m of messages) {
        await this.call('chat.postEphemeral', () =>
          this.client.chat.postEphemeral({ channel: target.channelId, user: target.userId as string, text: m.text, blocks: known(m.blocks), thread_ts: target.threadId }),
        target);
      }
      return { ...target, messageId: '' };
    }
    let first: MessageRef | undefined;
    try {
      for (const m of messages) {
        const res = await this.call('chat.postMessage', () =>
          this.client.chat.postMessage({ channel: target.channelId, text: m.text, blocks: known(m.blocks), thread_ts: target.threadId, unfurl_links: false }),
        target);
        first ??= { ...target, messageId: String(res.ts ?? '') };
      }
    } catch (err) {
      if ((err as UnderstudyError).code === 'PLATFORM_NOT_IN_CHANNEL' && target.userId && !target.channelId.startsWith('D')) await this.tellInDm(target.userId, target.channelId);
      throw err;
    }
    return first as MessageRef;
  }

  /** When the bot cannot post where it was asked, say so privately and how to fix it. */
  private async tellInDm(userId: string, channelId: string): Promise<void> {
    try {
      const dm = await this.client.conversations.open({ users: userId });
      const channel = (dm.channel as { id?: string } | undefined)?.id;
      if (channel) {
        await this.client.chat.postMessage({ channel, text: `I could not post my answer in <#${channelId}>: I am not a member there. Invite me with \`/invite ${this.botUserId ? `<@${this.botUserId}>` : '@the-bot'}\` and ask again.` });
      }
    } catch (err) {
      classifySlackError(err, 'conversations.open', this.log);
    }
  }

  async update(ref: MessageRef, reply: Reply): Promise<void> {
    const [head, ...rest] = renderReply(reply, ref.origin?.conversation ?? '');
    await this.call('chat.update', () => this.client.chat.update({ channel: ref.channelId, ts: ref.messageId, text: head.text, blocks: known(head.blocks) }), ref);
    // Anything beyond one message's 50 blocks follows in the same thread.
    for (const m of rest) {
      await this.call('chat.postMessage', () => this.client.chat.postMessage({ channel: ref.channelId, thread_ts: ref.threadId ?? ref.messageId, text: m.text, blocks: known(m.blocks) }), ref);
    }
  }

  /** The assistant surface's native status, only in threads Slack opened as assistant threads. */
  async setStatus(target: ReplyTarget, status: string): Promise<boolean> {
    if (!target.threadId || !(await this.store.kvGet(ASSISTANT_THREADS, `${target.channelId}:${target.threadId}`))) return false;
    await this.call('assistant.threads.setStatus', () => this.client.assistant.threads.setStatus({ channel_id: target.channelId, thread_ts: target.threadId as string, status }));
    return true;
  }

  async fetchThread(target: ReplyTarget): Promise<HistoryTurn[]> {
    if (!target.threadId) return [];
    const res = await this.call('conversations.replies', () => this.client.conversations.replies({ channel: target.channelId, ts: target.threadId as string, limit: 30 }));
    return (res.messages ?? [])
      .filter((m) => m.text)
      .map((m) => ({ role: m.bot_id || (this.botUserId && m.user === this.botUserId) ? 'avatar' : 'user', text: String(m.text) }) as HistoryTurn);
  }

  async resolveUser(userId: string): Promise<ChatUser | undefined> {
    const res = await this.call('users.info', () => this.client.users.info({ user: userId }));
    if (!res.user) return undefined;
    return { id: userId, name: res.user.profile?.display_name || res.user.real_name || res.user.name, isBot: Boolean(res.user.is_bot) };
  }

  /** History (history.ts): paginated, with this transport's rate-limit waits. */
  history(): SlackHistory {
    return new SlackHistory(this.client, (method, fn) => this.call(method, fn), this.log, this.workspaceUrl);
  }
}
