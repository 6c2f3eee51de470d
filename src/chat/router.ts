import type { Logger } from 'pino';
import { detectLang, type Lang } from '../avatars/disclosure';
import type { AvatarPackage } from '../avatars/package';
import type { AvatarService } from '../avatars/service';
import { classifyError } from '../errors';
import { silentLogger } from '../log';
import { handleAsk } from './ask-handler';
import { helpText, registerAvatarCommands, findOrSuggest } from './avatar-commands';
import { CommandRouter, parseTextCommand, type HandlerContext } from './commands';
import { t } from './i18n';
import { RateLimiter } from './rate-limit';
import { stickyKey, type ChatAction, type ChatEvent, type ChatTransport, type MessageRef, type Reply, type ReplyTarget } from './types';

export const MAX_MESSAGE_CHARS = 4000;

export interface RouterOptions {
  service: AvatarService;
  log?: Logger;
  /** Platform-qualified admin ids (`slack:U1`). */
  admins?: string[];
  rateLimits?: { userPerMinute: number; workspacePerMinute: number };
  /** Events older than this are dropped (after an outage). Default 30 minutes. */
  staleAfterMs?: number;
  /** Handlers running at once; the rest wait their turn. Default 4. */
  concurrency?: number;
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
  private readonly inflight = new Set<Promise<void>>();
  private readonly now: () => number;

  constructor(private readonly options: RouterOptions) {
    this.log = options.log ?? silentLogger;
    this.now = options.now ?? Date.now;
    const limits = options.rateLimits ?? { userPerMinute: 10, workspacePerMinute: 300 };
    this.perUser = new RateLimiter(limits.userPerMinute, 60_000, this.now);
    this.perWorkspace = new RateLimiter(limits.workspacePerMinute, 60_000, this.now);
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
   * resolving (a channel lookup); idle() waits for that too. At most `concurrency` handlers run
   * at once, each started on a later turn, so a burst of answers never starves the acks.
   */
  dispatch(event: ChatEvent | undefined | Promise<ChatEvent | undefined>, transport: ChatTransport): void {
    const p = Promise.resolve(event)
      .then((e) => (e ? this.queued(() => this.handle(e, transport)) : undefined))
      .catch((err: unknown) => this.log.error({ err: classifyError(err).message }, 'dispatch failed'))
      .finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  private running = 0;
  private readonly waiting: (() => void)[] = [];

  private async queued<T>(work: () => Promise<T>): Promise<T> {
    const limit = this.options.concurrency ?? 4;
    if (this.running >= limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else await new Promise<void>((resolve) => setImmediate(resolve));
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      const next = this.waiting.shift();
      if (next) setImmediate(next);
    }
  }

  /** Handle a button press in the background; unknown actions are ignored. */
  dispatchAction(action: ChatAction, transport: ChatTransport): void {
    const handler = this.actions.get(action.actionId);
    if (!handler) return;
    this.track(
      handler(action, transport, this).catch((err: unknown) => {
        this.log.error({ action: action.actionId, err: classifyError(err).message }, 'action failed');
      }),
    );
  }

  /** Let idle() and shutdown wait for background work a handler starts (a long collection). */
  track(work: Promise<unknown>): void {
    const p = work.then(() => undefined, () => undefined).finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  /** Wait until every dispatched event is finished (tests, graceful shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  isAdmin(event: Pick<ChatEvent, 'platform' | 'userId'>): boolean {
    const admins = this.options.admins ?? [];
    return admins.includes(`${event.platform}:${event.userId}`) || admins.includes(event.userId);
  }

  /** Run the gates and the handler. Never throws: failures become a log line and a sentence. */
  async handle(event: ChatEvent, transport: ChatTransport): Promise<void> {
    const log = this.log.child({ platform: event.platform, event_id: event.eventId, channel: event.channelId });
    if (event.fromBot) return;
    const store = this.service.store;
    // In channels the bot answers mentions, commands, and follow-ups in threads it already answers.
    if (event.channelType !== 'dm' && event.kind === 'message' && !event.mentioned) {
      if (!event.threadId || !store.getSticky(stickyKey(event))) return;
    }
    const fresh = store.claimEvent(`${event.platform}:event:${event.eventId}`);
    const freshMessage = store.claimEvent(`${event.platform}:message:${event.channelId}:${event.messageId}`);
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

    try {
      if (!this.perUser.take(`${event.platform}:${event.workspaceId}:${event.userId}`) || !this.perWorkspace.take(`${event.platform}:${event.workspaceId}`)) {
        const wait = Math.ceil(this.perUser.retryAfter(`${event.platform}:${event.workspaceId}:${event.userId}`) / 1000) || 60;
        await ctx.respond({ kind: 'notice', ephemeral: true, errorCode: 'RATE_LIMITED', text: t(lang, `You're asking faster than I can keep up. Please try again in about ${wait} seconds.`, `提问太频繁了，请大约 ${wait} 秒后再试。`) });
        log.info('rate limited');
        return;
      }

      if (command) {
        const spec = this.commands.get(command.name);
        if (!spec) {
          await ctx.respond({ kind: 'notice', ephemeral: true, text: t(lang, `Unknown command /${command.name}.\n\n`, `未知命令 /${command.name}。\n\n`) + helpText(this.commands, lang) });
          return;
        }
        ctx.avatar = event.appAvatar ?? store.getSticky(stickyKey(event));
        await spec.handler(ctx);
        return;
      }

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
      if (intent) await intent.handle(ctx);
      else await handleAsk(ctx, avatar, question);
    } catch (err) {
      const e = classifyError(err);
      log.error({ code: e.code, err: e.message }, 'handler failed');
      await ctx
        .respond({ kind: 'notice', errorCode: e.code, text: t(lang, `Sorry, I could not answer that (${e.code}). The team has the details in the logs.`, `抱歉，这次没能回答（${e.code}），详细信息已记录在日志中。`) })
        .catch(() => undefined);
    }
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
      service.store.setSticky(stickyKey(event), found.config.slug);
      return { avatar: found, question: text.replace(m[0], ' ').trim() };
    }
    const sticky = service.store.getSticky(stickyKey(event));
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
    this.service.store.audit({ actor: `${e.platform}:${e.userId}`, action: 'access_denied', avatar: avatar.config.slug, detail: { channel: e.channelId } });
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
