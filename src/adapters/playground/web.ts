import crypto from 'node:crypto';
import type http from 'node:http';
import { z } from 'zod';
import type { Answer } from '../../answer/types';
import type { ChatRouter } from '../../chat/router';
import type { ChatEvent, ChatTransport, MessageRef, Reply, ReplyTarget } from '../../chat/types';
import { readBody, send, type HttpServer } from '../../server/http-server';
import { allowedHostNames, bearerMatches, hostName, isJson } from './web-guard';
import { PlaygroundSessions, UUID_RE } from './web-sessions';
import { PLAYGROUND_HTML } from './web-page';

/**
 * Who the playground user is to access lists, rate limits, admins and the audit log:
 * `playground:local`, one identity for everyone at the page (it is a local tool; a token,
 * when set, says only "may use the playground", not who). An avatar whose `access.users`
 * is set refuses it unless it lists `playground:local`.
 */
export const PLAYGROUND_USER = 'local';
const WORKSPACE = 'local';
const SESSION_HEADER = 'x-playground-session';

const askSchema = z.object({
  avatar: z.string().min(1).max(80),
  question: z.string().min(1).max(20_000),
  conversation: z.string().regex(UUID_RE, 'must be a conversation id from POST /playground/api/conversations'),
});

export interface WebPlaygroundOptions {
  /** The address the server listens on (decides which Host names are accepted). */
  host: string;
  /** PLAYGROUND_TOKEN: when set, every API call needs `Authorization: Bearer <token>`. */
  token?: string;
  /** The playground's transport; tests pass one that also records what it was asked to show. */
  transport?: PlaygroundTransport;
}

/**
 * The browser playground on the same port, a chat platform like Slack and Feishu: each
 * question becomes a ChatEvent (platform `playground`) and goes through the router, so access
 * lists, rate limits, status and commands apply as everywhere else.
 */
export function mountWebPlayground(server: HttpServer, router: ChatRouter, options: WebPlaygroundOptions): void {
  const hosts = allowedHostNames(options.host);
  const sessions = new PlaygroundSessions();
  const transport = options.transport ?? new PlaygroundTransport();

  /** The checks every playground route makes first; false when it has already answered. */
  const guard = (req: http.IncomingMessage, res: http.ServerResponse, api: boolean): boolean => {
    const name = hostName(req.headers.host);
    if (!name || !hosts.has(name)) {
      send(res, 403, { ok: false, error: 'Host not allowed: open the playground at http://localhost:<port>/ (or an address of this machine when HOST is set).' });
      return false;
    }
    if (api && options.token && !bearerMatches(req, options.token)) {
      res.setHeader('www-authenticate', 'Bearer realm="understudy-playground"');
      send(res, 401, { ok: false, error: 'PLAYGROUND_TOKEN is set: open the playground as /#token=<token>, or send Authorization: Bearer <token>.' });
      return false;
    }
    if (req.method === 'POST' && !isJson(req)) {
      send(res, 415, { ok: false, error: 'content-type must be application/json' });
      return false;
    }
    res.setHeader('cache-control', 'no-store');
    return true;
  };

  server.route('GET', '/', (req, res) => {
    if (!guard(req, res, false)) return;
    res.setHeader('content-security-policy', "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('referrer-policy', 'no-referrer');
    send(res, 200, PLAYGROUND_HTML, 'text/html');
  });

  server.route('GET', '/playground/api/avatars', (req, res) => {
    if (!guard(req, res, true)) return;
    send(
      res,
      200,
      router.service.registry.list().map((a) => ({ slug: a.config.slug, handle: a.config.handle, name: a.config.person.name, title: a.config.person.title, status: a.config.status })),
    );
  });

  server.route('POST', '/playground/api/conversations', async (req, res) => {
    if (!guard(req, res, true)) return;
    await readBody(req, 10_000);
    send(res, 201, { ok: true, ...sessions.open(headerOf(req, SESSION_HEADER)) });
  });

  server.route('POST', '/playground/api/ask', async (req, res) => {
    if (!guard(req, res, true)) return;
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, 100_000)).toString('utf8'));
    } catch {
      send(res, 400, { ok: false, error: 'body must be JSON: {avatar, question, conversation}' });
      return;
    }
    const parsed = askSchema.safeParse(body);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      send(res, 400, { ok: false, error: `field ${i.path.join('.')}: ${i.message}` });
      return;
    }
    const { avatar, question, conversation } = parsed.data;
    if (!sessions.owns(headerOf(req, SESSION_HEADER), conversation)) {
      send(res, 403, { ok: false, error: 'this conversation belongs to another session or has expired: start a new one' });
      return;
    }
    const pkg = router.service.registry.find(avatar);
    if (!pkg) {
      send(res, 404, { ok: false, error: `no avatar "${avatar}"` });
      return;
    }
    const event: ChatEvent = {
      eventId: crypto.randomUUID(),
      platform: 'playground',
      appId: 'playground',
      workspaceId: WORKSPACE,
      // One DM per conversation: memory, first-contact introduction and sticky choice follow it.
      channelId: conversation,
      channelType: 'dm',
      messageId: crypto.randomUUID(),
      userId: PLAYGROUND_USER,
      userName: 'playground',
      text: question,
      mentioned: true,
      mentions: [],
      kind: 'message',
      sentAt: Date.now(),
      appAvatar: pkg.config.slug,
    };
    const work = router.handle(event, transport);
    router.track(work);
    let shown: ReturnType<PlaygroundTransport['take']>;
    try {
      await work;
    } finally {
      shown = transport.take(event.eventId);
    }
    const { answer, notices, code, empty } = shown;
    // A playground event is always fresh, addressed and recent, so the router stays silent only
    // when it has already told this user to slow down in the current window.
    const status = answer ? 200 : code === 'RATE_LIMITED' || empty ? 429 : code === 'ACCESS_DENIED' ? 403 : 200;
    if (empty) notices.push("You're asking faster than I can keep up. Please try again in a minute.");
    send(res, status, { ok: status === 200, answer, notices });
  });
}

function headerOf(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The playground's one transport: what the router would post in a chat is kept by the event it
 * answers (the reply target's origin), for the HTTP request of that event to take.
 */
export class PlaygroundTransport implements ChatTransport {
  readonly platform = 'playground' as const;
  private readonly replies = new Map<string, Map<string, Reply>>();

  async post(target: ReplyTarget, reply: Reply): Promise<MessageRef> {
    const ref = { ...target, messageId: crypto.randomUUID() };
    this.of(target)?.set(ref.messageId, reply);
    return ref;
  }

  async update(ref: MessageRef, reply: Reply): Promise<void> {
    this.of(ref)?.set(ref.messageId, reply);
  }

  private of(target: ReplyTarget): Map<string, Reply> | undefined {
    const eventId = target.origin?.eventId;
    if (!eventId) return undefined;
    let replies = this.replies.get(eventId);
    if (!replies) this.replies.set(eventId, (replies = new Map()));
    return replies;
  }

  /** What was shown for `eventId` (and forget it): the answer, the notices, the first error code. */
  take(eventId: string): { answer?: Answer; notices: string[]; code?: string; empty: boolean } {
    const replies = this.replies.get(eventId) ?? new Map<string, Reply>();
    this.replies.delete(eventId);
    let answer: Answer | undefined;
    let code: string | undefined;
    const notices: string[] = [];
    for (const r of replies.values()) {
      if (r.kind === 'answer') answer = r.answer;
      else if (r.kind === 'notice') {
        notices.push(r.text);
        code ??= r.errorCode;
      } else if (r.kind === 'consent') notices.push(r.text);
    }
    return { answer, notices, code, empty: replies.size === 0 };
  }
}
