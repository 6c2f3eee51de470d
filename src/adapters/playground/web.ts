import crypto from 'node:crypto';
import type http from 'node:http';
import { z } from 'zod';
import { introduction, label } from '../../avatars/disclosure';
import { avatarIdentity } from '../../avatars/identity';
import type { AvatarPackage } from '../../avatars/package';
import { FEEDBACK_ACTION, feedbackValue } from '../../chat/actions';
import type { ChatRouter } from '../../chat/router';
import { conversationKey, viewerOf, type ChatEvent } from '../../chat/types';
import { readBody, send, type HttpServer } from '../../server/http-server';
import { mountWebAssets, routeGetAndHead, sendWebPage, webRoot, type PagePolicy } from '../../server/web-static';
import { allowedHostNames, bearerMatches, hostName, isJson } from './web-guard';
import { findPassage } from './web-passage';
import { PlaygroundSessions, UUID_RE } from './web-sessions';
import { EventStream, wantsEvents } from './web-stream';
import { PlaygroundTransport } from './web-transport';

/**
 * Who the playground user is to access lists, rate limits, admins and the audit log:
 * `playground:local`, one identity for everyone at the page (it is a local tool; a token,
 * when set, says only "may use the playground", not who). An avatar whose `access.users`
 * is set refuses it unless it lists `playground:local`.
 */
export const PLAYGROUND_USER = 'local';
const WORKSPACE = 'local';
const SESSION_HEADER = 'x-playground-session';
const RATE_LIMITED = "You're asking faster than I can keep up. Please try again in a minute.";

/** What the chat page may load: its own scripts and styles, requests to its own origin, nothing inline; it sends no Referer. */
const CHAT_PAGE: PagePolicy = {
  csp: "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  referrer: 'no-referrer',
};

const conversationId = z.string().regex(UUID_RE, 'must be a conversation id from POST /playground/api/conversations');

const askSchema = z.object({
  avatar: z.string().min(1).max(80),
  question: z.string().min(1).max(20_000),
  conversation: conversationId,
});

const feedbackSchema = z.object({
  avatar: z.string().min(1).max(80),
  conversation: conversationId,
  kind: z.enum(['up', 'down', 'correction']),
  /** The answer's message id (`ref` of the answer). */
  ref: z.string().max(100).optional(),
  text: z.string().max(4000).optional(),
  lang: z.enum(['zh', 'en']).optional(),
});

export interface WebPlaygroundOptions {
  /** The address the server listens on (decides which Host names are accepted). */
  host: string;
  /** PLAYGROUND_TOKEN: when set, every API call needs `Authorization: Bearer <token>`. */
  token?: string;
  /** The playground's transport; tests pass one that also records what it was asked to show. */
  transport?: PlaygroundTransport;
  /** The built web app (dist/web); tests point it elsewhere. */
  webRoot?: string;
}

/**
 * The browser chat on the same port, a chat platform like Slack and Feishu: each question
 * becomes a ChatEvent (platform `playground`) and goes through the router, so access lists, rate
 * limits, status and commands apply as everywhere else. The page is the web app's bundle.
 */
export function mountWebPlayground(server: HttpServer, router: ChatRouter, options: WebPlaygroundOptions): void {
  const hosts = allowedHostNames(options.host);
  const sessions = new PlaygroundSessions();
  const transport = options.transport ?? new PlaygroundTransport();
  const root = options.webRoot ?? webRoot();
  const service = router.service;

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

  /** The JSON body of a post, checked against `schema`; undefined when it has already answered 400. */
  const bodyOf = async <T>(req: http.IncomingMessage, res: http.ServerResponse, schema: z.ZodType<T>, shape: string): Promise<T | undefined> => {
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, 100_000)).toString('utf8'));
    } catch {
      send(res, 400, { ok: false, error: `body must be JSON: ${shape}` });
      return undefined;
    }
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    const i = parsed.error.issues[0];
    send(res, 400, { ok: false, error: `field ${i.path.join('.')}: ${i.message}` });
    return undefined;
  };

  mountWebAssets(server, root);

  routeGetAndHead(server, '/', async (req, res) => {
    if (!guard(req, res, false)) return;
    await sendWebPage(res, 'index.html', root, CHAT_PAGE);
  });

  server.route('GET', '/playground/api/avatars', (req, res) => {
    if (!guard(req, res, true)) return;
    send(res, 200, service.registry.list().map(describeAvatar));
  });

  server.route('POST', '/playground/api/conversations', async (req, res) => {
    if (!guard(req, res, true)) return;
    await readBody(req, 10_000);
    send(res, 201, { ok: true, ...sessions.open(headerOf(req, SESSION_HEADER)) });
  });

  server.route('POST', '/playground/api/ask', async (req, res) => {
    if (!guard(req, res, true)) return;
    const input = await bodyOf(req, res, askSchema, '{avatar, question, conversation}');
    if (!input) return;
    const { avatar, question, conversation } = input;
    if (!sessions.owns(headerOf(req, SESSION_HEADER), conversation)) {
      send(res, 403, { ok: false, error: 'this conversation belongs to another session or has expired: start a new one' });
      return;
    }
    const pkg = service.registry.find(avatar);
    if (!pkg) {
      send(res, 404, { ok: false, error: `no avatar "${avatar}"` });
      return;
    }
    const event = playgroundEvent(pkg, conversation, question);
    const stream = wantsEvents(req) ? new EventStream(res) : undefined;
    // As it happens: the placeholder, the answer being written, then the answer (or a notice).
    // `ref` names the message each event shows or replaces: a meeting has a header, one answer
    // per avatar and the synthesis, each its own message.
    const unwatch = stream
      ? transport.watch(event.eventId, ({ messageId: ref, reply }) => {
          if (reply.kind === 'status') stream.send('status', { text: reply.text, ref });
          else if (reply.kind === 'draft') stream.send('draft', { text: reply.text, ref });
          else if (reply.kind === 'answer') stream.send('answer', { answer: reply.answer, ref });
          else stream.send('notice', { text: reply.text, code: reply.kind === 'notice' ? reply.errorCode : undefined, ref });
        })
      : undefined;
    const work = router.handle(event, transport);
    router.track(work);
    let failed = false;
    try {
      await work;
    } catch {
      // The router reports its own failures as notices; this is the rare one past it (already logged by track()).
      failed = true;
    } finally {
      unwatch?.();
    }
    const { answer, ref, answers, notices, code, empty } = transport.take(event.eventId);
    // A playground event is always fresh, addressed and recent, so the router stays silent only
    // when it has already told this user to slow down in the current window.
    const status = answer ? 200 : failed ? 500 : code === 'RATE_LIMITED' || empty ? 429 : code === 'ACCESS_DENIED' ? 403 : 200;
    if (empty && !failed) notices.push(RATE_LIMITED);
    if (stream) {
      if (failed) stream.send('error', { message: 'Something went wrong while answering. Please try again.' });
      else if (empty) stream.send('notice', { text: RATE_LIMITED, code: 'RATE_LIMITED' });
      stream.send('done', { status });
      stream.end();
      return;
    }
    // `answer` and `ref`: the last answer, as before meetings; `answers`: every answer in order.
    send(res, status, { ok: status === 200, answer, ref, answers, notices });
  });

  server.route('POST', '/playground/api/feedback', async (req, res) => {
    if (!guard(req, res, true)) return;
    const input = await bodyOf(req, res, feedbackSchema, '{avatar, conversation, kind, ref?, text?}');
    if (!input) return;
    if (!sessions.owns(headerOf(req, SESSION_HEADER), input.conversation)) {
      send(res, 403, { ok: false, error: 'this conversation belongs to another session or has expired' });
      return;
    }
    const pkg = service.registry.find(input.avatar);
    if (!pkg) {
      send(res, 404, { ok: false, error: `no avatar "${input.avatar}"` });
      return;
    }
    if (input.kind === 'correction' && !input.text?.trim()) {
      send(res, 400, { ok: false, error: 'field text: write how they would have said it' });
      return;
    }
    // The same core action as a Slack or Feishu button press.
    const key = conversationKey(playgroundEvent(pkg, input.conversation, ''));
    const reply = await router.dispatchAction(
      {
        platform: 'playground', appId: 'playground', workspaceId: WORKSPACE, userId: PLAYGROUND_USER, channelId: input.conversation, messageId: input.ref, appAvatar: pkg.config.slug,
        actionId: FEEDBACK_ACTION,
        value: feedbackValue({ avatar: pkg.config.slug, conversation: key, kind: input.kind, ref: input.ref, text: input.text, lang: input.lang }),
      },
      transport,
    );
    if (!reply) send(res, 400, { ok: false, error: 'feedback not understood' });
    else send(res, reply.failed ? 500 : 200, { ok: !reply.failed, text: reply.text });
  });

  server.route('GET', '/playground/api/passage', async (req, res) => {
    if (!guard(req, res, true)) return;
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const avatar = q.get('avatar') ?? '';
    const source = q.get('source') ?? '';
    const locator = q.get('locator') ?? '';
    if (!avatar || !source || !locator || source.length > 1000 || locator.length > 300) {
      send(res, 400, { ok: false, error: 'query must name avatar, source and locator (from a citation)' });
      return;
    }
    const pkg = service.registry.find(avatar);
    if (!pkg) {
      send(res, 404, { ok: false, error: `no avatar "${avatar}"` });
      return;
    }
    if (pkg.config.status !== 'active' || !mayAsk(pkg)) {
      send(res, 403, { ok: false, error: `the avatar of ${pkg.config.person.name_en ?? pkg.config.person.name} is not open to the playground (${pkg.config.status !== 'active' ? pkg.config.status : 'access list'})` });
      return;
    }
    // The viewer of a playground DM: a private source is as absent as one that does not exist.
    const viewer = viewerOf({ platform: 'playground', userId: PLAYGROUND_USER, channelType: 'dm', channelId: 'web' });
    const passage = findPassage(service, pkg.config.slug, source, locator, viewer);
    if (!passage) {
      send(res, 404, { ok: false, error: 'no such passage to show (the source may have changed since the answer)' });
      return;
    }
    await service.store.audit({ actor: `playground:${PLAYGROUND_USER}`, action: 'source_opened', avatar: pkg.config.slug, detail: { source, locator } });
    send(res, 200, { ok: true, passage });
  });
}

/** What the page needs to show an avatar in its picker and above its conversations. */
function describeAvatar(a: AvatarPackage): Record<string, unknown> {
  const c = a.config;
  return {
    ...avatarIdentity(c),
    pronoun: c.person.pronoun,
    label: { en: label(c, 'en'), zh: label(c, 'zh') },
    disclosure: { en: introduction(c, 'en'), zh: introduction(c, 'zh') },
  };
}

/** The access list as the router's gate applies it to the playground user (who belongs to no group or channel). */
function mayAsk(pkg: AvatarPackage): boolean {
  const { users, groups, channels } = pkg.config.access;
  if (users.length === 0 && groups.length === 0 && channels.length === 0) return true;
  return users.includes(PLAYGROUND_USER) || users.includes(`playground:${PLAYGROUND_USER}`);
}

function playgroundEvent(pkg: AvatarPackage, conversation: string, question: string): ChatEvent {
  return {
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
}

function headerOf(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}
