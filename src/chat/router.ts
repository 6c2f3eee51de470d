import type { Logger } from 'pino';
import type { AvatarService } from '../app/avatar-service';
import { personLang, type Lang } from '../text/lang';
import type { AvatarPackage } from '../avatars/package';
import { guardOf, withModelBudget } from '../answer/model-guard';
import { classifyError } from '../errors';
import { silentLogger } from '../log';
import { FEEDBACK_ACTION, feedbackAction, type ActionHandler, type ActionReply } from './actions';
import { handleAsk } from './ask-handler';
import type { Delivery } from './handoff-journal';
import type { Admission } from '../store/types';
import { registerAvatarCommands } from './avatar-commands';
import { avatarStatus, checkAccess, resolveAvatar } from './avatar-gates';
import { CommandRouter, parseTextCommand, placeholderResponder, type HandlerContext } from './commands';
import { dedupe, dropStale, ignoreBots, ignoreUnaddressed, RATE_WINDOW_MS, rateHits, rateLimit, reportFailures, runCommand, textOnly } from './gates';
import { InflightWork, type WorkInfo } from './inflight';
import { ConversationLanes, Semaphore, type Turn } from './lanes';
import { runMiddleware, type Middleware, type RouteContext } from './middleware';
import { recordedResponder } from './recorded-answer';
import { conversationKey, stickyKey, type ChatAction, type ChatEvent, type ChatTransport, type ReplyTarget } from './types';

export interface RouterOptions {
  service: AvatarService;
  log?: Logger;
  /** Platform-qualified admin ids (`slack:U1`). */
  admins?: string[];
  rateLimits?: { userPerMinute: number; workspacePerMinute: number };
  /** Events older than this are dropped (after an outage). Default 30 minutes. */
  staleAfterMs?: number;
  /** Questions answered at once across conversations; the rest wait for a slot. Default 4. */
  concurrency?: number;
  /** Commands handled at once (they never wait for questions). Default 8. */
  commandConcurrency?: number;
  now?: () => number;
  /**
   * A web replica in production mode: the last step hands the answer to a worker (an `answer`
   * job) instead of computing it here; the worker calls answerHandedOff. Answers false for an
   * event it leaves to this replica (the playground's, whose replies go back over its request).
   */
  handOff?: (ctx: RouteContext) => Promise<boolean>;
}

/** An intent is a handler chosen from the text of a question, e.g. "summarize this thread". */
export interface Intent {
  name: string;
  matches(text: string, event: ChatEvent): boolean;
  handle(ctx: HandlerContext): Promise<void>;
}

/**
 * The one entry into the core for every platform. Events run through `pipeline`, top to
 * bottom: ignore bots and unaddressed channel chatter, dedupe (persisted), drop stale events,
 * the text-only note, rate limits, commands (their own lane), resolve the avatar, access,
 * status; then an intent or a question. Button presses go to `actions`.
 */
export class ChatRouter {
  readonly commands = new CommandRouter();
  readonly intents: Intent[] = [];
  /** Button handlers by action id (feedback, consent Approve/Decline); adapters call dispatchAction. */
  readonly actions = new Map<string, ActionHandler>();
  private readonly log: Logger;
  private readonly inflight: InflightWork;
  private readonly now: () => number;
  private readonly lanes: ConversationLanes;
  private readonly commandLane: Semaphore;
  private readonly pipeline: readonly Middleware[];
  /** Set by shutdown(): no new work, and idle() stops waiting at `deadline`. */
  private closing: { deadline: number; dropped: number } | undefined;

  constructor(private readonly options: RouterOptions) {
    this.log = options.log ?? silentLogger;
    this.now = options.now ?? Date.now;
    this.inflight = new InflightWork(this.now);
    this.lanes = new ConversationLanes(options.concurrency ?? 4);
    this.commandLane = new Semaphore(Math.max(1, options.commandConcurrency ?? 8));
    registerAvatarCommands(this.commands);
    const store = options.service.store;
    this.actions.set(FEEDBACK_ACTION, feedbackAction(store));
    const staleAfterMs = options.staleAfterMs ?? 30 * 60_000;
    const rateLimits = options.rateLimits ?? { userPerMinute: 10, workspacePerMinute: 300 };
    // What a question's later gates ask Redis, read with its dedupe claim (a web replica): the rate
    // hits, only for an event dropStale and textOnly will let on (a minute's margin for the clock
    // moving in between), and its sticky choice. A command claims in PostgreSQL too before its hits.
    const ahead = (ctx: RouteContext): Omit<Admission, 'claim'> => {
      const e = ctx.event;
      if (ctx.command || e.notText !== undefined || this.now() - e.sentAt > staleAfterMs - 60_000) return {};
      return { hits: { entries: rateHits(rateLimits, e), windowMs: RATE_WINDOW_MS }, ...(e.appAvatar ? {} : { sticky: stickyKey(e) }) };
    };
    this.pipeline = [
      ignoreBots,
      ignoreUnaddressed(store),
      dedupe(store, { deferDurable: options.handOff !== undefined, ahead }),
      dropStale(this.now, staleAfterMs),
      textOnly,
      reportFailures,
      rateLimit(rateLimits, store),
      runCommand(this.commands, this.commandLane, store),
      resolveAvatar,
      checkAccess(store),
      avatarStatus(this.commands),
      async (ctx) => {
        if (await options.handOff?.(ctx)) return;
        // A journaled event answered here (role all) is recorded as it goes out: its replay after a crash answers it once.
        if (ctx.claimToken) {
          const respond = await recordedResponder(store, () => ctx.transport, ctx.event, ctx.target, ctx.log);
          if (!respond) return ctx.log.info('journaled event already answered; nothing to do');
          ctx.respond = respond;
        }
        await this.answer(ctx);
      },
    ];
  }

  get service(): AvatarService {
    return this.options.service;
  }

  /**
   * Handle an event in the background (the adapter has already acked). The event may still be
   * resolving (a channel lookup); idle() waits for that too. Each handler starts on a later turn,
   * so a burst never delays the acks; inside, commands and questions go to separate lanes.
   * `delivery` (a journaled event) learns when the gates are through, or failed. An event the
   * adapter acked before shutdown began (`ackedBeforeShutdown`) is handled even once it has.
   */
  dispatch(event: ChatEvent | undefined | Promise<ChatEvent | undefined>, transport: ChatTransport, delivery?: Delivery, ackedBeforeShutdown = false): void {
    // Refused during shutdown: not handed off, so a journaled event stays for another replica.
    const refused = (): boolean => !ackedBeforeShutdown && this.refuse();
    if (refused()) return delivery?.add(Promise.resolve(false));
    const info: WorkInfo = { kind: 'event', since: this.now() };
    const work = Promise.resolve(event)
      .then(async (e) => {
        if (!e) return true;
        info.eventId = e.eventId;
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (refused()) return false;
        await this.handle(e, transport, info, delivery?.token);
        return true;
      })
      .catch((err: unknown) => {
        this.log.error({ err }, 'dispatch failed');
        return false;
      });
    delivery?.add(work);
    this.inflight.add(work, info);
  }

  /** True once shutdown() has begun (new events are refused by dispatch). */
  get shuttingDown(): boolean {
    return this.closing !== undefined;
  }

  /** During shutdown new work is dropped (and counted for the shutdown log). */
  private refuse(): boolean {
    if (!this.closing) return false;
    this.closing.dropped++;
    return true;
  }

  /**
   * Handle a button press on the command lane (idle() and shutdown wait for it). Answers with
   * what to tell the presser, if anything; never rejects: a failure is logged and becomes a
   * `failed` reply. Unknown actions are ignored.
   */
  dispatchAction(action: ChatAction, transport: ChatTransport): Promise<ActionReply | undefined> {
    const handler = this.actions.get(action.actionId);
    if (!handler || this.refuse()) return Promise.resolve(undefined);
    const work = this.commandLane.run(() => handler(action, transport)).then(
      (reply) => reply ?? undefined,
      (err: unknown): ActionReply => {
        const e = classifyError(err);
        this.log.error({ action: action.actionId, code: e.code, err }, 'action failed');
        return { text: `Sorry, that did not work (${e.code}).`, failed: true };
      },
    );
    this.track(work, 'action');
    return work;
  }

  /**
   * Run model work under the answer limit (UNDERSTUDY_ANSWER_CONCURRENCY) that questions take, for
   * a command that answers too (each avatar of a meeting).
   */
  answerSlot<T>(work: () => Promise<T>): Promise<T> {
    return this.lanes.answers.run(work);
  }

  /** Let idle() and shutdown wait for background work a handler starts (a long collection). */
  track(work: Promise<unknown>, kind: WorkInfo['kind'] = 'background'): void {
    this.inflight.add(work, { kind, since: this.now() });
  }

  /** Wait until every dispatched event is finished (tests, graceful shutdown); during shutdown, at most until its deadline. */
  async idle(): Promise<void> {
    await this.inflight.settled(() => this.closing?.deadline ?? Infinity);
  }

  /**
   * Stop taking work and let what is in flight finish within `timeoutMs`. Model calls still
   * waiting near the end are aborted, so their answers go out from the sources; anything left
   * at the deadline is abandoned and logged.
   */
  async shutdown(timeoutMs: number): Promise<{ finished: number; abandoned: number; dropped: number }> {
    const started = Date.now();
    const deadline = started + timeoutMs;
    this.closing ??= { deadline, dropped: 0 };
    const pending = this.inflight.size;
    const guard = guardOf(this.service.model);
    // Keep the last stretch (up to 2 s) for posting offline answers once the model is cut off.
    const cutModelAt = deadline - Math.min(2_000, timeoutMs / 4);
    this.closing.deadline = cutModelAt;
    await this.idle();
    this.closing.deadline = deadline;
    if (this.inflight.size > 0 && guard) {
      const aborted = guard.close();
      if (aborted > 0) this.log.warn({ aborted }, 'shutdown: stopped waiting for the language model; those answers go out from the sources');
      await this.idle();
    } else guard?.close();
    const abandoned = this.inflight.describe();
    if (abandoned.length > 0) this.log.warn({ abandoned }, `shutdown: abandoned ${abandoned.length} unfinished piece(s) of work`);
    const summary = { finished: pending - abandoned.length, abandoned: abandoned.length, dropped: this.closing.dropped };
    this.log.info({ ...summary, ms: Date.now() - started }, 'chat router stopped');
    return summary;
  }

  isAdmin(event: Pick<ChatEvent, 'platform' | 'userId'>): boolean {
    const admins = this.options.admins ?? [];
    return admins.includes(`${event.platform}:${event.userId}`) || admins.includes(event.userId);
  }

  /**
   * Run the gates and the handler (`pipeline`). Never throws past the gates: a failed handler
   * becomes a log line and a sentence.
   */
  async handle(event: ChatEvent, transport: ChatTransport, info: WorkInfo = { kind: 'event', since: this.now() }, claimToken?: string): Promise<void> {
    // The event's logger is made on first use: most events pass the gates without a line.
    let log: Logger | undefined;
    const root = this.log;
    const command = event.kind === 'command' ? { name: event.command ?? '', args: event.text.trim() } : parseTextCommand(event.text);
    const lang: Lang = personLang(event.text, event.locale);
    const target = replyTargetOf(event, command !== undefined, lang);
    const ctx: RouteContext = {
      event,
      args: command?.args ?? event.text,
      service: this.service,
      transport,
      get log() {
        return (log ??= root.child({ platform: event.platform, event_id: event.eventId, channel: event.channelId }));
      },
      lang,
      target,
      isAdmin: this.isAdmin(event),
      info,
      command,
      respond: placeholderResponder(transport, target),
      ...(claimToken ? { claimToken } : {}),
    };
    // The conversation's place in line is taken now, before the first await: a networked store
    // may answer the gates' reads out of order, and arrival order must stay answer order.
    if (!command && !event.fromBot) ctx.turn = this.lanes.reserve(conversationKey(event));
    try {
      await runMiddleware(this.pipeline, ctx);
    } finally {
      ctx.turn?.release();
    }
  }

  /**
   * The last step for an event whose gates ran on another replica (an answer job on a worker),
   * in the conversation's turn here. `respond` is the worker's, which remembers what it posted.
   * A failure becomes the same sentence as in process.
   */
  async answerHandedOff(job: { event: ChatEvent; target: ReplyTarget; args: string; lang: Lang; avatar: string }, transport: ChatTransport, respond: RouteContext['respond']): Promise<void> {
    const { event } = job;
    const pkg = this.service.registry.get(job.avatar);
    const info: WorkInfo = { kind: 'event', since: this.now(), eventId: event.eventId };
    const ctx: RouteContext = {
      event, args: job.args, service: this.service, transport, lang: job.lang, target: job.target, isAdmin: this.isAdmin(event), info, respond,
      log: this.log.child({ platform: event.platform, event_id: event.eventId, channel: event.channelId }),
      avatar: job.avatar, pkg, turn: this.lanes.reserve(conversationKey(event)),
    };
    const work = runMiddleware([reportFailures, (c) => this.answer(c)], ctx).finally(() => ctx.turn?.release());
    this.inflight.add(work, info);
    await work;
  }

  /** The last step: an intent that matches the question, else an answer from the avatar, in the conversation's turn. */
  private async answer(ctx: RouteContext): Promise<void> {
    const turn = ctx.turn as Turn;
    const intent = this.intents.find((i) => i.matches(ctx.args, ctx.event));
    if (intent) await turn.run(() => intent.handle(ctx));
    else await handleAsk({ ...ctx, service: this.askingIn(turn) }, ctx.pkg as AvatarPackage, ctx.args);
  }

  /**
   * The service as handleAsk sees it: its placeholder goes out at once, and only the model
   * work (ask) waits for the conversation's turn and a free answer slot, under one time budget.
   */
  private askingIn(turn: Turn): AvatarService {
    const service = this.service;
    const budget = guardOf(service.model)?.answerBudgetMs;
    const laned = Object.create(service) as AvatarService;
    laned.ask = (slug, req) => turn.run(() => (budget ? withModelBudget(budget, () => service.ask(slug, req)) : service.ask(slug, req)));
    return laned;
  }
}

/** Where replies go: the DM (its thread, if any), or the thread in a channel (a new one under a question). */
function replyTargetOf(event: ChatEvent, isCommand: boolean, lang: Lang): ReplyTarget {
  return {
    channelId: event.channelId,
    threadId: event.channelType === 'dm' ? event.threadId : (event.threadId ?? (isCommand ? undefined : event.messageId)),
    userId: event.userId,
    origin: { eventId: event.eventId, channelId: event.channelId, channelType: event.channelType, messageId: event.messageId, conversation: conversationKey(event), lang },
  };
}
