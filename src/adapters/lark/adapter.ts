import type { IncomingMessage, ServerResponse } from 'node:http';
import * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from 'pino';
import type { Delivery, HandoffJournal, JournalEntry } from '../../chat/handoff-journal';
import type { ChatRouter } from '../../chat/router';
import type { ChannelType, ChatEvent, ChatTransport } from '../../chat/types';
import { classifyError, UnderstudyError } from '../../errors';
import { leaseKey, startLeased } from '../../store/lease';
import type { Runtime } from '../../app/runtime';
import { readBody, refuseStopping, send, type HttpServer } from '../../server/http-server';
import { AcksFirst } from '../acks-first';
import type { PlatformAdapter } from '../platform';
import { larkApps, type LarkAppConfig } from './apps';
import { actionValue, larkCardAction, type LarkCardActionEvent, type LarkCardActionResult } from './card-actions';
import { registerLarkFeedback } from './feedback';
import { normalizeMenu, normalizeMessage, type LarkMenuEvent, type LarkMessageEvent, type Normalized } from './normalize';
import { LarkApi, larkDomain } from './open-api';
import { sdkLogger } from './sdk-logger';
import { LarkTransport, P2P_CHATS } from './transport';
import { decryptLark, isFresh, matchingKey, sameToken } from './verify';

export const LARK_EVENTS_PATH = '/lark/events';

/** Events we receive but have nothing to do with: answered, so the SDK does not warn about them. */
const QUIET_EVENTS = [
  'im.message.message_read_v1',
  'im.message.reaction.created_v1',
  'im.message.reaction.deleted_v1',
  'im.message.recalled_v1',
  'im.chat.member.bot.added_v1',
  'im.chat.member.user.added_v1',
  'im.chat.member.user.deleted_v1',
  'im.chat.member.user.withdrawn_v1',
];

interface LiveApp {
  config: LarkAppConfig;
  api: LarkApi;
  botOpenId?: string;
  dispatcher: lark.EventDispatcher;
  ws?: lark.WSClient;
  /** The app's one transport: every reply of this app goes through it. */
  transport: LarkTransport;
}

type Json = Record<string, unknown>;

/**
 * Feishu/Lark edge: one SDK client and EventDispatcher per app, fed by our own verified HTTP
 * route (webhook) or by the SDK's long connection (ws). Handlers hand work to the router and
 * return at once: the long connection acks only after they return, and Feishu re-pushes after 3 s.
 */
export class LarkAdapter implements PlatformAdapter {
  readonly name = 'lark';
  private live: LiveApp[] = [];
  private leases: (() => Promise<void>)[] = [];
  private readonly log: Logger;
  private readonly chatTypes = new Map<string, ChannelType>();
  /** Webhook requests being verified and acked; answers start once there are none. */
  private readonly acks = new AcksFirst();
  /** A web replica's handoff journal (useJournal). */
  private journal: HandoffJournal | undefined;
  /** The journaled delivery whose handlers are running (set only during invoke()). */
  private collecting: Delivery | undefined;

  constructor(
    private readonly runtime: Runtime,
    private readonly router: ChatRouter,
  ) {
    this.log = runtime.log.child({ platform: 'lark' });
  }

  private get mode(): 'webhook' | 'ws' {
    return this.runtime.config.lark?.mode ?? 'webhook';
  }

  health(): Record<string, unknown> {
    return {
      mode: this.mode,
      apps: this.live.map((a) => ({ name: a.config.name, appId: a.config.appId, bot: a.botOpenId ?? null, ...(a.ws ? { connection: a.ws.getConnectionStatus().state } : {}) })),
    };
  }

  async start(server: HttpServer): Promise<void> {
    const { config, service } = this.runtime;
    const apps = larkApps(config, service.registry, this.log);
    if (apps.length === 0) throw new UnderstudyError('CONFIG_INVALID', 'Feishu is configured but no Feishu app has its secret set');
    registerLarkFeedback();
    this.live = await Promise.all(apps.map((a) => this.connect(a)));
    if (this.mode === 'ws') {
      // One replica holds each long connection (a Redis lease when REDIS_URL is set).
      for (const live of this.live) {
        this.leases.push(await startLeased(config.redisUrl, leaseKey('feishu-ws', live.config.appId), { start: () => this.openLongConnection(live), stop: async () => live.ws?.close({ force: true }) }, { log: this.log }));
      }
    } else {
      server.route('POST', LARK_EVENTS_PATH, (req, res) => this.handleHttp(req, res));
    }
    this.log.info({ apps: this.live.map((a) => a.config.name), mode: this.mode }, 'Feishu ready');
  }

  async startSending(): Promise<void> {
    this.live = await Promise.all(larkApps(this.runtime.config, this.runtime.service.registry, this.log).map((a) => this.connect(a)));
  }

  // A worker has not seen the event, so replies in a topic thread go by its root message alone.
  transportFor(appId: string): ChatTransport | undefined {
    return this.live.find((a) => a.config.appId === appId)?.transport;
  }

  async stop(): Promise<void> {
    await this.router.idle();
    for (const release of this.leases.splice(0)) await release();
  }

  /** The bot's identity (its open id tells a mention of us from others); a wrong secret fails here. */
  private async connect(app: LarkAppConfig): Promise<LiveApp> {
    const log = this.log.child({ app: app.name });
    const api = new LarkApi(app, this.runtime.config.lark?.domain, log);
    let bot: { open_id?: string };
    try {
      bot = await api.botInfo();
    } catch (err) {
      const e = classifyError(err);
      throw new UnderstudyError('PLATFORM_AUTH', `Feishu app "${app.name}" (${app.appId}) could not start: ${e.message}. Check its app id and secret, and that the bot capability is on.`, { cause: err });
    }
    const transport = new LarkTransport(api, this.runtime.service.store, this.log);
    const live: LiveApp = { config: app, api, botOpenId: bot.open_id, dispatcher: undefined as unknown as lark.EventDispatcher, transport };
    live.dispatcher = this.makeDispatcher(live, log);
    return live;
  }

  private async openLongConnection(live: LiveApp): Promise<void> {
    let failed: Error | undefined;
    const ws = new lark.WSClient({
      appId: live.config.appId,
      appSecret: live.config.appSecret,
      domain: larkDomain(this.runtime.config.lark?.domain),
      logger: sdkLogger(this.log.child({ app: live.config.name })),
      loggerLevel: lark.LoggerLevel.info,
      autoReconnect: true,
      onError: (err) => {
        failed = err;
        this.log.error({ app: live.config.name, err }, 'Feishu long connection failed');
      },
    });
    live.ws = ws;
    await ws.start({ eventDispatcher: this.journaling(live) });
    if (failed) {
      ws.close({ force: true });
      throw new UnderstudyError('PLATFORM_AUTH', `Feishu app "${live.config.name}" (${live.config.appId}): long connection refused: ${failed.message}. Check that the app uses long connection for events.`);
    }
  }

  private makeDispatcher(live: LiveApp, log: Logger): lark.EventDispatcher {
    const dispatcher = new lark.EventDispatcher({
      encryptKey: live.config.encryptKey,
      verificationToken: live.config.verificationToken,
      logger: sdkLogger(log),
      loggerLevel: lark.LoggerLevel.info,
    });
    // An event for another app (a shared key, a misrouted push) is not ours to answer.
    const mine = (data: { app_id?: string; event_id?: string }): boolean => {
      if (!data.app_id || data.app_id === live.config.appId) return true;
      log.warn({ app_id: data.app_id, event_id: data.event_id }, 'Feishu event for an unknown app_id ignored');
      return false;
    };
    const quiet = Object.fromEntries(QUIET_EVENTS.map((t) => [t, async () => undefined]));
    dispatcher.register({
      ...quiet,
      'im.message.receive_v1': async (data: LarkMessageEvent) => {
        if (mine(data)) this.onMessage(live, data);
        return undefined;
      },
      'application.bot.menu_v6': async (data: LarkMenuEvent) => {
        if (mine(data)) this.onMenu(live, data);
        return undefined;
      },
      'card.action.trigger': async (data: LarkCardActionEvent) => (mine(data) ? this.onCardAction(live, data) : {}),
      'im.chat.access_event.bot_p2p_chat_entered_v1': async (data: { app_id?: string; chat_id?: string; operator_id?: { open_id?: string } }) => {
        if (mine(data) && data.chat_id && data.operator_id?.open_id) await this.rememberP2p(live, data.operator_id.open_id, data.chat_id);
        return undefined;
      },
      // A chat's type may change or the chat may go: look it up again next time.
      ...Object.fromEntries(
        ['im.chat.updated_v1', 'im.chat.disbanded_v1', 'im.chat.member.bot.deleted_v1'].map((t) => [
          t,
          async (data: { chat_id?: string }) => {
            if (data.chat_id) this.chatTypes.delete(data.chat_id);
            return undefined;
          },
        ]),
      ),
    } as Record<string, (data: never) => Promise<unknown>>);
    return dispatcher;
  }

  /**
   * Acks first: an answer's retrieval runs on the same thread as the acks, and Feishu re-pushes
   * what is not acked within 3 s. So during a burst, answers wait until every request in flight
   * has its 200 (at most a second).
   */
  private handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return this.acks.acking(() => this.verifyAndDispatch(req, res));
  }

  /** Verify the request ourselves, then hand the decrypted event to that app's real EventDispatcher. */
  private async verifyAndDispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw: Buffer;
    try {
      raw = await readBody(req, 1_000_000);
    } catch {
      send(res, 413, { ok: false, error: 'request body too large' });
      return;
    }
    let body: Json;
    try {
      body = JSON.parse(raw.toString('utf8')) as Json;
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
    } catch {
      send(res, 400, { ok: false, error: 'body is not a JSON object' });
      return;
    }
    const header = (n: string): string | undefined => {
      const v = req.headers[n];
      return Array.isArray(v) ? v[0] : v;
    };
    const reject = (reason: string): void => {
      this.log.warn({ path: req.url, reason }, 'Feishu request rejected');
      send(res, 401, { ok: false, error: 'verification failed' });
    };
    const sig = { timestamp: header('x-lark-request-timestamp'), nonce: header('x-lark-request-nonce'), signature: header('x-lark-signature') };
    if (sig.timestamp !== undefined && !isFresh(sig.timestamp)) return reject('timestamp older than 5 minutes');

    let app: LiveApp | undefined;
    let data: Json | undefined;
    if (typeof body.encrypt === 'string') {
      const keyed = this.live.filter((a) => a.config.encryptKey);
      if (sig.signature) {
        const key = matchingKey(keyed.map((a) => a.config.encryptKey as string), sig, raw);
        app = keyed.find((a) => a.config.encryptKey === key);
        if (!app || !key) return reject('bad signature');
        data = this.decrypt(key, body.encrypt);
        if (!data) return reject('body does not decrypt');
      } else {
        // Only the URL challenge arrives unsigned; it must still decrypt with one of our keys.
        for (const a of keyed) {
          const d = this.decrypt(a.config.encryptKey as string, body.encrypt);
          if (d?.type === 'url_verification') {
            app = a;
            data = d;
            break;
          }
        }
        if (!app || !data) return reject('unsigned encrypted request');
      }
    } else {
      // Apps with an encrypt key always get encrypted pushes: plaintext must carry a token-only app's token.
      const token = tokenOf(body);
      app = this.live.find((a) => !a.config.encryptKey && a.config.verificationToken && sameToken(a.config.verificationToken, token));
      if (!app) return reject('no encryption and no matching verification token');
      data = body;
    }
    if (app.config.verificationToken && !sameToken(app.config.verificationToken, tokenOf(data))) return reject('wrong verification token');
    if (data.type === 'url_verification') {
      send(res, 200, { challenge: data.challenge });
      return;
    }
    // Handlers hand their work to the router, which runs it after the 200: a web replica journals
    // the event first (its raw body, still encrypted when it came so), as Feishu does not push an
    // acked event again.
    if (this.journal && !this.journal.recording) return refuseStopping(res);
    const delivery = this.journal?.record('lark', raw.toString('utf8'), { app: app.config.appId });
    let result: unknown;
    try {
      result = await this.invoke(app, data, req.headers, delivery);
    } catch (err) {
      // Handlers hand real work to the background, so what throws here is an event of a shape
      // we do not understand: a 4xx, which Feishu does not re-push, rather than a 500 it would.
      this.log.warn({ err, event_type: eventTypeOf(data) }, 'Feishu event rejected: malformed content');
      if (delivery) this.journal?.settle(delivery, true);
      send(res, 400, { ok: false, error: 'malformed event' });
      return;
    }
    send(res, 200, result && typeof result === 'object' ? result : {});
    if (delivery) void this.journal?.track(delivery, Promise.resolve());
  }

  /**
   * Hand an event to the app's EventDispatcher. The SDK calls the handler synchronously inside
   * invoke(), so the work a handler gives the router is `delivery`'s (this.collecting).
   */
  private invoke(app: LiveApp, data: Json, headers: IncomingMessage['headers'], delivery: Delivery | undefined): Promise<unknown> {
    // The SDK expects the request headers on the prototype of the body it dispatches.
    const event = Object.assign(Object.create({ headers }) as Json, data);
    this.collecting = delivery;
    try {
      return app.dispatcher.invoke(event, { needCheck: false });
    } finally {
      this.collecting = undefined;
    }
  }

  /**
   * The dispatcher the long connection calls. The SDK acks a pushed event once invoke() returns, and
   * Feishu does not push an acked event again: the process's handoff journal (when it has one) takes
   * the event first, as the webhook does before its 200, so a kill -9 before the hand-off (or the
   * answer, in role all) leaves it for the next start or another replica.
   */
  private journaling(live: LiveApp): lark.EventDispatcher {
    const invoke = async (data: Json): Promise<unknown> => {
      const delivery = this.journal?.record('lark', JSON.stringify(data), { app: live.config.appId });
      let result: unknown;
      try {
        result = await this.invoke(live, data, {}, delivery);
      } catch (err) {
        // A shape the handlers do not understand: nothing to replay (the SDK answers 500, and a
        // push of it again is journaled anew and fails the same way).
        if (delivery) this.journal?.settle(delivery, true);
        throw err;
      }
      if (delivery) void this.journal?.track(delivery, Promise.resolve());
      return result;
    };
    return Object.assign(Object.create(live.dispatcher) as lark.EventDispatcher, { invoke });
  }

  /** Hand a journaled event off again (a replica that acked it stopped first): the path after the ack. */
  private async replay(entry: JournalEntry, delivery: Delivery): Promise<boolean> {
    const app = this.live.find((a) => a.config.appId === entry.meta.app);
    let data: Json | undefined;
    try {
      const body = JSON.parse(entry.body) as Json;
      data = typeof body.encrypt === 'string' ? (app?.config.encryptKey ? this.decrypt(app.config.encryptKey, body.encrypt) : undefined) : body;
    } catch {
      data = undefined;
    }
    if (!app || !data) {
      this.log.warn({ entry: entry.id, app_id: entry.meta.app }, 'journaled Feishu event for no app configured here dropped');
      return true;
    }
    try {
      await this.invoke(app, data, {}, delivery);
    } catch (err) {
      this.log.warn({ err, entry: entry.id }, 'journaled Feishu event rejected: malformed content');
      return true;
    }
    return delivery.outcome();
  }

  /** Web replicas: journal acked webhook events, and take over those of replicas that stopped (handoff-journal.ts). */
  useJournal(journal: HandoffJournal): void {
    this.journal = journal;
    journal.register('lark', (entry, delivery) => this.replay(entry, delivery));
  }

  private decrypt(key: string, encrypted: string): Json | undefined {
    try {
      const d = JSON.parse(decryptLark(key, encrypted)) as Json;
      return d && typeof d === 'object' ? d : undefined;
    } catch {
      return undefined;
    }
  }

  private async rememberP2p(live: LiveApp, openId: string, chatId: string): Promise<void> {
    const key = `${live.config.appId}:${openId}`;
    const store = this.runtime.service.store;
    if ((await store.kvGet<string>(P2P_CHATS, key)) !== chatId) await store.kvSet(P2P_CHATS, key, chatId);
  }

  private onMessage(live: LiveApp, data: LarkMessageEvent): void {
    let n: Normalized;
    try {
      // The chat type of a group is settled below; it only matters once the message is ours.
      n = normalizeMessage(data, live.config, live.botOpenId, 'public_channel');
    } catch (err) {
      this.log.warn({ event_id: data.event_id, message_id: data.message?.message_id, err }, 'Feishu message with malformed content skipped');
      return;
    }
    if (n.kind === 'ignore') {
      this.log.debug({ event_id: data.event_id, reason: n.reason }, 'Feishu message ignored');
      return;
    }
    const m = data.message as NonNullable<LarkMessageEvent['message']>;
    // Remembered before the message is handled (a menu press right after finds the chat); a failure only costs that.
    const remembered =
      n.event.channelType === 'dm'
        ? this.rememberP2p(live, n.event.userId, n.event.channelId).catch((err: unknown) => this.log.warn({ err, event_id: data.event_id }, 'could not remember the Feishu p2p chat'))
        : undefined;
    live.transport.rememberThread(n.event.threadId, m.thread_id);
    const event = n.event;
    const resolved: Promise<ChatEvent> = Promise.all([this.acks.quiet(), remembered]).then(() =>
      event.channelType === 'dm' ? event : this.chatType(live, m.chat_id).then((channelType) => ({ ...event, channelType })),
    );
    // A picture or a file goes through the same gates; the text-only gate answers it with a note.
    const notText = n.kind === 'not_text' ? n.messageType : undefined;
    // Acked (or about to be) before a graceful stop began: answered even when the stop begins while
    // it waits for the other acks (Feishu does not push an acked event again).
    this.router.dispatch(
      resolved.then((e) => (notText === undefined ? e : { ...e, notText })),
      live.transport,
      this.collecting,
      !this.router.shuttingDown,
    );
  }

  private onMenu(live: LiveApp, data: LarkMenuEvent): void {
    const user = data.operator?.operator_id?.open_id;
    // A menu key is text the app owner configured; anything else (a number, "_" alone) names no command.
    const key = typeof data.event_key === 'string' ? data.event_key : '';
    const named = /[^_\s/]/.test(key);
    if (typeof user !== 'string' || !named) {
      this.log.warn({ event_id: data.event_id }, 'Feishu menu event without operator or key ignored');
      return;
    }
    // The p2p chat lookup is a store read: the router handles the event once it resolves.
    const resolved = this.runtime.service.store.kvGet<string>(P2P_CHATS, `${live.config.appId}:${user}`).then((chat) => {
      const event = normalizeMenu(data, live.config, chat);
      if (!event) {
        this.log.warn({ event_id: data.event_id }, 'Feishu menu event without operator or key ignored');
        return undefined;
      }
      return event;
    });
    this.router.dispatch(resolved, live.transport, this.collecting);
  }

  private async onCardAction(live: LiveApp, data: LarkCardActionEvent): Promise<LarkCardActionResult | Json> {
    const value = actionValue(data.action);
    const key = typeof value.k === 'string' ? value.k : undefined;
    const handler = key ? larkCardAction(key) : undefined;
    const userId = data.operator?.open_id;
    if (key && !handler && userId && this.router.actions.has(key)) {
      // A button the core handles on every platform (consent Approve/Decline).
      void this.router.dispatchAction(
        { platform: 'lark', appId: live.config.appId, workspaceId: data.tenant_key ?? data.operator?.tenant_key ?? '-', userId, actionId: key, value: typeof value.v === 'string' ? value.v : '', channelId: data.context?.open_chat_id, messageId: data.context?.open_message_id, appAvatar: live.config.avatar },
        live.transport,
      );
      return { toast: { type: 'info', content: value.l === 'zh' ? '已收到' : 'Received' } };
    }
    // Buttons of other features or apps' cards: acknowledge, change nothing.
    if (!handler || !userId) return {};
    try {
      const result = await handler({
        value,
        formValue: data.action?.form_value ?? {},
        userId,
        tenantKey: data.tenant_key ?? data.operator?.tenant_key,
        messageId: data.context?.open_message_id,
        chatId: data.context?.open_chat_id,
        app: live.config,
        api: live.api,
        runtime: this.runtime,
        router: this.router,
        transport: live.transport,
        log: this.log.child({ event_id: data.event_id, action: value.k }),
        background: (work) => this.router.dispatch(work.then(() => undefined), live.transport),
      });
      return result ?? {};
    } catch (err) {
      const e = classifyError(err);
      this.log.error({ action: value.k, code: e.code, err }, 'Feishu card action failed');
      return { toast: { type: 'error', content: `Sorry, that did not work (${e.code}).` } };
    }
  }

  /** Public or private group: asked once per chat. When unsure, public, where only public sources show. */
  private async chatType(live: LiveApp, chatId: string): Promise<ChannelType> {
    const known = this.chatTypes.get(chatId);
    if (known) return known;
    let type: ChannelType = 'public_channel';
    try {
      const chat = await live.api.call<{ chat_type?: string }>('im.v1.chat.get', () => live.api.client.im.v1.chat.get({ path: { chat_id: chatId } }));
      type = chat.chat_type === 'private' ? 'private_channel' : 'public_channel';
    } catch {
      // Logged by the call; public is the safe side.
    }
    this.chatTypes.set(chatId, type);
    return type;
  }
}

function eventTypeOf(data: Json): string | undefined {
  const h = data.header as { event_type?: unknown } | undefined;
  const t = h && typeof h === 'object' ? h.event_type : (data.event as { type?: unknown } | undefined)?.type;
  return typeof t === 'string' ? t.slice(0, 80) : undefined;
}

/** The verification token of a v2 event (in its header) or a v1 event or challenge (at the top). */
function tokenOf(data: Json): string | undefined {
  // The SDK treats any body with a `schema` key as v2 (even `schema: ""`) and takes the event from
  // its header, so the token must come from there too.
  const h = data.header;
  const t = 'schema' in data ? (h && typeof h === 'object' ? (h as { token?: unknown }).token : undefined) : data.token;
  return typeof t === 'string' ? t : undefined;
}
