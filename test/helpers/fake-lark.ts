import http from 'node:http';
import { closeFake, listenFake } from './fake-server';

export interface LarkCall {
  /** Our name for the endpoint: `im.v1.message.reply`, `tenant_access_token`... */
  method: string;
  /** The app whose tenant token authorised the call (from the token). */
  appId?: string;
  path: string;
  query: Record<string, string>;
  body: Record<string, unknown>;
  /** `body.content` parsed, for message calls. */
  content?: Record<string, unknown>;
  failed?: boolean;
  /** When the call arrived (ms since epoch). */
  at?: number;
}

export interface LarkFailure {
  /** HTTP status; Feishu answers most business errors with 400, frequency limits with 429. */
  status?: number;
  code: number;
  msg?: string;
  /** Seconds, sent as x-ogw-ratelimit-reset. */
  reset?: number;
  /** Scopes named in error.permission_violations. */
  scopes?: string[];
  times: number;
}

interface StoredMessage {
  message_id: string;
  chat_id: string;
  root_id?: string;
  parent_id?: string;
  thread_id?: string;
  msg_type: string;
  content: string;
  sender: string;
  create_time: string;
}

/** Feishu's limit for a message body. */
const CONTENT_LIMIT = 30 * 1024;

/**
 * A local Feishu Open API: tenant tokens per app, bot info, message create / reply / patch,
 * history, chats and members, users, ephemeral cards, and the long-connection endpoint. Records
 * every call, checks what Feishu checks, and can fail with frequency limits, 429 or scope errors.
 */
export class FakeLark {
  readonly calls: LarkCall[] = [];
  /** app_id -> secret and bot identity. */
  readonly apps = new Map<string, { secret: string; botOpenId: string; name: string }>();
  /** chat_id -> chat info (default: a private group). */
  readonly chats = new Map<string, { chat_type: 'public' | 'private'; name?: string }>();
  /** Directory entries for contact.v3.user.get; anyone else is `User <open_id>`. */
  readonly users = new Map<string, { name?: string; en_name?: string }>();
  readonly messages = new Map<string, StoredMessage>();
  /** container_id -> a whole history response to answer with (e.g. Feishu's documented sample). */
  readonly history = new Map<string, unknown>();
  /** Long-connection URL handed out by /callback/ws/endpoint. */
  wsUrl = '';
  url = '';
  private readonly tokens = new Map<string, string>();
  private readonly failures = new Map<string, LarkFailure>();
  private readonly delays = new Map<string, number>();
  private server?: http.Server;
  private n = 0;

  addApp(appId: string, secret: string, botOpenId: string, name = appId): void {
    this.apps.set(appId, { secret, botOpenId, name });
  }

  /** Answer `method` only after `ms` (a slow Open API). */
  slow(method: string, ms: number): void {
    this.delays.set(method, ms);
  }

  fail(method: string, failure: LarkFailure): void {
    this.failures.set(method, failure);
  }

  /** Invalidate every tenant token handed out so far (Feishu rotated them early). */
  expireTokens(): void {
    this.tokens.clear();
  }

  of(method: string): LarkCall[] {
    return this.calls.filter((c) => c.method === method && !c.failed);
  }

  /** A message as if a person had sent it (history, replies to it). */
  seed(message: Partial<StoredMessage> & { message_id: string; chat_id: string }): void {
    this.messages.set(message.message_id, { msg_type: 'text', content: '{"text":""}', sender: 'ou_someone', create_time: String(Date.now()), ...message });
  }

  async start(): Promise<void> {
    ({ server: this.server, url: this.url } = await listenFake((req, res, body) => {
      const r = this.route((req.method ?? 'GET').toUpperCase(), new URL(req.url ?? '/', 'http://x').pathname);
      const delay = r ? (this.delays.get(r.name) ?? 0) : 0;
      const go = (): void => this.handle(req, res, body);
      if (delay > 0) setTimeout(go, delay);
      else go();
    }));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeFake(server);
  }

  private route(method: string, path: string): { name: string; id?: string } | undefined {
    const p = path.replace(/\/+$/, '');
    if (method === 'POST' && p === '/open-apis/auth/v3/tenant_access_token/internal') return { name: 'tenant_access_token' };
    if (method === 'POST' && p === '/callback/ws/endpoint') return { name: 'ws.endpoint' };
    if (method === 'GET' && p === '/open-apis/bot/v3/info') return { name: 'bot.v3.info' };
    if (method === 'POST' && p === '/open-apis/im/v1/messages') return { name: 'im.v1.message.create' };
    if (method === 'GET' && p === '/open-apis/im/v1/messages') return { name: 'im.v1.message.list' };
    if (method === 'POST' && p === '/open-apis/ephemeral/v1/send') return { name: 'ephemeral.v1.send' };
    if (method === 'POST' && p === '/open-apis/im/v1/files') return { name: 'im.v1.file.create' };
    let m = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/reply$/.exec(p);
    if (m && method === 'POST') return { name: 'im.v1.message.reply', id: m[1] };
    m = /^\/open-apis\/im\/v1\/messages\/([^/]+)$/.exec(p);
    if (m && method === 'PATCH') return { name: 'im.v1.message.patch', id: m[1] };
    if (m && method === 'GET') return { name: 'im.v1.message.get', id: m[1] };
    if (method === 'GET' && p === '/open-apis/im/v1/chats') return { name: 'im.v1.chat.list' };
    m = /^\/open-apis\/im\/v1\/chats\/([^/]+)\/members$/.exec(p);
    if (m && method === 'GET') return { name: 'im.v1.chatMembers.get', id: m[1] };
    m = /^\/open-apis\/im\/v1\/chats\/([^/]+)$/.exec(p);
    if (m && method === 'GET') return { name: 'im.v1.chat.get', id: m[1] };
    m = /^\/open-apis\/contact\/v3\/users\/([^/]+)$/.exec(p);
    if (m && method === 'GET') return { name: 'contact.v3.user.get', id: m[1] };
    return undefined;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams);
    const reply = (status: number, json: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(json));
    };
    const r = this.route((req.method ?? 'GET').toUpperCase(), url.pathname);
    if (!r) return reply(404, { code: 404, msg: `no route ${req.method} ${url.pathname}` });
    let body: Record<string, unknown> = {};
    if ((req.headers['content-type'] ?? '').startsWith('multipart/form-data')) {
      // An upload: keep the form's text fields and the file's size.
      const name = /name="file_name"\r\n\r\n([^\r]*)/.exec(raw)?.[1];
      body = { file_name: name, file_type: /name="file_type"\r\n\r\n([^\r]*)/.exec(raw)?.[1], bytes: Buffer.byteLength(raw) };
    } else {
      try {
        body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      } catch {
        return reply(400, { code: 9499, msg: 'Bad Request: invalid JSON' });
      }
    }
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const appId = this.tokens.get(token);
    let content: Record<string, unknown> | undefined;
    if (typeof body.content === 'string') {
      try {
        content = JSON.parse(body.content) as Record<string, unknown>;
      } catch {
        content = undefined;
      }
    }
    const call: LarkCall = { method: r.name, appId, path: url.pathname, query, body, content, at: Date.now() };
    const f = this.failures.get(r.name);
    if (f && f.times > 0) {
      f.times--;
      this.calls.push({ ...call, failed: true });
      const payload: Record<string, unknown> = { code: f.code, msg: f.msg ?? `failure ${f.code}` };
      if (f.scopes) payload.error = { permission_violations: f.scopes.map((s) => ({ type: 'action_scope_required', subject: s })) };
      return reply(f.status ?? 400, payload, f.reset !== undefined ? { 'x-ogw-ratelimit-reset': String(f.reset) } : {});
    }
    this.calls.push(call);

    if (r.name === 'tenant_access_token') {
      const app = this.apps.get(String(body.app_id));
      if (!app || app.secret !== body.app_secret) return reply(200, { code: 10014, msg: 'app secret invalid' });
      const t = `t-${String(body.app_id)}-${++this.n}`;
      this.tokens.set(t, String(body.app_id));
      return reply(200, { code: 0, msg: 'ok', tenant_access_token: t, expire: 7200 });
    }
    if (r.name === 'ws.endpoint') {
      const app = this.apps.get(String(body.AppID));
      if (!app || app.secret !== body.AppSecret) return reply(200, { code: 1000040343, msg: 'app secret invalid', data: {} });
      return reply(200, {
        code: 0,
        msg: 'ok',
        data: { URL: `${this.wsUrl}?fake=1&device_id=dev1&service_id=7&app=${String(body.AppID)}`, ClientConfig: { PingInterval: 120, ReconnectCount: 3, ReconnectInterval: 1, ReconnectNonce: 0 } },
      });
    }
    if (!appId) return reply(400, { code: 99991663, msg: 'Invalid access token for authorization. Please make a request with token attached.' });
    const app = this.apps.get(appId) as { botOpenId: string; name: string };
    const ok = (data: unknown): void => reply(200, { code: 0, msg: 'success', data });

    switch (r.name) {
      case 'bot.v3.info':
        return reply(200, { code: 0, msg: 'ok', bot: { activate_status: 2, app_name: app.name, open_id: app.botOpenId, ip_white_list: [] } });
      case 'im.v1.message.create':
      case 'im.v1.message.reply':
      case 'ephemeral.v1.send': {
        const msgType = String(body.msg_type ?? '');
        if (r.name === 'ephemeral.v1.send') {
          if (!body.chat_id || !body.open_id || msgType !== 'interactive' || !body.card) return reply(400, { code: 99992402, msg: 'field validation failed' });
          return ok({ message_id: `om_eph_${++this.n}` });
        }
        if (!msgType || typeof body.content !== 'string') return reply(400, { code: 99992402, msg: 'field validation failed: msg_type and content are required' });
        if (!content) return reply(400, { code: 230001, msg: 'invalid message content: not JSON' });
        if (Buffer.byteLength(body.content) > CONTENT_LIMIT) return reply(400, { code: 230025, msg: 'The message content is too long' });
        let chatId: string;
        let root: string | undefined;
        let thread: string | undefined;
        if (r.name === 'im.v1.message.reply') {
          const parent = this.messages.get(r.id as string);
          if (!parent) return reply(400, { code: 230011, msg: 'The message was not found' });
          chatId = parent.chat_id;
          root = parent.root_id ?? parent.message_id;
          if (body.reply_in_thread === true || parent.thread_id) {
            thread = parent.thread_id ?? `omt_${parent.message_id.slice(3, 15)}`;
            const rootMsg = this.messages.get(root);
            if (rootMsg && !rootMsg.thread_id) rootMsg.thread_id = thread;
          }
        } else {
          const type = query.receive_id_type;
          if (!body.receive_id || !['chat_id', 'open_id', 'user_id', 'union_id', 'email'].includes(type ?? '')) return reply(400, { code: 99992402, msg: 'field validation failed: receive_id_type' });
          chatId = type === 'chat_id' ? String(body.receive_id) : `oc_p2p_${String(body.receive_id)}`;
        }
        // The same uuid from the same app within an hour sends nothing new: the answer is the message sent then.
        const dup = body.uuid
          ? [...this.messages.values()].find((m) => (m as StoredMessage & { uuid?: string }).uuid === body.uuid && m.sender === appId && Date.now() - Number(m.create_time) < 3_600_000)
          : undefined;
        if (dup) return ok(dup);
        const m: StoredMessage & { uuid?: string } = {
          message_id: `om_${(++this.n).toString(16).padStart(8, '0')}`,
          chat_id: chatId,
          root_id: root,
          parent_id: r.id,
          thread_id: thread,
          msg_type: msgType,
          content: body.content,
          sender: appId,
          create_time: String(Date.now()),
          uuid: typeof body.uuid === 'string' ? body.uuid : undefined,
        };
        this.messages.set(m.message_id, m);
        return ok({ message_id: m.message_id, root_id: m.root_id, parent_id: m.parent_id, thread_id: m.thread_id, msg_type: m.msg_type, chat_id: m.chat_id, create_time: m.create_time, sender: { id: appId, id_type: 'app_id', sender_type: 'app' }, body: { content: m.content } });
      }
      case 'im.v1.message.patch': {
        const m = this.messages.get(r.id as string);
        if (!m) return reply(400, { code: 230011, msg: 'The message was not found' });
        if (m.sender !== appId || m.msg_type !== 'interactive') return reply(400, { code: 230031, msg: 'Only cards sent by this bot can be updated' });
        if (!content) return reply(400, { code: 230001, msg: 'invalid message content' });
        if (Buffer.byteLength(String(body.content)) > CONTENT_LIMIT) return reply(400, { code: 230025, msg: 'The message content is too long' });
        m.content = String(body.content);
        return ok({});
      }
      case 'im.v1.message.get': {
        const m = this.messages.get(r.id as string);
        if (!m) return reply(400, { code: 230011, msg: 'The message was not found' });
        return ok({ items: [{ message_id: m.message_id, root_id: m.root_id, thread_id: m.thread_id, msg_type: m.msg_type, create_time: m.create_time, chat_id: m.chat_id, body: { content: m.content } }] });
      }
      case 'im.v1.message.list': {
        const canned = this.history.get(query.container_id ?? '');
        if (canned) return reply(200, canned);
        const items = [...this.messages.values()]
          .filter((m) => (query.container_id_type === 'thread' ? m.thread_id === query.container_id : m.chat_id === query.container_id))
          .map((m) => ({
            message_id: m.message_id,
            root_id: m.root_id,
            thread_id: m.thread_id,
            msg_type: m.msg_type,
            create_time: m.create_time,
            deleted: false,
            chat_id: m.chat_id,
            sender: m.sender.startsWith('cli_') ? { id: m.sender, id_type: 'app_id', sender_type: 'app' } : { id: m.sender, id_type: 'open_id', sender_type: 'user' },
            body: { content: m.content },
          }));
        return ok({ has_more: false, items });
      }
      case 'im.v1.chat.get': {
        const c = this.chats.get(r.id as string) ?? { chat_type: 'private' };
        return ok({ chat_id: r.id, name: c.name ?? r.id, chat_mode: 'group', chat_type: c.chat_type, external: false });
      }
      case 'im.v1.file.create':
        if (!body.file_name || !body.file_type) return reply(400, { code: 234001, msg: 'Invalid request param: file_name and file_type are required' });
        return ok({ file_key: `file_v3_${++this.n}` });
      case 'im.v1.chat.list':
        return ok({ items: [...this.chats.entries()].map(([id, c]) => ({ chat_id: id, name: c.name ?? id, tenant_key: 'tk' })), has_more: false, page_token: '' });
      case 'im.v1.chatMembers.get':
        return ok({ items: [{ member_id_type: 'open_id', member_id: 'ou_member1', name: '张三', tenant_key: 'tk1' }], has_more: false, member_total: 1 });
      case 'contact.v3.user.get':
        return ok({ user: { open_id: r.id, ...(this.users.get(r.id ?? '') ?? { name: `User ${r.id}` }), department_ids: ['od_platform'] } });
      default:
        return reply(404, { code: 404, msg: 'not found' });
    }
  }
}
