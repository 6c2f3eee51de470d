import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { CollectedFile, CollectedMessage, CollectorChannel, HistoryCollector, HistoryPage } from '../../chat/collector';
import { cleanText } from './normalize';
import { slackCall } from './web-errors';

interface SlackMsg {
  ts?: string;
  user?: string;
  bot_id?: string;
  subtype?: string;
  text?: string;
  thread_ts?: string;
  reply_count?: number;
  files?: { name?: string; mimetype?: string; size?: number; url_private_download?: string }[];
}

const FILE_LIMIT = 5 * 1024 * 1024;
const TEXT_TYPES = /^(text\/|application\/(pdf|json|vnd\.openxmlformats-officedocument\.wordprocessingml))/;

/** Slack history for distillation: channels the bot is in, paginated, rate limits honoured. */
export class SlackCollector implements HistoryCollector {
  readonly platform = 'slack' as const;
  private readonly names = new Map<string, string | undefined>();

  constructor(
    private readonly client: WebClient,
    private readonly log: Logger,
    private readonly workspaceUrl?: string,
  ) {}

  async listChannels(): Promise<CollectorChannel[]> {
    const out: CollectorChannel[] = [];
    let cursor: string | undefined;
    do {
      const res = await slackCall('conversations.list', () => this.client.conversations.list({ types: 'public_channel,private_channel', exclude_archived: true, limit: 200, cursor }), this.log);
      for (const c of (res.channels ?? []) as { id?: string; name?: string; is_private?: boolean; is_member?: boolean }[]) {
        if (!c.id || !c.is_member) continue;
        out.push({ id: c.id, name: c.name ?? c.id, private: Boolean(c.is_private), members: c.is_private ? await this.members(c.id) : undefined });
      }
      cursor = res.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return out;
  }

  private async members(channel: string): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await slackCall('conversations.members', () => this.client.conversations.members({ channel, limit: 500, cursor }), this.log);
      out.push(...(res.members ?? []));
      cursor = res.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return out;
  }

  private toMessage(channel: CollectorChannel, m: SlackMsg): CollectedMessage | undefined {
    if (!m.ts || !m.user || m.bot_id || (m.subtype && m.subtype !== 'thread_broadcast' && m.subtype !== 'file_share')) return undefined;
    return {
      id: m.ts,
      at: Math.round(Number(m.ts) * 1000),
      userId: m.user,
      text: cleanText(m.text ?? '', undefined).text,
      threadId: m.thread_ts,
      replyCount: m.reply_count,
      permalink: this.workspaceUrl ? `${this.workspaceUrl.replace(/\/$/, '')}/archives/${channel.id}/p${m.ts.replace('.', '')}${m.thread_ts && m.thread_ts !== m.ts ? `?thread_ts=${m.thread_ts}&cid=${channel.id}` : ''}` : undefined,
      files: m.files?.map((f) => ({ name: f.name ?? 'file', mimetype: f.mimetype, size: f.size, url: f.url_private_download })),
    };
  }

  private async withNames(messages: CollectedMessage[]): Promise<CollectedMessage[]> {
    for (const m of messages) m.userName = await this.userName(m.userId);
    return messages;
  }

  async history(channel: CollectorChannel, cursor: string | undefined, oldest?: number): Promise<HistoryPage> {
    const res = await slackCall(
      'conversations.history',
      () => this.client.conversations.history({ channel: channel.id, cursor, limit: 200, oldest: oldest ? String(oldest / 1000) : undefined }),
      this.log,
    );
    const messages = ((res.messages ?? []) as SlackMsg[]).map((m) => this.toMessage(channel, m)).filter((m): m is CollectedMessage => m !== undefined);
    return { messages: await this.withNames(messages), next: res.has_more ? res.response_metadata?.next_cursor || undefined : undefined };
  }

  async replies(channel: CollectorChannel, threadId: string): Promise<CollectedMessage[]> {
    const out: CollectedMessage[] = [];
    let cursor: string | undefined;
    do {
      const res = await slackCall('conversations.replies', () => this.client.conversations.replies({ channel: channel.id, ts: threadId, limit: 200, cursor }), this.log);
      for (const m of (res.messages ?? []) as SlackMsg[]) {
        const c = this.toMessage(channel, m);
        if (c) out.push(c);
      }
      cursor = res.has_more ? res.response_metadata?.next_cursor || undefined : undefined;
    } while (cursor);
    return this.withNames(out);
  }

  async userName(userId: string): Promise<string | undefined> {
    if (!this.names.has(userId)) {
      try {
        const res = await slackCall('users.info', () => this.client.users.info({ user: userId }), this.log);
        this.names.set(userId, res.user?.profile?.display_name || res.user?.real_name || res.user?.name);
      } catch {
        this.names.set(userId, undefined);
      }
    }
    return this.names.get(userId);
  }

  /** Text-like files up to 5 MB, downloaded with the bot token (needs files:read). */
  async downloadFile(message: CollectedMessage, index: number): Promise<CollectedFile> {
    const f = message.files?.[index];
    if (!f) return { name: 'file', skipped: 'missing' };
    if (!f.url) return { name: f.name, skipped: 'no download URL (files:read scope missing?)' };
    if ((f.size ?? 0) > FILE_LIMIT) return { name: f.name, skipped: 'larger than 5 MB' };
    if (!TEXT_TYPES.test(f.mimetype ?? '')) return { name: f.name, skipped: `not a text format (${f.mimetype ?? 'unknown'})` };
    try {
      const res = await fetch(f.url, { headers: { authorization: `Bearer ${this.client.token ?? ''}` } });
      if (!res.ok) return { name: f.name, skipped: `download refused (${res.status}); add the files:read scope` };
      return { name: f.name, data: new Uint8Array(await res.arrayBuffer()) };
    } catch (err) {
      return { name: f.name, skipped: `download failed: ${(err as Error).message}` };
    }
  }
}
