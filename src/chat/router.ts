import type { Logger } from 'pino';
import { detectLang, type Lang } from '../avatars/disclosure';
import type { AvatarPackage } from '../avatars/package';
import type { AvatarService } from '../app/avatar-service';
import { guardOf, withModelBudget } from '../answer/model-guard';
import { classifyError } from '../errors';
import { silentLogger } from '../log';
import { handleAsk } from './ask-handler';
import { helpText, registerAvatarCommands, findOrSuggest } from './avatar-commands';
import { CommandRouter, parseTextCommand, type HandlerContext } from './commands';
import { DEDUPE_TTL_MS } from './event-pruning';
import { t } from './i18n';
import { InflightWork, type WorkInfo } from './inflight';
import { ConversationLanes, Semaphore, type Turn } from './lanes';
import { RateLimiter } from './rate-limit';
import { conversationKey, stickyKey, type ChatAction, type ChatEvent, type ChatTransport, type MessageRef, type Reply, type ReplyTarget } from './types';

export const MAX_MESSAGE_CHARS = 4000;

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
}

/** An intent is a handler chosen from the text of a question, e.g. "summarize this thread". */
export interface Intent {
  name: string;
  matches(text: string, event: ChatEvent): boolean;
  handle(ctx: HandlerContext): Promise<void>;
}

/**
 * Gates before any handler, top to bottom: ignore bots, dedupe (persisted), drop stale events,
 * rate-limit, resolve the avatar, check access and status; then a command, an intent or a question.
 */
export type ActionHandler = (action: ChatAction, transport: ChatTransport, router: ChatRouter) => Promise<void>;

export class ChatRouter {
  readonly commands = new CommandRouter();
  readonly intents: Intent[] = [];
  /** Button handlers by action id (consent Approve/Decline...); adapters call dispatchAction. */
  readonly actions = new Map<string, ActionHandler>();
  private readonly log: Logger;
  private readonly perUser: RateLimiter;
  private readonly perWorkspace: RateLimiter;
  /** One "you're asking too fast" notice per user per window, however many messages arrive. */
  private readonly notices: RateLimiter;
  private readonly inflight: InflightWork;
  private readonly now: () => number;
  private readonly lanes: ConversationLanes;
  private readonly commandLane: Semaphore;
  /** Set by shutdown(): no new work, and idle() stops waiting at `deadline`. */
  private closing: { deadline: number; dropped: number } | undefined;

  constructor(private readonly options: RouterOptions) {
    this.log = options.log ?? silentLogger;
    this.now = options.now ?? Date.now;
    this.inflight = new InflightWork(this.now);
    const limits = options.rateLimits ?? { userPerMinute: 10, workspacePerMinute: 300 };
    this.perUser = new RateLimiter(limits.userPerMinute, 60_000, this.now);
    this.perWorkspace = new RateLimiter(limits.workspacePerMinute, 60_000, this.now);
    this.notices = new RateLimiter(1, 60_000, this.now);
    this.lanes = new ConversationLanes(options.concurrency ?? 4);
    this.commandLane = new Semaphore(Math.max(1, options.commandConcurrency ?? 8));
    registerAvatarCommands(this.commands);
    this.commands.register({
      name: 'avatar',
      usage: '/avatar help',
      handler: async (ctx) => {
        const [sub = 'help', ...rest] = ctx.args.split(/\s+/).filter(Boolean);
        const spec = this.commands.avatarSub(sub);
        if (!spec || sub === 'help') {
          await ctx.respond({
            kind: 'notice',
            ephemeral: true,
            text: (spec || sub === 'help' ? '' : t(ctx.lang, `Unknown subcommand "${sub}".\n\n`, `未知的子命令“${sub}”。\n\n`)) + helpText(this.commands, ctx.lang),
          });
          return;
        }
        await spec.handler({ ...ctx, args: rest.join(' ') });
      },
    });
  }

  get service(): AvatarService {
    return this.options.service;
  }

  /**
   * Handle an event in the background (the adapter has already acked). The event may still be
   * resolving (a channel lookup); idle() waits for that too. Each handler starts on a later turn,
   * so a burst never delays the acks; inside, commands and questions go to separate lanes.
   */
  dispatch(event: ChatEvent | undefined | Promise<ChatEvent | undefined>, transport: ChatTransport): void {
    if (this.refuse()) return;
    const info: WorkInfo = { kind: 'event', since: this.now() };
    const work = Promise.resolve(event)
      .then(async (e) => {
        if (!e) return;
        info.eventId = e.eventId;
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.refuse()) return;
        await this.handle(e, transport, info);
      })
      .catch((err: unknown) => this.log.error({ err }, 'dispatch failed'));
    this.inflight.add(work, info);
  }

  /** During shutdown new work is dropped (and counted for the shutdown log). */
  private refuse(): boolean {
    if (!this.closing) return false;
    this.closing.dropped++;
    return true;
  }

  /** Handle a button press in the background; unknown actions are ignored. */
  dispatchAction(action: ChatAction, transport: ChatTransport): void {
    const handler = this.actions.get(action.actionId);
    if (!handler) return;
    if (this.refuse()) return;
    this.track(
      this.commandLane.run(() => handler(action, transport, this)).catch((err: unknown) => {
        this.log.error({ action: action.actionId, err }, 'action failed');
      }),
      'action',
    );
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

  /** Run the gates and the handler. Never throws: failures become a log line and a sentence. */
  async handle(event: ChatEvent, transport: ChatTransport, info: WorkInfo = { kind: 'event', since: this.now() }): Promise<void> {
    const log = this.log.child({ platform: event.platform, event_id: event.eventId, channel: event.channelId });
    if (event.fromBot) return;
    const store = this.service.store;
    // In channels the bot answers mentions, commands, and follow-ups in threads it already answers.
    if (event.channelType !== 'dm' && event.kind === 'message' && !event.mentioned) {
      if (!event.threadId || !(await store.getSticky(stickyKey(event)))) return;
    }
    // Both keys are claimed (no short cut), as before: a retry under a new event id still marks its message.
    const fresh = await store.claim(`${event.platform}:event:${event.eventId}`, DEDUPE_TTL_MS);
    const freshMessage = await store.claim(`${event.platform}:message:${event.channelId}:${event.messageId}`, DEDUPE_TTL_MS);
    if (!fresh || !freshMessage) {
      log.debug('duplicate event ignored');
      return;
    }
    if (this.now() - event.sentAt > (this.options.staleAfterMs ?? 30 * 60_000)) {
      log.info({ age_s: Math.round((this.now() - event.sentAt) / 1000) }, 'stale event dropped');
      return;
    }

    const command = event.kind === 'command' ? { name: event.command ?? '', args: event.text.trim() } : parseTextCommand(event.text);
    const lang: Lang = event.locale?.startsWith('zh') ? 'zh' : detectLang(event.text, 'en');
    const target: ReplyTarget = {
      channelId: event.channelId,
      threadId: event.channelType === 'dm' ? event.threadId : (event.threadId ?? (command ? undefined : event.messageId)),
      userId: event.userId,
    };
    let placeholder: MessageRef | undefined;
    const ctx: HandlerContext = {
      event,
      args: command?.args ?? event.text,
      service: this.service,
      transport,
      log,
      lang,
      target,
      isAdmin: this.isAdmin(event),
      respond: async (reply: Reply) => {
        if (reply.kind === 'status') {
          placeholder = await transport.post(target, reply);
          return placeholder;
        }
        if (placeholder && !(reply.kind === 'notice' && reply.ephemeral)) {
          const ref = placeholder;
          placeholder = undefined;
          await transport.update(ref, reply);
          return ref;
        }
        return transport.post(target, reply);
      },
    };

    let turn: Turn | undefined;
    try {
      const userKey = `${event.platform}:${event.workspaceId}:${event.userId}`;
      if (!this.perUser.take(userKey) || !this.perWorkspace.take(`${event.platform}:${event.workspaceId}`)) {
        // A flood gets one notice per user per window, not one per message.
        if (!this.notices.take(userKey)) {
          log.debug('rate limited (already told)');
          return;
        }
        log.info('rate limited');
        const wait = Math.ceil(this.perUser.retryAfter(userKey) / 1000) || 60;
        await ctx.respond({ kind: 'notice', ephemeral: true, errorCode: 'RATE_LIMITED', text: t(lang, `You're asking faster than I can keep up. Please try again in about ${wait} seconds.`, `提问太频繁了，请大约 ${wait} 秒后再试。`) });
        return;
      }

      if (command) {
        info.kind = 'command';
        const spec = this.commands.get(command.name);
        if (!spec) {
          await ctx.respond({ kind: 'notice', ephemeral: true, text: t(lang, `Unknown command /${command.name}.\n\n`, `未知命令 /${command.name}。\n\n`) + helpText(this.commands, lang) });
          return;
        }
        ctx.avatar = event.appAvatar ?? (await store.getSticky(stickyKey(event)));
        await this.commandLane.run(() => spec.handler(ctx));
        return;
      }

      // Take the conversation's next place now, before any await, so arrival order is answer order.
      info.kind = 'question';
      info.conversation = conversationKey(event);
      turn = this.lanes.reserve(info.conversation);
      const resolved = await this.resolveAvatar(ctx);
      if (!resolved) return;
      const { avatar, question } = resolved;
      ctx.avatar = avatar.config.slug;
      ctx.args = question;
      if (!(await this.checkAccess(ctx, avatar))) return;
      if (avatar.config.status !== 'active') {
        await ctx.respond({
          kind: 'notice',
          text: t(lang, `The digital avatar of ${avatar.config.person.name_en ?? avatar.config.person.name} is not available right now (${avatar.config.status}).`, `${avatar.config.person.name}的数字分身目前不可用（${avatar.config.status === 'paused' ? '已暂停' : '已撤销'}）。`),
        });
        return;
      }
      if (question.trim() === '') {
        await ctx.respond({ kind: 'notice', text: helpText(this.commands, lang) });
        return;
      }
      const intent = this.intents.find((i) => i.matches(question, event));
      const laned = turn;
      if (intent) await laned.run(() => intent.handle(ctx));
      else await handleAsk({ ...ctx, service: this.askingIn(laned) }, avatar, question);
    } catch (err) {
      const e = classifyError(err);
      log.error({ code: e.code, err }, 'handler failed');
      await ctx
        .respond({ kind: 'notice', errorCode: e.code, text: t(lang, `Sorry, I could not answer that (${e.code}). The team has the details in the logs.`, `抱歉，这次没能回答（${e.code}），详细信息已记录在日志中。`) })
        .catch(() => undefined);
    } finally {
      turn?.release();
    }
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

  /**
   * Which avatar an event speaks to: the app's own avatar, `@handle` in the text (hub mode),
   * the sticky choice of this DM or thread, or the only avatar there is.
   */
  private async resolveAvatar(ctx: HandlerContext): Promise<{ avatar: AvatarPackage; question: string } | undefined> {
    const { event, service, lang } = ctx;
    let text = event.text.trim();
    if (text.length > MAX_MESSAGE_CHARS) {
      await ctx.respond({
        kind: 'notice',
        ephemeral: true,
        text: t(lang, `Your message is ${text.length.toLocaleString('en')} characters; I read only the first ${MAX_MESSAGE_CHARS.toLocaleString('en')}.`, `你的消息有 ${text.length.toLocaleString('en')} 个字符，我只读取前 ${MAX_MESSAGE_CHARS.toLocaleString('en')} 个。`),
      });
      text = text.slice(0, MAX_MESSAGE_CHARS);
    }
    if (event.appAvatar) {
      return { avatar: service.get(event.appAvatar), question: stripHandle(text, service.get(event.appAvatar)) };
    }
    const m = /^@([a-z0-9][a-z0-9._-]*)\s*/i.exec(text) ?? /(?:^|\s)@([a-z0-9][a-z0-9._-]*-avatar)\b/i.exec(text);
    if (m) {
      const found = service.registry.find(m[1]);
      if (!found) {
        await findOrSuggest(ctx, m[1]);
        return undefined;
      }
      await service.store.setSticky(stickyKey(event), found.config.slug);
      return { avatar: found, question: text.replace(m[0], ' ').trim() };
    }
    const sticky = await service.store.getSticky(stickyKey(event));
    const stickyPkg = sticky ? service.registry.find(sticky) : undefined;
    if (stickyPkg) return { avatar: stickyPkg, question: text };
    const active = service.registry.list().filter((a) => a.config.status === 'active');
    if (active.length === 1) return { avatar: active[0], question: text };
    await ctx.respond({
      kind: 'notice',
      text: t(lang, 'Which avatar should answer? Start your message with its handle, or pick one with `/avatar use <handle>`:\n', '请指定由哪个数字分身回答：在消息开头写上它的 handle，或用 `/avatar use <handle>` 选择：\n') +
        active.map((a) => `• @${a.config.handle}: ${a.config.person.name}, ${a.config.person.title}`).join('\n'),
    });
    return undefined;
  }

  private async checkAccess(ctx: HandlerContext, avatar: AvatarPackage): Promise<boolean> {
    const { users, groups, channels } = avatar.config.access;
    if (users.length === 0 && groups.length === 0 && channels.length === 0) return true;
    const e = ctx.event;
    const ids = [e.userId, `${e.platform}:${e.userId}`];
    if (users.some((u) => ids.includes(u))) return true;
    if (channels.some((c) => c === e.channelId || c === `${e.platform}:${e.channelId}`)) return true;
    if (groups.length > 0 && ctx.transport.resolveUser) {
      const user = await ctx.transport.resolveUser(e.userId).catch(() => undefined);
      if (user?.groups?.some((g) => groups.includes(g) || groups.includes(`${e.platform}:${g}`))) return true;
    }
    ctx.log.info({ avatar: avatar.config.slug }, 'access refused');
    await this.service.store.audit({ actor: `${e.platform}:${e.userId}`, action: 'access_denied', avatar: avatar.config.slug, detail: { channel: e.channelId } });
    await ctx.respond({
      kind: 'notice',
      ephemeral: true,
      errorCode: 'ACCESS_DENIED',
      text: t(ctx.lang, `The avatar of ${avatar.config.person.name_en ?? avatar.config.person.name} is limited to certain people and channels, and this conversation is not on its list. An admin can add you in its avatar.yaml (access).`, `${avatar.config.person.name}的数字分身只对指定的人员和频道开放，当前会话不在名单内。管理员可以在 avatar.yaml 的 access 中添加。`),
    });
    return false;
  }
}

function stripHandle(text: string, avatar: AvatarPackage): string {
  const re = new RegExp(`(^|\\s)@(${escape(avatar.config.handle)}|${escape(avatar.config.slug)})\\b`, 'i');
  return text.replace(re, ' ').trim();
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
