import { classifyError } from '../errors';
import { metrics } from '../jobs/metrics';
import { randomUUID } from 'node:crypto';
import type { AckPaths, Admission, RateDecision, StateStore } from '../store/types';
import { helpText } from './avatar-commands';
import type { CommandRouter } from './commands';
import { DEDUPE_TTL_MS } from './event-pruning';
import { t } from './i18n';
import type { Semaphore } from './lanes';
import type { Middleware, RouteContext } from './middleware';
import { stickyKey, type ChatEvent } from './types';

/*
 * The gates every event passes before any handler (router.ts lists them in order). Each is a
 * small middleware: it stops the event by returning, or lets it on with `next()`.
 */

/** Our own replies and other bots' messages are never answered. */
export const ignoreBots: Middleware = async (ctx, next) => {
  if (ctx.event.fromBot) return;
  await next();
};

/** In channels the bot answers mentions, commands, and follow-ups in threads it already answers. */
export function ignoreUnaddressed(store: StateStore): Middleware {
  return async function ignoreUnaddressed(ctx, next) {
    const e = ctx.event;
    if (e.channelType !== 'dm' && e.kind === 'message' && !e.mentioned) {
      if (!e.threadId || !(await store.getSticky(stickyKey(e)))) return;
    }
    await next();
  };
}

/** An event's dedupe keys, in claiming order: the event, then its message (claimed only by a fresh event). */
export function dedupeKeys(e: Pick<ChatEvent, 'platform' | 'eventId' | 'channelId' | 'messageId'>): string[] {
  return [`${e.platform}:event:${e.eventId}`, `${e.platform}:message:${e.channelId}:${e.messageId}`];
}

/** The durable half of a deferred dedupe (AckPaths): the event's PostgreSQL keys, for `owner`. */
export async function claimDurably(paths: AckPaths, e: Pick<ChatEvent, 'platform' | 'eventId' | 'channelId' | 'messageId'>, owner: string): Promise<boolean> {
  for (const key of dedupeKeys(e)) if (!(await paths.claimDurably(key, owner, DEDUPE_TTL_MS))) return false;
  return true;
}

/**
 * Platform retries (Slack) and re-pushes (Feishu) are answered once, across restarts and replicas.
 * With `deferDurable` (a web replica handing answers to workers, on a store with AckPaths) this
 * gate claims in Redis alone, one round trip; the durable claim is taken by whoever replies: the
 * worker before answering (ctx.dedupeOwner travels in the job), or this replica before its own
 * first reply (a command is claimed here, before it runs).
 */
export function dedupe(store: StateStore, options: { deferDurable?: boolean; ahead?: (ctx: RouteContext) => Omit<Admission, 'claim'> } = {}): Middleware {
  return async function dedupe(ctx, next) {
    const e = ctx.event;
    const paths = options.deferDurable ? store.ackPaths : undefined;
    const duplicate = (): void => {
      metrics.eventsDeduped.inc({ platform: e.platform });
      ctx.log.debug('duplicate event ignored');
    };
    if (paths) {
      // With the claim, in its round trip, what the gates after this one will ask (`ahead`, by the router).
      const admitted = await paths.admit({ claim: { keys: dedupeKeys(e), ttlMs: DEDUPE_TTL_MS, token: ctx.claimToken }, ...options.ahead?.(ctx) });
      if (!admitted.claimed) return duplicate();
      ctx.ahead = { rate: admitted.rate, sticky: admitted.sticky };
      // A new durable owner on every run, a journal replay's too: when the event's job already ran,
      // its owner holds the PostgreSQL keys and the replay's job is refused (answered once).
      const owner = randomUUID();
      ctx.dedupeOwner = owner;
      let durable: Promise<boolean> | undefined;
      const claimed = (): Promise<boolean> => (durable ??= claimDurably(paths, e, owner));
      if (ctx.command && !(await claimed())) return duplicate();
      const respond = ctx.respond;
      ctx.respond = async (reply) => ((await claimed()) ? respond(reply) : undefined);
      return next();
    }
    // A fresh event also claims its message: the same message under a second event id (message
    // and app_mention) is answered once. A repeat of a known event must not claim the message:
    // racing the first delivery (another replica), it could take the message from it and both drop.
    // A journaled delivery claims with its entry's id: its replay after a crash gets the claims back.
    const [eventKey, messageKey] = dedupeKeys(e);
    const fresh = await store.claim(eventKey, DEDUPE_TTL_MS, ctx.claimToken);
    const freshMessage = fresh && (await store.claim(messageKey, DEDUPE_TTL_MS, ctx.claimToken));
    if (!fresh || !freshMessage) return duplicate();
    await next();
  };
}

/** Events older than `staleAfterMs` (delivered after an outage) are dropped, not answered late. */
export function dropStale(now: () => number, staleAfterMs: number): Middleware {
  return async function dropStale(ctx, next) {
    const age = now() - ctx.event.sentAt;
    if (age > staleAfterMs) {
      ctx.log.info({ age_s: Math.round(age / 1000) }, 'stale event dropped');
      return;
    }
    await next();
  };
}

/** A picture or a file gets a short note that only text is read, once per message. */
export const textOnly: Middleware = async (ctx, next) => {
  if (ctx.event.notText === undefined) return next();
  await ctx.respond({
    kind: 'notice',
    text: t(ctx.lang, 'I can only read text (plain or rich text) for now. Please send your question as text.', '我目前只能读懂文字消息（包括富文本），请把问题用文字发给我。'),
  });
};

export interface RateLimits {
  userPerMinute: number;
  workspacePerMinute: number;
}

export const RATE_WINDOW_MS = 60_000;

const userKeyOf = (e: Pick<ChatEvent, 'platform' | 'workspaceId' | 'userId'>): string => `${e.platform}:${e.workspaceId}:${e.userId}`;

/** The rate limit gate's hits of an event, in order: its user's window, then its workspace's. */
export function rateHits(limits: RateLimits, e: Pick<ChatEvent, 'platform' | 'workspaceId' | 'userId'>): { key: string; limit: number }[] {
  return [
    { key: `rate:user:${userKeyOf(e)}`, limit: limits.userPerMinute },
    { key: `rate:workspace:${e.platform}:${e.workspaceId}`, limit: limits.workspacePerMinute },
  ];
}

/**
 * Per user and per workspace; a flood gets one notice per user per window, not one per message.
 * The counters live in the state store, so replicas share them (Redis in production mode).
 */
export function rateLimit(limits: RateLimits, store: StateStore): Middleware {
  return async function rateLimit(ctx, next) {
    const e = ctx.event;
    // The workspace counts a hit only when the user's window allowed it (one round trip with AckPaths,
    // none here when the dedupe gate counted them already).
    const hits = rateHits(limits, e);
    const [user, workspace] = ctx.ahead?.rate ?? (store.ackPaths ? await store.ackPaths.hits(hits, RATE_WINDOW_MS) : await hitInOrder(store, hits, RATE_WINDOW_MS));
    if (user.allowed && workspace?.allowed) return next();
    if (!(await store.hit(`rate:notice:${userKeyOf(e)}`, 1, RATE_WINDOW_MS)).allowed) {
      ctx.log.debug('rate limited (already told)');
      return;
    }
    ctx.log.info('rate limited');
    const wait = Math.ceil(user.retryAfterMs / 1000) || 60;
    await ctx.respond({
      kind: 'notice',
      ephemeral: true,
      errorCode: 'RATE_LIMITED',
      text: t(ctx.lang, `You're asking faster than I can keep up. Please try again in about ${wait} seconds.`, `提问太频繁了，请大约 ${wait} 秒后再试。`),
    });
  };
}

async function hitInOrder(store: StateStore, entries: { key: string; limit: number }[], windowMs: number): Promise<RateDecision[]> {
  const decisions: RateDecision[] = [];
  for (const { key, limit } of entries) {
    const d = await store.hit(key, limit, windowMs);
    decisions.push(d);
    if (!d.allowed) break;
  }
  return decisions;
}

/** Commands run on their own lane (they never wait for questions); anything else goes on. */
export function runCommand(commands: CommandRouter, lane: Semaphore, store: StateStore): Middleware {
  return async function runCommand(ctx, next) {
    const command = ctx.command;
    if (!command) return next();
    ctx.info.kind = 'command';
    const spec = commands.get(command.name);
    if (!spec) {
      await ctx.respond({ kind: 'notice', ephemeral: true, text: t(ctx.lang, `Unknown command /${command.name}.\n\n`, `未知命令 /${command.name}。\n\n`) + helpText(commands, ctx.lang) });
      return;
    }
    ctx.avatar = ctx.event.appAvatar ?? (await store.getSticky(stickyKey(ctx.event)));
    await lane.run(() => spec.handler(ctx));
  };
}

/** From here on a failure becomes a log line with its code and a sentence to the asker, never silence. */
export const reportFailures: Middleware = async (ctx, next) => {
  try {
    await next();
  } catch (err) {
    const e = classifyError(err);
    ctx.log.error({ code: e.code, err }, 'handler failed');
    await ctx
      .respond({ kind: 'notice', errorCode: e.code, text: t(ctx.lang, `Sorry, I could not answer that (${e.code}). The team has the details in the logs.`, `抱歉，这次没能回答（${e.code}），详细信息已记录在日志中。`) })
      .catch((postErr: unknown) => ctx.log.warn({ err: postErr }, 'could not post the failure notice'));
  }
};
