import type { IncomingMessage } from 'node:http';
import { App, HTTPReceiver, SocketModeReceiver, type AllMiddlewareArgs, type Authorize } from '@slack/bolt';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Delivery, HandoffJournal, JournalEntry } from '../../chat/handoff-journal';
import type { ChatRouter } from '../../chat/router';
import type { ChannelType, ChatEvent, ChatTransport } from '../../chat/types';
import { UnderstudyError } from '../../errors';
import { leaseKey, startLeased } from '../../store/lease';
import type { Runtime } from '../../app/runtime';
import { readBody, refuseStopping, send, type HttpServer } from '../../server/http-server';
import { AcksFirst } from '../acks-first';
import type { PlatformAdapter } from '../platform';
import { slackApps, type SlackAppConfig } from './apps';
import { boltLogger } from './bolt-logger';
import { registerFeedback, type ActionSource } from './feedback';
import { channelTypeOf, normalizeCommand, normalizeMessage, type SlackEnvelope, type SlackMessageEvent, type SlashCommandBody } from './normalize';
import { ASSISTANT_THREADS, SlackTransport } from './transport';
import { checkSlackBody, type SlackBody } from './request-shape';
import { matchingSecret } from './verify';
import { classifySlackError } from './web-errors';

export const SLACK_EVENTS_PATH = '/slack/events';

/** Bounded retries: a failing Web API never retries for half an hour. */
export function webClientOptions(apiUrl: string | undefined, logger?: WebClientOptions['logger']): WebClientOptions {
  return {
    slackApiUrl: apiUrl,
    // 429s come back to us (transport.ts) so that the wait can be bounded.
    rejectRateLimitedCalls: true,
    timeout: 15_000,
    retryConfig: { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 10_000, maxRetryTime: 60_000 },
    logger,
  };
}

interface LiveApp {
  config: SlackAppConfig;
  botUserId?: string;
  teamId?: string;
  /** https://<workspace>.slack.com/, for permalinks. */
  url?: string;
  /** The app's one transport: every reply of this app goes through it. */
  transport: SlackTransport;
}

/** Acked events whose gates (dedupe, rate limits, the hand-off to the queue) run at a time. */
const GATE_CONCURRENCY = 32;
/** The longest an event keeps its place among the GATE_CONCURRENCY running ones. */
const LINE_HOLD_MS = 250;
/** Items a line starts on one turn of the event loop. */
const PER_TURN = 32;

/**
 * Acked events waiting for their next step, first in first out, started on a turn of the event
 * loop (its check phase, setImmediate), up to PER_TURN at once, only once no request is being
 * acked and no burst of them is coming in (AcksFirst), at most `concurrency` at a time. An Events API request is acked before its
 * listener runs (by handleHttp, or by Bolt with processBeforeResponse off), so an event's store and
 * queue work never delays its own ack; the line keeps it from delaying the acks of the events
 * behind it too: under a burst, the gates of all the events at once took the CPU while the requests
 * after them waited. Starting a batch on one turn lets their Redis commands share writes (ioredis
 * pipelines what one turn sends): about a seventh to a quarter less CPU per event here, and a
 * quarter to a third less for Redis (README, the ack bench).
 * A running item gives its place back when it ends or after `holdMs`, whichever is first: the line
 * paces the gates of a burst, and long work (a meeting run on this replica) must not keep the
 * events behind it waiting.
 * An event acked and not yet handed off is in the replica's handoff journal (handoff-journal.ts):
 * after a kill -9 another replica hands it off (Slack does not deliver an acked event again).
 * Graceful shutdown waits for the line (each item is tracked by the router from the start).
 */
class PacedLine {
  private readonly waiting: { run: () => Promise<void>; at: number }[] = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly acks: AcksFirst,
    private readonly concurrency = Number.POSITIVE_INFINITY,
    private readonly holdMs?: number,
  ) {}

  /** Queue `work`; resolves once it has run (never rejects: `work` handles its own failures). */
  push(work: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiting.push({ run: () => work().finally(resolve), at: Date.now() });
      this.schedule();
    });
  }

  private schedule(): void {
    const head = this.waiting[0];
    if (this.scheduled || this.running >= this.concurrency || !head) return;
    this.scheduled = true;
    void this.acks.quiet(head.at).then(() =>
      setImmediate(() => {
        this.scheduled = false;
        // Requests read since the release (this turn's poll phase) are being acked: wait for them too.
        const first = this.waiting[0];
        if (first && !this.acks.ready(first.at)) return this.schedule();
        for (let started = 0; started < PER_TURN && this.running < this.concurrency; started++) {
          const next = this.waiting.shift();
          if (!next) break;
          this.start(next);
        }
        this.schedule();
      }),
    );
  }

  private start(item: { run: () => Promise<void> }): void {
    this.running++;
    let timer: NodeJS.Timeout | undefined;
    const held = this.holdMs === undefined ? [] : [new Promise<void>((r) => (timer = setTimeout(r, this.holdMs)))];
    void Promise.race([item.run(), ...held]).finally(() => {
      clearTimeout(timer);
      this.running--;
      this.schedule();
    });
  }
}

/**
 * Events API deliveries the adapter acks itself: Bolt acks them with an empty 200 before any
 * listener runs, whatever the listeners do. Not function_executed: its listener acks it.
 */
function ackedHere(body: SlackBody): boolean {
  return body.type === 'event_callback' && (body.event as { type?: unknown }).type !== 'function_executed';
}

/** Bolt context property: the adapter acked this event before the router began shutting down. */
const ACKED_BEFORE_SHUTDOWN = 'understudyAckedBeforeShutdown';
/** Bolt context property: the journaled event's Delivery, told when its listener has handed it off. */
const HANDED_OFF = 'understudyDelivery';

/** A delivery's retry number and reason as its journal entry keeps them (strings, only when set). */
function retryMeta(num: string | number | undefined, reason: string | undefined): Record<string, string> {
  return { ...(num !== undefined && num !== '' ? { retryNum: String(num) } : {}), ...(reason ? { retryReason: reason } : {}) };
}

/** x-slack-retry-num as Bolt's HTTPReceiver reads it. */
function retryNum(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number.parseInt(value, 10);
}

interface Group {
  secret?: string;
  app: App;
  receiver?: HTTPReceiver;
  apps: LiveApp[];
}

/**
 * Slack edge: one Bolt App per signing secret (HTTP) or per app token (Socket Mode), all
 * feeding the same router. Events are acked at once and answered in the background.
 */
export class SlackAdapter implements PlatformAdapter {
  readonly name = 'slack';
  private groups: Group[] = [];
  private leases: (() => Promise<void>)[] = [];
  private live: LiveApp[] = [];
  private readonly log: Logger;
  private readonly channelTypes = new Map<string, ChannelType>();
  /** Events API requests being verified and acked: the work after an ack waits for them. */
  private readonly acks = new AcksFirst();
  /** A web replica's acked message events on their way to the router's gates and hand-off. */
  private readonly acked = new PacedLine(this.acks, GATE_CONCURRENCY, LINE_HOLD_MS);
  /** A web replica's events acked by handleHttp, on their way to their Bolt App. */
  private readonly toBolt = new PacedLine(this.acks);
  /** A web replica's handoff journal (useJournal). */
  private journal: HandoffJournal | undefined;

  constructor(
    private readonly runtime: Runtime,
    private readonly router: ChatRouter,
  ) {
    this.log = runtime.log.child({ platform: 'slack' });
  }

  health(): Record<string, unknown> {
    return { mode: this.runtime.config.slack?.mode ?? 'http', apps: this.live.map((a) => ({ name: a.config.name, appId: a.config.appId ?? null, team: a.teamId ?? null })) };
  }

  async start(server: HttpServer): Promise<void> {
    const { config, service } = this.runtime;
    const apps = slackApps(config, service.registry);
    if (apps.length === 0) throw new UnderstudyError('CONFIG_INVALID', 'Slack is configured but no Slack app has its bot token set');
    this.live = await Promise.all(apps.map((a) => this.authTest(a)));
    const socket = config.slack?.mode === 'socket';
    if (socket) {
      for (const live of this.live) {
        // Bolt hands installerOptions.clientOptions to its SocketModeClient (apps.connections.open).
        const receiver = new SocketModeReceiver({
          appToken: live.config.appToken as string,
          logger: boltLogger(this.log),
          installerOptions: { clientOptions: webClientOptions(config.slack?.apiUrl, boltLogger(this.log)) },
        });
        const app = this.makeApp({ receiver, apps: [live] });
        this.journalSocketEvents(app);
        this.groups.push({ app, apps: [live] });
        // One replica holds each Socket Mode connection (a Redis lease when REDIS_URL is set).
        this.leases.push(await startLeased(config.redisUrl, leaseKey('slack-socket', live.config.appId ?? live.config.name), { start: async () => void (await app.start()), stop: async () => void (await app.stop()) }, { log: this.log }));
      }
    } else {
      const bySecret = new Map<string, LiveApp[]>();
      for (const live of this.live) bySecret.set(live.config.signingSecret as string, [...(bySecret.get(live.config.signingSecret as string) ?? []), live]);
      for (const [secret, group] of bySecret) {
        const receiver = new HTTPReceiver({ signingSecret: secret, endpoints: SLACK_EVENTS_PATH, logger: boltLogger(this.log), unhandledRequestTimeoutMillis: 2_500 });
        this.groups.push({ secret, receiver, apps: group, app: this.makeApp({ receiver, apps: group }) });
      }
      server.route('POST', SLACK_EVENTS_PATH, (req, res) => this.handleHttp(req, res));
    }
    this.log.info({ apps: this.live.map((a) => a.config.name), mode: socket ? 'socket' : 'http' }, 'Slack ready');
  }

  async startSending(): Promise<void> {
    this.live = await Promise.all(slackApps(this.runtime.config, this.runtime.service.registry).map((a) => this.authTest(a)));
  }

  transportFor(appId: string): ChatTransport | undefined {
    return this.appFor(this.live, appId)?.transport;
  }

  async stop(): Promise<void> {
    await this.router.idle();
    for (const release of this.leases.splice(0)) await release().catch((err: unknown) => this.log.error({ err }, 'stopping a Socket Mode connection failed'));
    this.groups = [];
  }

  /** An Events API request, counted among those being acked until its handler returns (AcksFirst). */
  private handleHttp(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    return this.acks.acking(() => this.verifyAndAck(req, res));
  }

  /** Verify against every configured secret ourselves, then hand the request to that app's real Bolt receiver. */
  private async verifyAndAck(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    let raw: Buffer;
    try {
      raw = await readBody(req, 2_000_000);
    } catch {
      send(res, 413, { ok: false, error: 'request body too large' });
      return;
    }
    const header = (n: string): string | undefined => {
      const v = req.headers[n];
      return Array.isArray(v) ? v[0] : v;
    };
    const secret = matchingSecret(
      this.groups.map((g) => g.secret as string),
      { timestamp: header('x-slack-request-timestamp'), signature: header('x-slack-signature') },
      raw,
    );
    const group = this.groups.find((g) => g.secret === secret);
    if (!group?.receiver) {
      this.log.warn({ path: req.url }, 'Slack request rejected: bad signature or stale timestamp');
      send(res, 401, { ok: false, error: 'invalid signature' });
      return;
    }
    // Signed is not well-formed: Bolt crashes or stalls on shapes it does not expect (request-shape.ts).
    const shape = checkSlackBody(header('content-type'), raw);
    if (!shape.ok) {
      this.log.warn({ path: req.url, reason: shape.reason }, 'Slack request rejected: malformed body');
      send(res, 400, { ok: false, error: `malformed request: ${shape.reason}` });
      return;
    }
    if (shape.body.type === 'app_rate_limited') {
      this.log.warn({ api_app_id: shape.body.api_app_id, minute: shape.body.minute_rate_limited }, 'Slack is rate-limiting event deliveries to this app');
      send(res, 200, { ok: true });
      return;
    }
    if (ackedHere(shape.body)) {
      // Bolt's HTTPReceiver would parse and verify the body again and ack only after its App
      // authorized the event; we ack as it does (200, no body, no headers of its own) and hand the
      // parsed body to the same App. Its listeners run after the response is on its way, so a web
      // replica journals the event first: Slack does not deliver an acked event again.
      if (this.journal && !this.journal.recording) return refuseStopping(res);
      const retry = { num: header('x-slack-retry-num'), reason: header('x-slack-retry-reason') };
      const delivery = this.journal?.record('slack', raw.toString('utf8'), retryMeta(retry.num, retry.reason));
      res.writeHead(200);
      res.end();
      this.handOffAcked(group, shape.body, retry, delivery);
      return;
    }
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = raw;
    // Bolt verifies, runs the listener and acks after this call returns (a slash command, a button):
    // the request counts among those being acked until its response is sent.
    const { receiver } = group;
    await new Promise<void>((resolve) => {
      res.once('finish', resolve);
      res.once('close', resolve);
      receiver.requestListener(req, res);
    });
  }

  /**
   * An acked event to its Bolt App. `delivery` (a journaled event, on a web replica) is marked
   * done in the journal once its listeners have handed it off.
   */
  private handOffAcked(group: Group, body: SlackBody, retry: { num?: string; reason?: string }, delivery?: Delivery): Promise<void> {
    // An event acked before a graceful stop began is answered even if its listener runs after it
    // began (waiting in its line), as when Bolt's receiver ran the listener right after its ack.
    const event = { body, ack: async () => undefined, retryNum: retryNum(retry.num), retryReason: retry.reason, customProperties: this.afterAck(delivery) };
    const toBolt = (): Promise<void> => {
      const processed = group.app.processEvent(event);
      const logged = processed.catch((err: unknown) => this.log.error({ err }, 'Slack event processing failed after its ack'));
      return this.journal && delivery ? this.journal.track(delivery, processed) : logged;
    };
    // A web replica (answers handed to workers) paces the hand-over as it paces the gates
    // (PacedLine); a process that answers in place runs the listener once the requests being
    // acked have their 200 (its lanes and answer slots decide the rest).
    const work = this.runtime.jobs ? this.toBolt.push(toBolt) : this.acks.quiet().then(toBolt);
    this.router.track(work, 'event');
    return work;
  }

  /**
   * What an acked event's listener is told (Bolt context properties): whether it was acked before a
   * graceful stop began (then it is answered even if its listener runs after), and its journal entry.
   */
  private afterAck(delivery: Delivery | undefined): Record<string, unknown> {
    return { [ACKED_BEFORE_SHUTDOWN]: !this.router.shuttingDown, ...(delivery ? { [HANDED_OFF]: delivery } : {}) };
  }

  /**
   * Socket Mode: Bolt acks an Events API envelope inside processEvent, before its listeners run, and
   * Slack does not send an acked envelope again. The process's handoff journal (when it has one)
   * takes the envelope first, as handleHttp does before its 200, so a kill -9 before the hand-off
   * (or the answer, in role all) leaves it for the next start or another replica.
   */
  private journalSocketEvents(app: App): void {
    const processEvent = app.processEvent.bind(app);
    app.processEvent = (event) => {
      const body = event.body as SlackBody;
      // A journaled event handed off again (replay) already has its entry.
      if (!this.journal || !ackedHere(body) || event.customProperties?.[HANDED_OFF]) return processEvent(event);
      const delivery = this.journal.record('slack', JSON.stringify(body), retryMeta(event.retryNum, event.retryReason));
      const processed = processEvent({ ...event, customProperties: { ...event.customProperties, ...this.afterAck(delivery) } });
      // A graceful stop waits for it, as for an Events API request's listener (handOffAcked).
      this.router.track(this.journal.track(delivery, processed), 'event');
      return processed;
    };
  }

  /** Hand a journaled event off again (a replica that acked it stopped first): the path after the ack. */
  private async replay(entry: JournalEntry, delivery: Delivery): Promise<boolean> {
    const shape = checkSlackBody('application/json', Buffer.from(entry.body, 'utf8'));
    const appId = shape.ok ? (shape.body as { api_app_id?: string }).api_app_id : undefined;
    // Journaled by a webhook or by a Socket Mode connection: either group's App hands it off.
    const group = shape.ok ? this.groups.find((g) => this.appFor(g.apps, appId)) : undefined;
    if (!shape.ok || !group) {
      this.log.warn({ entry: entry.id, api_app_id: appId }, 'journaled Slack event for no app configured here dropped');
      return true;
    }
    await this.handOffAcked(group, shape.body, { num: entry.meta.retryNum, reason: entry.meta.retryReason }, delivery);
    return delivery.outcome();
  }

  /** Web replicas: journal acked events, and take over those of replicas that stopped (handoff-journal.ts). */
  useJournal(journal: HandoffJournal): void {
    this.journal = journal;
    journal.register('slack', (entry, delivery) => this.replay(entry, delivery));
  }

  private async authTest(app: SlackAppConfig): Promise<LiveApp> {
    const client = new WebClient(app.botToken, webClientOptions(this.runtime.config.slack?.apiUrl, boltLogger(this.log)));
    try {
      const res = await client.auth.test();
      const botUserId = res.user_id as string | undefined;
      const url = res.url as string | undefined;
      return {
        config: { ...app, teamId: app.teamId ?? (res.team_id as string | undefined) },
        botUserId,
        teamId: res.team_id as string | undefined,
        url,
        transport: new SlackTransport(client, botUserId, this.runtime.service.store, this.log, url),
      };
    } catch (err) {
      const e = classifySlackError(err, 'auth.test');
      const name = `Slack app "${app.name}"${app.appId ? ` (${app.appId})` : ''}`;
      if (e.code === 'PLATFORM_AUTH') throw new UnderstudyError('PLATFORM_AUTH', `${name} failed auth.test: ${e.message}. Check its bot token.`, { cause: err });
      // A network failure is not a bad token: say where we tried to go.
      const api = this.runtime.config.slack?.apiUrl ?? 'https://slack.com/api/';
      throw new UnderstudyError('PLATFORM_TRANSIENT', `${name} could not reach the Slack API at ${api} (${e.message}). Check the network or proxy settings; the token was not checked.`, { cause: err });
    }
  }

  /** Which configured app an envelope is for: an avatar's app by id, else the hub. */
  private appFor(apps: LiveApp[], appId: string | undefined): LiveApp | undefined {
    return apps.find((a) => a.config.appId && a.config.appId === appId) ?? (appId && this.live.some((a) => a.config.appId === appId) ? undefined : apps.find((a) => !a.config.avatar));
  }

  private makeApp(opts: { receiver: HTTPReceiver | SocketModeReceiver; apps: LiveApp[] }): App {
    const authorize: Authorize<boolean> = async (source, body) => {
      const appId = (body as { api_app_id?: string } | undefined)?.api_app_id;
      const live = this.appFor(opts.apps, appId);
      if (!live) throw new Error(`no Slack app configured for api_app_id ${appId ?? '(none)'}`);
      return { botToken: live.config.botToken, botUserId: live.botUserId, teamId: source.teamId };
    };
    const app = new App({
      receiver: opts.receiver,
      authorize,
      logger: boltLogger(this.log),
      clientOptions: webClientOptions(this.runtime.config.slack?.apiUrl, boltLogger(this.log)),
      ignoreSelf: true,
      // Bolt's conversation store is not used (state lives in our store); its default in-memory one
      // costs a failed lookup (an Error and its stack) per event on the ack path.
      convoStore: false,
    });
    app.error(async (err) => {
      this.log.error({ err }, 'Slack listener failed');
    });
    const withApp = <T extends { body: unknown }>(handler: (args: T, live: LiveApp) => Promise<void>) => async (args: T): Promise<void> => {
      const appId = (args.body as { api_app_id?: string }).api_app_id;
      const live = this.appFor(opts.apps, appId);
      if (!live) {
        this.log.warn({ api_app_id: appId }, 'event for an unknown Slack app ignored');
        return;
      }
      await handler(args, live);
    };

    // Channel messages that mention the bot also arrive as app_mention; either answers, once.
    const onMessage = withApp(async (args: { event: unknown; body: unknown; client: WebClient; context: Record<string, unknown> }, live) => {
      const ev = args.event as SlackMessageEvent;
      const known = channelTypeOf(ev.channel_type, ev.channel);
      // The channel lookup is part of the dispatched work, so idle() and shutdown wait for it.
      const event = (known ? Promise.resolve(known) : this.channelType(args.client, ev.channel)).then((type) =>
        normalizeMessage(args.body as SlackEnvelope, ev, live.config, live.botUserId, type),
      );
      this.dispatchInLine(event, live.transport, args.context[ACKED_BEFORE_SHUTDOWN] === true, args.context[HANDED_OFF] as Delivery | undefined);
    });
    app.event('message', onMessage);
    app.event('app_mention', onMessage);
    app.event('assistant_thread_started', withApp(async (args: { event: unknown; client: WebClient; body: unknown }, live) => {
      const t = (args.event as { assistant_thread: { channel_id: string; thread_ts: string; user_id: string; context?: unknown } }).assistant_thread;
      await this.runtime.service.store.kvSet(ASSISTANT_THREADS, `${t.channel_id}:${t.thread_ts}`, { user: t.user_id, context: t.context ?? null });
      await this.suggestPrompts(args.client, live, t.channel_id, t.thread_ts);
    }));
    app.event('assistant_thread_context_changed', withApp(async (args: { event: unknown; body: unknown }) => {
      const t = (args.event as { assistant_thread: { channel_id: string; thread_ts: string; user_id: string; context?: unknown } }).assistant_thread;
      await this.runtime.service.store.kvSet(ASSISTANT_THREADS, `${t.channel_id}:${t.thread_ts}`, { user: t.user_id, context: t.context ?? null });
    }));
    app.command(/.*/, withApp(async (args: { command: unknown; ack: () => Promise<void>; body: unknown; client: WebClient }, live) => {
      await args.ack();
      this.router.dispatch(normalizeCommand(args.command as SlashCommandBody, live.config), live.transport);
    }));
    // Buttons the core handles (feedback, consent Approve/Decline): normalized and handed to the router.
    const sourceOf = (body: unknown): ActionSource | undefined => {
      const live = this.appFor(opts.apps, (body as { api_app_id?: string }).api_app_id);
      if (!live) return undefined;
      const b = body as { user: { id: string }; team?: { id?: string } | null; channel?: { id: string }; message?: { ts: string } };
      return {
        base: { platform: 'slack', appId: live.config.appId ?? live.config.name, workspaceId: b.team?.id ?? live.teamId ?? '-', userId: b.user.id, channelId: b.channel?.id, messageId: b.message?.ts, appAvatar: live.config.avatar },
        transport: live.transport,
      };
    };
    registerFeedback(app, this.router, this.log, sourceOf);
    app.action(/^understudy_consent_/, async (args) => {
      await args.ack();
      const source = sourceOf(args.body);
      const a = args.action as { action_id: string; value?: string };
      if (source) void this.router.dispatchAction({ ...source.base, actionId: a.action_id, value: a.value ?? '' }, source.transport);
    });
    // Buttons, menus and views of other apps' messages: acknowledge so Slack shows no error.
    app.action(/^(?!understudy_)/, async ({ ack }) => ack());
    app.view(/^(?!understudy_)/, async ({ ack }) => ack());
    app.shortcut(/.*/, async ({ ack }) => ack());
    app.options(/.*/, async ({ ack }) => ack({ options: [] }));
    return app;
  }

  /** An acked message event to the router, in line behind the events acked before it (PacedLine). */
  private dispatchInLine(event: Promise<ChatEvent | undefined>, transport: ChatTransport, ackedBeforeShutdown = false, delivery?: Delivery): void {
    // During shutdown the router refuses new events (and counts them); those already in line are
    // finished, and so are those acked before it began (handleHttp) whose listener runs during it.
    // Only a web replica (answers handed to workers: the router returns once the job is queued)
    // paces its events; a process that answers in place dispatches at once, as its lanes and answer
    // slots already decide what waits (a line here held places for whole answers).
    if (this.router.shuttingDown ? !ackedBeforeShutdown : !this.runtime.jobs) return this.router.dispatch(event, transport, delivery, ackedBeforeShutdown);
    let handedOff = false;
    const work = this.acked.push(async () => {
      try {
        const e = await event;
        if (e) await this.router.handle(e, transport, { kind: 'event', since: Date.now(), eventId: e.eventId }, delivery?.token);
        handedOff = true;
      } catch (err) {
        this.log.error({ err }, 'dispatch failed');
      }
    });
    delivery?.add(work.then(() => handedOff));
    this.router.track(work, 'event');
  }

  /** Public or private, for events that do not say (app_mention): ask once, assume public if unsure. */
  private async channelType(client: WebClient, channel: string): Promise<ChannelType> {
    const known = this.channelTypes.get(channel);
    if (known) return known;
    let type: ChannelType = 'public_channel';
    try {
      const info = await client.conversations.info({ channel });
      const c = info.channel as { is_im?: boolean; is_private?: boolean; is_mpim?: boolean } | undefined;
      type = c?.is_im ? 'dm' : c?.is_private || c?.is_mpim ? 'private_channel' : 'public_channel';
    } catch (err) {
      // Answering as if public is the safe side: only public sources can be shown.
      classifySlackError(err, 'conversations.info', this.log);
    }
    this.channelTypes.set(channel, type);
    return type;
  }

  private async suggestPrompts(client: WebClient, live: LiveApp, channel: string, thread: string): Promise<void> {
    const avatar = live.config.avatar ? this.runtime.service.registry.find(live.config.avatar) : undefined;
    const prompts = avatar
      ? [
          { title: 'What did you own?', message: 'What systems and responsibilities did you own?' },
          { title: 'A procedure', message: 'Walk me through your most common procedure, step by step.' },
          { title: 'Summarize a thread', message: 'Summarize this thread' },
        ]
      : [
          { title: 'Which avatars are here?', message: '/avatar list' },
          { title: 'Summarize a thread', message: 'Summarize this thread' },
        ];
    try {
      await client.assistant.threads.setSuggestedPrompts({ channel_id: channel, thread_ts: thread, prompts, title: avatar ? `Ask ${avatar.config.person.name_en ?? avatar.config.person.name}'s digital avatar` : 'Ask a digital avatar' });
    } catch (err) {
      classifySlackError(err, 'assistant.threads.setSuggestedPrompts', this.log);
    }
  }
}

