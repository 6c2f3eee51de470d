import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { HistoryTurn } from '../../answer/types';
import type { ChatTransport, ChatUser, MessageRef, PostKey, Reply, ReplyTarget } from '../../chat/types';
import type { StateStore } from '../../store/types';
import { renderDraft, renderReply, streamableDraft, type Block, type SlackMessage } from './render';
import { SlackHistory } from './history';

/** Our blocks are built as plain objects; the Web API validates them. */
const known = (blocks: Block[]): KnownBlock[] => blocks as unknown as KnownBlock[];
import type { UnderstudyError } from '../../errors';
import { classifySlackError, slackCall } from './web-errors';

export const ASSISTANT_THREADS = 'slack-assistant-threads';

const DRAFT_INTERVAL_MS = 1_000;
/** Errors of chat.startStream that say this workspace (or app) cannot stream: drafts use chat.update. */
const STREAMING_REFUSED = new Set(['unknown_method', 'method_not_supported', 'method_deprecated', 'not_allowed', 'not_allowed_token_type', 'not_supported', 'feature_not_enabled', 'team_not_allowed', 'missing_scope', 'invalid_arguments']);
/** A refusal is remembered this long, then the streaming API is tried again (an upgrade, a new scope). */
const STREAMING_RETRY_MS = 6 * 60 * 60_000;
const MAX_STREAMS = 1_000;
/** The metadata event type of a keyed post (ChatTransport.findPosted); its payload is `{ job: <key> }`. */
const POST_KEY_EVENT = 'understudy_job';
/** Pages of a thread or history findPosted reads at most. */
const FIND_PAGES = 5;

interface LiveStream {
  channel: string;
  ts: string;
  /** The markdown the stream shows so far (the drafts only ever extend it). */
  shown: string;
}

function streamKey(ref: Pick<MessageRef, 'channelId' | 'messageId'>): string {
  return `${ref.channelId}:${ref.messageId}`;
}

/** Slack's own error code (`message_not_found`) behind a classified Web API error. */
function slackErrorCode(err: unknown): string | undefined {
  const e = err as { cause?: { data?: { error?: string } }; data?: { error?: string } };
  return e?.cause?.data?.error ?? e?.data?.error;
}

/**
 * ChatTransport over one app's WebClient, one per app for the life of the process: where a reply
 * goes and what it answers travel in each call (ReplyTarget, MessageRef), never in the transport.
 */
export class SlackTransport implements ChatTransport {
  readonly platform = 'slack' as const;
  /** Drafts at most once a second: chat.update and chat.appendStream are both rate limited per message. */
  readonly draftIntervalMs = DRAFT_INTERVAL_MS;
  /** Answers streaming with chat.startStream, by the message the core knows them by (the placeholder, or the stream's own). */
  private readonly streams = new Map<string, LiveStream>();
  /** Until when this app's workspace is known to refuse the streaming API (drafts then use chat.update). */
  private streamingRefusedUntil = 0;
  private team: Promise<string | undefined> | undefined;

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
    // No placeholder to replace (the status was the assistant thread's own): the draft opens the answer's message.
    // A keyed one (a job's) is posted as a message first, since a stream carries no metadata; the next draft streams in its place.
    if (reply.kind === 'draft' && !reply.key) {
      const ts = await this.startStream(target, reply.text);
      if (ts) return { ...target, messageId: ts };
    }
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
    // A keyed post (a job's placeholder) carries its key in the message's metadata, where findPosted looks.
    const key = (reply.kind === 'status' || reply.kind === 'notice' || reply.kind === 'draft') && reply.key ? reply.key : undefined;
    try {
      for (const m of messages) {
        const metadata = key && !first ? { metadata: { event_type: POST_KEY_EVENT, event_payload: { job: key } } } : {};
        const res = await this.call('chat.postMessage', () =>
          this.client.chat.postMessage({ channel: target.channelId, text: m.text, blocks: known(m.blocks), thread_ts: target.threadId, unfurl_links: false, ...metadata }),
        target);
        first ??= { ...target, messageId: String(res.ts ?? '') };
      }
    } catch (err) {
      if ((err as UnderstudyError).code === 'PLATFORM_NOT_IN_CHANNEL' && target.userId && !target.channelId.startsWith('D')) await this.tellInDm(target.userId, target.channelId);
      throw err;
    }
    return first as MessageRef;
  }

  /**
   * The bot's own message posted with `key` (in its metadata) where `target` goes: the thread's
   * replies, or the conversation's history since the message being answered. A few pages at most:
   * the message sought was posted moments after that one.
   */
  async findPosted(target: ReplyTarget, key: PostKey): Promise<MessageRef | undefined> {
    const since = target.origin?.channelId === target.channelId ? target.origin.messageId : undefined;
    let cursor: string | undefined;
    for (let page = 0; page < FIND_PAGES; page++) {
      const common = { channel: target.channelId, include_all_metadata: true, limit: 200, ...(since ? { oldest: since, inclusive: true } : {}), ...(cursor ? { cursor } : {}) };
      const res = target.threadId
        ? await this.call('conversations.replies', () => this.client.conversations.replies({ ...common, ts: target.threadId as string }), target)
        : await this.call('conversations.history', () => this.client.conversations.history(common), target);
      const found = (res.messages ?? []).find((m) => {
        const meta = (m as { metadata?: { event_type?: string; event_payload?: { job?: unknown } } }).metadata;
        const ours = this.botUserId ? m.user === this.botUserId : Boolean(m.bot_id);
        return ours && meta?.event_type === POST_KEY_EVENT && meta.event_payload?.job === key;
      });
      if (found?.ts) return { ...target, messageId: found.ts };
      cursor = res.response_metadata?.next_cursor || undefined;
      if (!res.has_more || !cursor) return undefined;
    }
    return undefined;
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

  /**
   * Replace a message: a draft appends to the answer's stream (starting one in a thread, where the
   * workspace allows it) or else rewrites the placeholder; the answer ends the stream and then
   * replaces its whole text, checked, with the label, sources and buttons.
   */
  async update(ref: MessageRef, reply: Reply): Promise<void> {
    const key = streamKey(ref);
    const stream = this.streams.get(key);
    if (reply.kind === 'draft') {
      if (stream) return this.appendStream(stream, reply.text, ref);
      if (await this.startStream(ref, reply.text, ref.messageId)) return;
      await this.rewrite(ref, renderDraft(reply.text));
      return;
    }
    if (stream) {
      this.streams.delete(key);
      await this.call('chat.stopStream', () => this.client.chat.stopStream({ channel: stream.channel, ts: stream.ts }), ref).catch((err: unknown) => {
        this.log.warn({ err }, 'could not stop the answer stream; replacing its text anyway');
      });
      ref = { ...ref, messageId: stream.ts };
    }
    const [head, ...rest] = renderReply(reply, ref.origin?.conversation ?? '');
    if (!(await this.rewrite(ref, head))) {
      // The message is gone (a stream replaced it in a worker that then died): the answer still goes out.
      await this.post(ref, reply);
      return;
    }
    // Anything beyond one message's 50 blocks follows in the same thread.
    for (const m of rest) {
      await this.call('chat.postMessage', () => this.client.chat.postMessage({ channel: ref.channelId, thread_ts: ref.threadId ?? ref.messageId, text: m.text, blocks: known(m.blocks) }), ref);
    }
  }

  /** chat.update of one message; false when Slack no longer has it. */
  private async rewrite(ref: MessageRef, m: SlackMessage): Promise<boolean> {
    try {
      await this.call('chat.update', () => this.client.chat.update({ channel: ref.channelId, ts: ref.messageId, text: m.text, blocks: known(m.blocks) }), ref);
      return true;
    } catch (err) {
      if (slackErrorCode(err) === 'message_not_found') return false;
      throw err;
    }
  }

  /**
   * Start streaming an answer with chat.startStream, in the target's thread (Slack streams only in
   * threads; a DM answered at the top level keeps chat.update drafts). `placeholder`: the status
   * message the stream replaces, deleted once the stream shows. Answers the stream's ts, or
   * undefined when drafts should use chat.update: no thread, nothing to show yet, or a workspace
   * that refuses the method (remembered for STREAMING_RETRY_MS).
   */
  private async startStream(target: ReplyTarget, text: string, placeholder?: string): Promise<string | undefined> {
    // A Web API client without the methods (older than 7.11) streams nothing.
    if (!target.threadId || Date.now() < this.streamingRefusedUntil || typeof this.client.chat.startStream !== 'function') return undefined;
    const markdown = streamableDraft(text);
    if (!markdown.trim()) return undefined;
    // Outside a DM, Slack wants to know whom the stream is for; without that, this draft is an update.
    const dm = target.origin ? target.origin.channelType === 'dm' : target.channelId.startsWith('D');
    const team = dm ? undefined : await this.teamId();
    if (!dm && (!target.userId || !team)) return undefined;
    const recipient = dm ? {} : { recipient_user_id: target.userId as string, recipient_team_id: team as string };
    let ts: string | undefined;
    try {
      const res = await this.call('chat.startStream', () =>
        this.client.chat.startStream({ channel: target.channelId, thread_ts: target.threadId as string, markdown_text: markdown, ...recipient }),
      target);
      ts = res.ts ? String(res.ts) : undefined;
    } catch (err) {
      const code = slackErrorCode(err);
      if (code && STREAMING_REFUSED.has(code)) {
        this.streamingRefusedUntil = Date.now() + STREAMING_RETRY_MS;
        this.log.info({ error: code }, 'Slack refused chat.startStream in this workspace; answers show as they are written with chat.update instead');
      } else this.log.warn({ err }, 'chat.startStream failed; this draft goes out with chat.update');
      return undefined;
    }
    if (!ts) return undefined;
    const key = streamKey({ channelId: target.channelId, messageId: placeholder ?? ts });
    this.streams.set(key, { channel: target.channelId, ts, shown: markdown });
    if (this.streams.size > MAX_STREAMS) this.streams.delete(this.streams.keys().next().value as string);
    if (placeholder) {
      await this.call('chat.delete', () => this.client.chat.delete({ channel: target.channelId, ts: placeholder }), target).catch((err: unknown) => {
        this.log.warn({ err }, 'could not delete the status message the answer stream replaces');
      });
    }
    return ts;
  }

  /** Append what the draft adds to what the stream shows; a draft that no longer extends it (a restart) waits for the answer. */
  private async appendStream(stream: LiveStream, text: string, ref: MessageRef): Promise<void> {
    const markdown = streamableDraft(text);
    if (markdown.length <= stream.shown.length || !markdown.startsWith(stream.shown)) return;
    const delta = markdown.slice(stream.shown.length);
    stream.shown = markdown;
    await this.call('chat.appendStream', () => this.client.chat.appendStream({ channel: stream.channel, ts: stream.ts, markdown_text: delta }), ref);
  }

  /** This app's workspace (auth.test, once): the streaming API's recipient team outside DMs. */
  private teamId(): Promise<string | undefined> {
    this.team ??= this.client.auth.test().then(
      (res) => (res.team_id as string | undefined) ?? undefined,
      () => {
        this.team = undefined;
        return undefined;
      },
    );
    return this.team;
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
