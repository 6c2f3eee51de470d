import http from 'node:http';
import { closeFake, listenFake } from './fake-server';

export interface SlackCall {
  method: string;
  token?: string;
  args: Record<string, unknown>;
  /** When the call arrived (ms since epoch). */
  at?: number;
}

type Failure = { status?: number; retryAfter?: number; error?: string; needed?: string; times: number };

/** Arguments each Web API method must have; a call without them fails like Slack would. */
const REQUIRED: Record<string, string[]> = {
  'chat.postMessage': ['channel'],
  'chat.update': ['channel', 'ts'],
  'chat.delete': ['channel', 'ts'],
  'chat.startStream': ['channel', 'thread_ts'],
  'chat.appendStream': ['channel', 'ts', 'markdown_text'],
  'chat.stopStream': ['channel', 'ts'],
  'chat.postEphemeral': ['channel', 'user'],
  'conversations.replies': ['channel', 'ts'],
  'conversations.history': ['channel'],
  'conversations.info': ['channel'],
  'conversations.open': ['users'],
  'users.info': ['user'],
  'views.open': ['trigger_id', 'view'],
  'assistant.threads.setStatus': ['channel_id', 'thread_ts', 'status'],
  'assistant.threads.setSuggestedPrompts': ['channel_id', 'thread_ts', 'prompts'],
};

/**
 * A local Slack Web API: records every call, checks required arguments, answers with
 * realistic shapes, and can be told to fail (429 with Retry-After, or an error code).
 */
export class FakeSlack {
  readonly calls: SlackCall[] = [];
  /** token -> auth.test identity; unknown tokens get invalid_auth. */
  readonly tokens = new Map<string, { user_id: string; team_id: string; bot_id: string }>();
  readonly replies = new Map<string, { user?: string; bot_id?: string; text: string; ts: string }[]>();
  readonly channels = new Map<string, { is_private?: boolean; is_im?: boolean; is_mpim?: boolean }>();
  history: Record<string, { messages: Record<string, unknown>[] }[]> = {};
  /** conversations.list answers, and members per private channel. */
  channelList: { id: string; name: string; is_private?: boolean; is_member?: boolean }[] = [];
  members = new Map<string, string[]>();
  /** users.info answers for ids; others get a generated user; `unknownUsers` get user_not_found. */
  users = new Map<string, { name: string; real_name?: string; is_bot?: boolean }>();
  unknownUsers = new Set<string>();
  socketUrl = '';
  /**
   * Messages (`channel:ts`) streaming now (chat.startStream until chat.stopStream), and those
   * deleted. A workspace without the streaming API: `fail('chat.startStream', { error: 'not_allowed', times: Infinity })`.
   */
  readonly streaming = new Set<string>();
  /**
   * Messages posted with chat.postMessage, by channel, as conversations.history and .replies
   * return them besides any set above: with the poster's bot_id and user, and their `metadata`
   * only when asked with include_all_metadata (as Slack does).
   */
  readonly posted = new Map<string, { ts: string; text?: unknown; thread_ts?: string; user: string; bot_id: string; metadata?: unknown }[]>();
  readonly deleted = new Set<string>();
  private failures = new Map<string, Failure>();
  private server?: http.Server;
  private ts = 1_760_000_000;
  url = '';

  fail(method: string, failure: Failure): void {
    this.failures.set(method, failure);
  }

  of(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  async start(): Promise<void> {
    const { server, url } = await listenFake((req, res, body) => this.handle(req, res, body));
    this.server = server;
    this.url = `${url}/api/`;
  }

  async stop(): Promise<void> {
    await closeFake(this.server);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0];
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '') || undefined;
    let args: Record<string, unknown> = {};
    if ((req.headers['content-type'] ?? '').includes('json')) args = body ? JSON.parse(body) : {};
    else for (const [k, v] of new URLSearchParams(body)) args[k] = /^[[{]/.test(v) ? safeJson(v) : v;
    const reply = (status: number, json: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(json));
    };
    const f = this.failures.get(method);
    if (f && f.times > 0) {
      f.times--;
      this.calls.push({ method, token, args: { ...args, failed: true }, at: Date.now() });
      if (f.status === 429) return reply(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(f.retryAfter ?? 1) });
      return reply(200, { ok: false, error: f.error ?? 'internal_error', needed: f.needed, provided: f.needed ? 'chat:write' : undefined });
    }
    this.calls.push({ method, token, args, at: Date.now() });
    const missing = (REQUIRED[method] ?? []).filter((a) => args[a] === undefined || args[a] === '');
    if (missing.length) return reply(200, { ok: false, error: 'invalid_arguments', response_metadata: { messages: missing.map((m) => `missing ${m}`) } });
    const who = token ? this.tokens.get(token) : undefined;
    if (method !== 'apps.connections.open' && !who) return reply(200, { ok: false, error: 'invalid_auth' });
    switch (method) {
      case 'auth.test':
        return reply(200, { ok: true, url: 'https://test.slack.com/', team: 'Test', user: 'bot', ...who });
      case 'chat.postMessage': {
        const ts = `${this.nextSecond()}.000100`;
        const metadata = args.metadata as { event_type?: unknown; event_payload?: unknown } | undefined;
        if (metadata !== undefined && (typeof metadata !== 'object' || typeof metadata.event_type !== 'string' || typeof metadata.event_payload !== 'object')) return reply(200, { ok: false, error: 'invalid_metadata_format' });
        const list = this.posted.get(String(args.channel)) ?? [];
        list.push({ ts, text: args.text, thread_ts: args.thread_ts as string | undefined, user: (who as { user_id: string }).user_id, bot_id: (who as { bot_id: string }).bot_id, metadata });
        this.posted.set(String(args.channel), list);
        return reply(200, { ok: true, channel: args.channel, ts, message: { text: args.text } });
      }
      case 'chat.update':
        if (this.deleted.has(`${args.channel}:${args.ts}`)) return reply(200, { ok: false, error: 'message_not_found' });
        return reply(200, { ok: true, channel: args.channel, ts: args.ts });
      case 'chat.delete':
        this.deleted.add(`${args.channel}:${args.ts}`);
        return reply(200, { ok: true, channel: args.channel, ts: args.ts });
      case 'chat.startStream': {
        if (!args.markdown_text && !args.chunks) return reply(200, { ok: false, error: 'invalid_arguments', response_metadata: { messages: ['missing markdown_text or chunks'] } });
        // Outside a DM Slack wants the recipient of the stream.
        if (!String(args.channel).startsWith('D') && (!args.recipient_user_id || !args.recipient_team_id)) return reply(200, { ok: false, error: 'invalid_arguments', response_metadata: { messages: ['missing recipient_user_id / recipient_team_id'] } });
        const ts = `${this.nextSecond()}.000300`;
        this.streaming.add(`${args.channel}:${ts}`);
        return reply(200, { ok: true, channel: args.channel, ts });
      }
      case 'chat.appendStream':
      case 'chat.stopStream':
        if (!this.streaming.has(`${args.channel}:${args.ts}`)) return reply(200, { ok: false, error: 'message_not_in_streaming_state' });
        if (method === 'chat.stopStream') this.streaming.delete(`${args.channel}:${args.ts}`);
        return reply(200, { ok: true, channel: args.channel, ts: args.ts });
      case 'chat.postEphemeral':
        return reply(200, { ok: true, message_ts: `${this.nextSecond()}.000200` });
      case 'chat.getPermalink':
        return reply(200, { ok: true, permalink: `https://test.slack.com/archives/${args.channel}/p${String(args.message_ts).replace('.', '')}` });
      case 'conversations.replies': {
        const mine = this.postedIn(args, (m) => m.thread_ts === args.ts || m.ts === args.ts);
        return reply(200, { ok: true, messages: [...(this.replies.get(`${args.channel}:${args.ts}`) ?? []), ...mine], has_more: false });
      }
      case 'conversations.info':
        return reply(200, { ok: true, channel: { id: args.channel, ...(this.channels.get(String(args.channel)) ?? { is_private: false }) } });
      case 'conversations.open':
        return reply(200, { ok: true, channel: { id: `D${String(args.users).slice(1)}` } });
      case 'conversations.history': {
        const pages = this.history[String(args.channel)];
        const i = args.cursor ? Number(args.cursor) : 0;
        // A channel whose history a test set answers with that alone; else with what was posted in it, newest first (thread replies aside).
        const messages = pages ? (pages[i]?.messages ?? []) : this.postedIn(args, (m) => !m.thread_ts).reverse();
        const more = pages !== undefined && i + 1 < pages.length;
        return reply(200, { ok: true, messages, has_more: more, response_metadata: { next_cursor: more ? String(i + 1) : '' } });
      }
      case 'conversations.list':
        return reply(200, { ok: true, channels: this.channelList, response_metadata: { next_cursor: '' } });
      case 'conversations.members':
        return reply(200, { ok: true, members: this.members.get(String(args.channel)) ?? [], response_metadata: { next_cursor: '' } });
      case 'users.info': {
        const id = String(args.user);
        if (this.unknownUsers.has(id)) return reply(200, { ok: false, error: 'user_not_found' });
        const u = this.users.get(id);
        if (u) return reply(200, { ok: true, user: { id, name: u.name, real_name: u.real_name ?? u.name, is_bot: Boolean(u.is_bot), profile: { display_name: u.real_name ?? u.name } } });
        return reply(200, { ok: true, user: { id: args.user, name: String(args.user).toLowerCase(), real_name: `User ${args.user}`, is_bot: String(args.user).startsWith('B'), profile: { display_name: `user-${args.user}` } } });
      }
      case 'apps.connections.open':
        return reply(200, { ok: true, url: this.socketUrl });
      default:
        return reply(200, { ok: true });
    }
  }

  /** The seconds of a new message's ts: after every earlier one, and after the current second (what it answers came before it). */
  private nextSecond(): number {
    this.ts = Math.max(this.ts + 1, Math.floor(Date.now() / 1000) + 1);
    return this.ts;
  }

  /** Messages posted in `args.channel` that `keep`, after `oldest` (or at it, with `inclusive`), with their metadata when asked for. */
  private postedIn(args: Record<string, unknown>, keep: (m: { ts: string; thread_ts?: string }) => boolean): Record<string, unknown>[] {
    const oldest = args.oldest === undefined ? undefined : Number(args.oldest);
    const inclusive = args.inclusive === true || args.inclusive === 'true';
    const withMeta = args.include_all_metadata === true || args.include_all_metadata === 'true';
    return (this.posted.get(String(args.channel)) ?? [])
      .filter((m) => keep(m) && (oldest === undefined || Number(m.ts) > oldest || (inclusive && Number(m.ts) === oldest)))
      .map(({ metadata, ...m }) => ({ type: 'message', ...m, ...(withMeta && metadata ? { metadata } : {}) }));
  }
}

function safeJson(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}
