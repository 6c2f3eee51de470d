import type { Logger } from 'pino';
import type { Lang } from '../text/lang';
import { label } from '../avatars/disclosure';
import { readHistory, type ChannelInfo, type HistoryMessage, type HistoryRange, type HistoryReader } from '../chat/history';
import type { HandlerContext } from '../chat/commands';
import { t } from '../chat/i18n';
import type { ChatRouter } from '../chat/router';
import type { TransportFinder } from '../chat/answer-handoff';
import { BACKGROUND_ATTEMPTS, BACKGROUND_BACKOFF_MS, failJob, handOffQueue, jobResponder } from '../chat/background-jobs';
import type { ChatEvent, ReplyTarget } from '../chat/types';
import { PermanentJobError, type JobHandler } from '../jobs/types';
import { classifyError } from '../errors';
import type { Runtime } from '../app/runtime';
import type { StateStore } from '../store/types';
import { asksForSummary, asksToShare, parseSummarizeArgs, USAGE } from './chat-args';
import { assertRenderedLinks } from './links';
import { DAY_MS } from './message';
import { renderSummary } from './render';
import { MAX_DAYS, summarize } from './summarize';

const DEFAULT_RANGE_MS = DAY_MS;
const MAX_MESSAGES = 20_000;
const PROGRESS_AT = [1_000, 5_000, 10_000];

interface Request {
  channelId: string;
  threadId?: string;
  since?: number;
  rangeLabel: string;
  share: boolean;
  /** Summarising as an avatar: its name and label. */
  voice?: { name: string; label: string };
}

const say = (ctx: HandlerContext, en: string, zh: string, ephemeral = true): Promise<unknown> => ctx.respond({ kind: 'notice', ephemeral, text: t(ctx.lang, en, zh) });

/**
 * Fetch, check and summarise, then answer privately (or for the channel when asked to share and
 * allowed). Membership is checked before anything is read; links are checked before anything is shown.
 */
async function run(ctx: HandlerContext, req: Request, history: HistoryReader | undefined = ctx.transport.history?.()): Promise<void> {
  const { transport, event, lang } = ctx;
  if (!history) {
    await say(ctx, `I can't read channel history on ${transport.platform} yet, so I can't summarise here.`, `目前还不能在 ${transport.platform} 上读取频道历史，暂时无法总结。`);
    return;
  }
  const here = req.channelId === event.channelId;
  if (!(await history.isMember(req.channelId, event.userId))) {
    ctx.log.info({ target: req.channelId }, 'summary refused: requester is not a member');
    await say(ctx, "Only members of a channel can have it summarised, and you're not in that one.", '只有频道成员才能请求总结该频道，而你不在那个频道里。');
    return;
  }
  const info: ChannelInfo | undefined = await history.channelInfo(req.channelId).catch((err: unknown) => {
    ctx.log.warn({ err, target: req.channelId }, 'channel info unavailable; treating the channel by where it was asked');
    return undefined;
  });
  const isPrivate = info?.isPrivate ?? (here ? event.channelType !== 'public_channel' : true);
  let share = req.share;
  const notes: string[] = [];
  // A private channel's summary is for its members: never posted into another conversation.
  if (share && isPrivate && !here) {
    share = false;
    notes.push(t(lang, 'That channel is private, so this summary is only for you.', '该频道是私有频道，所以这份总结只发给你。'));
  }
  const now = Date.now();
  let oldest = req.threadId ? req.since : (req.since ?? now - DEFAULT_RANGE_MS);
  if (oldest !== undefined && now - oldest > MAX_DAYS * DAY_MS) {
    oldest = now - MAX_DAYS * DAY_MS;
    notes.push(t(lang, `You asked for more than ${MAX_DAYS} days; I summarised the last ${MAX_DAYS}.`, `请求的范围超过 ${MAX_DAYS} 天，只总结了最近 ${MAX_DAYS} 天。`));
  }
  const name = info?.name ? `#${info.name}` : t(lang, 'this channel', '这个频道');
  await say(ctx, req.threadId ? `Reading the thread in ${name}…` : `Reading ${name} (${req.rangeLabel})…`, req.threadId ? `正在读取 ${name} 的讨论串…` : `正在读取 ${name}（${req.rangeLabel}）…`);
  const range: HistoryRange = { oldest, threadId: req.threadId, maxMessages: MAX_MESSAGES };
  let next = 0;
  let messages: HistoryMessage[];
  let capped = false;
  try {
    const read = await readHistory(history, req.channelId, range, (p) => {
      if (next < PROGRESS_AT.length && p.messages >= PROGRESS_AT[next]) {
        next++;
        void say(ctx, `Still reading: ${p.messages.toLocaleString('en')} messages so far…`, `仍在读取：已读 ${p.messages.toLocaleString('en')} 条消息…`).catch(() => undefined);
      }
    });
    // A file shared without words has nothing to summarise.
    messages = read.filter((m) => m.text);
    capped = read.length >= MAX_MESSAGES;
  } catch (err) {
    const e = classifyError(err);
    if (e.code !== 'PLATFORM_NOT_IN_CHANNEL') throw err;
    await say(
      ctx,
      `I'm not in ${name}, so I can't read it. Add me first: in that channel type \`/invite\` and pick me (or open the channel's details, Integrations, Add apps), then ask again.`,
      `我不在 ${name} 里，无法读取。请先把我加进去：在该频道输入 \`/invite\` 并选择我（或在群设置里添加机器人），然后再试。`,
    );
    return;
  }
  if (capped) notes.push(t(lang, `Stopped reading at ${MAX_MESSAGES.toLocaleString('en')} messages.`, `读取到 ${MAX_MESSAGES.toLocaleString('en')} 条消息后停止。`));
  const summary = await summarize(messages, {
    channelName: info?.name,
    scope: req.threadId ? 'thread' : 'channel',
    model: ctx.service.model,
    notes,
    voice: req.voice ? { name: req.voice.name } : undefined,
    lang: messages.length ? undefined : lang,
    asked: req.threadId ? t(lang, 'this thread', '这个讨论串') : req.rangeLabel,
  });
  const preface = req.voice ? voicePreface(summary.lang, req.voice, messages.length, Boolean(req.threadId)) : undefined;
  const text = renderSummary(summary, { format: 'markdown', preface });
  assertRenderedLinks(text, messages);
  await ctx.service.store.audit({
    actor: `${event.platform}:${event.userId}`,
    action: 'summarize',
    avatar: ctx.avatar,
    detail: { channel: req.channelId, thread: req.threadId ?? null, messages: messages.length, shared: share, model: summary.model },
  });
  await ctx.respond({ kind: 'notice', ephemeral: !share, text });
}

function voicePreface(lang: Lang, voice: { name: string; label: string }, n: number, thread: boolean): string {
  const what = thread ? t(lang, 'this thread', '这个讨论串') : t(lang, 'this channel', '这个频道');
  return `${voice.label}\n${t(lang, `I read the ${n} messages of ${what}; here is my summary. Every point links to the message it comes from.`, `我读了${what}的 ${n} 条消息，总结如下，每一点都附有原消息链接。`)}`;
}

/** `/summarize [#channel] [24h|7d|since YYYY-MM-DD] [thread <link>] [share]`. */
async function summarizeCommand(ctx: HandlerContext): Promise<void> {
  const { event } = ctx;
  const history = ctx.transport.history?.();
  const args = parseSummarizeArgs(ctx.args, Date.now());
  if (args.unknown.length) {
    await say(ctx, `I didn't understand "${args.unknown.join(' ')}". Usage: \`${USAGE}\``, `没看懂“${args.unknown.join(' ')}”。用法：\`${USAGE}\``);
    return;
  }
  let channelId = args.channel?.id;
  let threadId: string | undefined;
  if (args.threadLink) {
    const target = history?.resolveLink ? await history.resolveLink(args.threadLink) : ({ kind: 'invalid' } as const);
    if (target.kind === 'foreign') {
      ctx.log.info({ host: target.host }, 'summary refused: thread link from another workspace');
      await say(ctx, `That link is from another workspace (${target.host}). I only summarise conversations in this one.`, `这个链接来自其他工作区（${target.host}），我只总结本工作区的会话。`);
      return;
    }
    if (target.kind === 'invalid') {
      await say(ctx, "That doesn't look like a link to a message here. Copy it with \"Copy link\" on the thread's first message.", '这不像是本工作区的消息链接。请在讨论串首条消息上用“复制链接”获取。');
      return;
    }
    channelId = target.channelId;
    threadId = target.threadId ?? target.messageId;
  }
  if (!channelId && args.channel?.name) {
    const found = history?.findChannel ? await history.findChannel(args.channel.name) : undefined;
    if (!found) {
      await say(ctx, `I can't find #${args.channel.name}. If it is private, add me to it first (\`/invite\`), then ask again.`, `找不到 #${args.channel.name}。如果是私有频道，请先把我加进去（\`/invite\`）再试。`);
      return;
    }
    channelId = found.id;
  }
  if (!channelId && event.channelType === 'dm') {
    await say(ctx, `Name a channel to summarise: \`${USAGE}\``, `请指定要总结的频道：\`${USAGE}\``);
    return;
  }
  // In a thread (Feishu text commands can be), the thread is what is meant.
  if (!channelId && !args.since && event.threadId) threadId = event.threadId;
  await run(ctx, { channelId: channelId ?? event.channelId, threadId, since: args.since, rangeLabel: args.rangeLabel ?? '24h', share: args.share }, history);
}

/** "@avatar summarize this thread" / "总结一下": the summary in the avatar's voice, with its label. */
async function summarizeIntent(ctx: HandlerContext): Promise<void> {
  const { event, service } = ctx;
  if (event.channelType === 'dm') {
    await say(ctx, `Ask me in a channel thread, or use \`${USAGE}\`.`, `请在频道的讨论串里问我，或使用 \`${USAGE}\`。`);
    return;
  }
  const pkg = ctx.avatar ? service.registry.find(ctx.avatar) : undefined;
  const voice = pkg ? { name: ctx.lang === 'zh' ? pkg.config.person.name : (pkg.config.person.name_en ?? pkg.config.person.name), label: label(pkg.config, ctx.lang) } : undefined;
  await run(ctx, { channelId: event.channelId, threadId: event.threadId, rangeLabel: '24h', share: asksToShare(ctx.args), voice });
}

/** A summary handed to a worker (serve --role web): what its handler needs of the event. */
export interface SummarizeJob {
  event: ChatEvent;
  target: ReplyTarget;
  args: string;
  lang: Lang;
  isAdmin: boolean;
  avatar?: string;
  via: 'command' | 'intent';
}

/** In a web replica, enqueue the summary for a worker (one job per event); elsewhere run it here. */
function inJob(runtime: Runtime | undefined, via: SummarizeJob['via'], handler: (ctx: HandlerContext) => Promise<void>): (ctx: HandlerContext) => Promise<void> {
  return async (ctx) => {
    const queue = handOffQueue(runtime, ctx.event.platform);
    if (!queue) return handler(ctx);
    const job: SummarizeJob = { event: ctx.event, target: ctx.target, args: ctx.args, lang: ctx.lang, isAdmin: ctx.isAdmin, via, ...(ctx.avatar ? { avatar: ctx.avatar } : {}) };
    await queue.enqueue('summarize', job, { id: `summarize:${ctx.event.platform}:${ctx.event.eventId}`, attempts: BACKGROUND_ATTEMPTS, backoffMs: BACKGROUND_BACKOFF_MS });
  };
}

/**
 * The worker's `summarize` job: the command or intent run through the app's transport, its
 * notices posted as in process ("Reading #general…", "Still reading…") and counted in the job's
 * progress. A failure is retried; on the last run the asker is told it was given up.
 */
export function summarizeJobHandler(runtime: Runtime, transportFor: TransportFinder): JobHandler<SummarizeJob> {
  return async (job) => {
    const d = job.data;
    const log = runtime.log.child({ job: job.id, platform: d.event.platform, event_id: d.event.eventId });
    const transport = transportFor(d.event.platform, d.event.appId);
    if (!transport) throw new PermanentJobError(`summarize job ${job.id}: no ${d.event.platform} app "${d.event.appId}" configured on this worker`);
    // The job's replies are recorded: a run after a crash posts no second "Reading…".
    const respond = jobResponder(transport, d.target, job, runtime.service.store, log);
    const ctx: HandlerContext = { event: d.event, args: d.args, service: runtime.service, transport, log, lang: d.lang, target: d.target, isAdmin: d.isAdmin, avatar: d.avatar, respond };
    try {
      await (d.via === 'intent' ? summarizeIntent(ctx) : summarizeCommand(ctx));
    } catch (err) {
      throw await failJob({ lang: d.lang, log, tell: respond }, job, err, { en: 'make that summary', zh: '生成这份总结' });
    }
    return { done: true };
  };
}

/**
 * A summary job that died without its handler's last run (its workers stopped renewing the lock
 * too often: killed, out of memory) is given up by the queue, and the handler never told the
 * asker: say it here, once (the job's record of its replies). A death the handler saw was told
 * by failJob already.
 */
export async function tellSummaryGivenUp(job: { id: string; data: SummarizeJob; error?: string }, transportFor: TransportFinder, store: StateStore, log: Logger): Promise<void> {
  if (!/stall/i.test(job.error ?? '')) return;
  const d = job.data;
  const transport = transportFor(d.event.platform, d.event.appId);
  if (!transport) {
    log.warn({ job: job.id }, 'summary job given up, and no transport here to tell the asker');
    return;
  }
  const respond = jobResponder(transport, d.target, { id: job.id, progress: async () => undefined }, store, log);
  await respond({
    kind: 'notice',
    errorCode: 'JOB_GIVEN_UP',
    text: t(d.lang, "I couldn't finish this summary (the worker stopped); please ask again.", '这份总结没能完成（处理它的进程停止了），请再试一次。'),
  });
  log.warn({ job: job.id }, 'summary job given up; the asker was told');
}

/** Registers `/summarize` and the summary intent on the shared router (see ROUTER_FEATURES). */
export function registerSummarizeFeature(router: ChatRouter, runtime?: Runtime): void {
  router.commands.register({ name: 'summarize', usage: USAGE, handler: inJob(runtime, 'command', summarizeCommand) });
  router.intents.push({ name: 'summarize', matches: (text) => asksForSummary(text), handle: inJob(runtime, 'intent', summarizeIntent) });
}
