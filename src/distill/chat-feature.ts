import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Lang } from '../text/lang';
import { SLUG_RE, slugFromName, uniqueSlug } from '../avatars/slug';
import type { HandlerContext } from '../chat/commands';
import { t } from '../chat/i18n';
import type { ChatRouter } from '../chat/router';
import type { TransportFinder } from '../chat/answer-handoff';
import { BACKGROUND_ATTEMPTS, BACKGROUND_BACKOFF_MS, handOffQueue } from '../chat/background-jobs';
import { readAnswerProgress, saveAnswerProgress } from '../jobs/answer-job';
import type { Platform } from '../corpus/types';
import { isLastAttempt, PermanentJobError, type JobContext, type JobHandler } from '../jobs/types';
import type { ChatAction, ChatTransport, MessageRef, Reply, ReplyTarget } from '../chat/types';
import { classifyError, UnderstudyError } from '../errors';
import type { Runtime } from '../app/runtime';
import { parseDistillArgs } from './chat-args';
import { clearJob, collectHistory, copySharedFiles, subjectMessages, writeCollected } from './collect';
import { ConsentBook, consentRecord, describeScope, langOfName, purposeText, type ConsentRequest, type Party } from './consent';
import { distill } from './distill';
import { isSubject } from './subject';
import { registerSubjectCommands } from './subject-commands';

export const APPROVE = 'understudy_consent_approve';
export const DECLINE = 'understudy_consent_decline';


/** Where progress and the outcome go: the requester's DM (opened on demand), or the command's target. */
async function tell(transport: ChatTransport, userId: string, fallback: ReplyTarget | undefined, reply: Reply): Promise<MessageRef | undefined> {
  try {
    if (transport.dm) return await transport.dm(userId, reply);
    if (fallback) return await transport.post(fallback, reply);
  } catch {
    if (fallback) return transport.post(fallback, reply).catch(() => undefined);
  }
  return undefined;
}

/**
 * The chat side of distillation: `/distill`, consent requests with Approve/Decline, collection
 * with progress, and the subject's `/avatar mine|pause|resume|revoke|export|correct`.
 */
export class DistillFeature {
  readonly book: ConsentBook;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly router: ChatRouter,
    private readonly runtime: Runtime,
  ) {
    this.book = new ConsentBook(runtime.service.store, runtime.config.consentTtlDays);
  }

  register(): void {
    this.router.commands.register({
      name: 'distill',
      usage: '/distill @user [--since 90d] [--channels #a,#b] [--no-files] | /distill me | /distill @user --policy --reason "..."',
      handler: (ctx) => this.start(ctx),
    });
    this.router.actions.set(APPROVE, (a, tr) => this.decide(a, tr, true));
    this.router.actions.set(DECLINE, (a, tr) => this.decide(a, tr, false));
    registerSubjectCommands(this.router, this.runtime);
    // Expired requests are told to their requesters; the sweep must not keep the process alive.
    this.timer = setInterval(() => void this.book.expireDue().catch((err: unknown) => this.runtime.log.warn({ err }, 'could not expire consent requests')), 3_600_000);
    this.timer.unref();
  }

  private async start(ctx: HandlerContext): Promise<void> {
    const { event, lang } = ctx;
    // Every reply to /distill is ephemeral: in a channel, who is being distilled is nobody else's business.
    const reply = (text: string): Promise<MessageRef | undefined> => ctx.respond({ kind: 'notice', text, ephemeral: true });
    const args = parseDistillArgs(ctx.args);
    if (args.error) return void (await reply(t(lang, `Sorry: ${args.error}.`, `参数有误：${args.error}。`)));
    const targetId = args.target === 'me' ? event.userId : event.mentions[0]?.id;
    if (!targetId) {
      return void (await reply(t(lang, 'Usage: `/distill @someone [--since 90d] [--channels #a,#b]` or `/distill me`.', '用法：`/distill @某人 [--since 90d] [--channels #a,#b]` 或 `/distill me`。')));
    }
    const user = ctx.transport.resolveUser ? await ctx.transport.resolveUser(targetId).catch(() => undefined) : { id: targetId, isBot: false };
    if (!user) return void (await reply(t(lang, `I can't find the user ${targetId} in this workspace.`, `在这个工作区里找不到用户 ${targetId}。`)));
    if (user.isBot) return void (await reply(t(lang, "I can't distill a bot: avatars are of people, with their consent.", '不能蒸馏机器人：数字分身只针对真人，并且需要本人同意。')));
    const platform = event.platform;
    const self = targetId === event.userId;
    // Display names, not raw ids: Feishu events carry no sender name, so ask the directory.
    const me = self ? user : ctx.transport.resolveUser ? await ctx.transport.resolveUser(event.userId).catch(() => undefined) : undefined;
    const requesterName = me?.name ?? event.userName;
    // Each person is spoken to in their own language: a name in Chinese script says Chinese.
    const subject: Party = { id: `${platform}:${targetId}`, name: user.name, lang: langOfName(user.name, lang) };
    const requester: Party = { id: `${platform}:${event.userId}`, name: requesterName, lang: self ? subject.lang : langOfName(requesterName, lang) };
    const rl = requester.lang ?? lang;
    const sl = subject.lang ?? lang;
    const who = user.name ?? targetId;
    const by = requesterName ?? event.userId;
    if (!self && !ctx.isAdmin) {
      await this.runtime.service.store.audit({ actor: requester.id, action: 'distill_refused', detail: { subject: subject.id, why: 'not the subject and not an admin' } });
      return void (await reply(t(rl, 'Only the person themself or an admin can start a distillation. Ask them to run `/distill me`.', '只有本人或管理员可以发起蒸馏。可以请对方自己执行 `/distill me`。')));
    }
    if (args.policy && !ctx.isAdmin) return void (await reply(t(rl, 'Only admins can distill on a company-policy basis.', '只有管理员可以按公司政策发起蒸馏。')));
    if (args.policy && !args.reason?.trim()) return void (await reply(t(rl, 'A policy-basis distillation needs a reason: `--reason "handover after departure"`.', '按政策蒸馏必须说明理由：`--reason "离职交接"`。')));
    let open = await this.book.openFor(subject.id);
    // Earlier versions stored slugs that avatar.yaml rejects (`u-ou_wei`): resuming with one would fail again.
    if (open && !SLUG_RE.test(open.slug)) open = await this.book.update(open, { slug: await this.freshSlug(user.name, targetId) });
    if (open?.status === 'approved' && (open.requester.id === requester.id || ctx.isAdmin)) {
      // An approved run that stopped (crash, restart, rate limits): resume from its saved cursors.
      await reply(t(rl, `Resuming the distillation ${open.id} where it stopped.`, `从中断处继续蒸馏 ${open.id}。`));
      await this.build(open, ctx.transport, ctx.target, ctx.event.appId, true);
      return;
    }
    if (open) {
      return void (await reply(t(rl, `There is already a distillation for ${who} (${open.status}, ${open.id}).`, `${who} 已有一个进行中的蒸馏（${open.status}，${open.id}）。`)));
    }
    const existing = this.runtime.service.registry.list().find((p) => isSubject(p, subject.id) && p.config.status !== 'revoked');
    if (existing && self) {
      return void (await reply(t(rl, `You already have an avatar, @${existing.config.handle}. See \`/avatar mine\`; to refresh it, an admin can re-run the distillation.`, `你已经有数字分身 @${existing.config.handle}，可以用 \`/avatar mine\` 查看。`)));
    }
    const req = await this.book.create({
      slug: existing?.config.slug ?? (await this.freshSlug(user.name, targetId)),
      subject,
      requester,
      basis: self ? 'self' : args.policy ? 'policy' : 'consent',
      scope: { channels: args.channels, since: args.since, files: args.files },
      purpose: purposeText('en'),
      reason: args.reason,
      replyChannel: ctx.target.channelId,
    });
    if (req.basis === 'consent') {
      // The card is for the subject: their language throughout, the requester by name.
      const text = t(
        sl,
        `*${by}* asks to build a digital avatar of you.\n• What: your own messages in ${describeScope(req.scope, 'en')}\n• For: ${purposeText('en')}\n• You can later see, correct, pause or delete it (\`/avatar mine\`).\nNothing is collected unless you approve. This request expires on ${req.expiresAt.slice(0, 10)}.`,
        `*${by}* 请求为你建立数字分身。\n• 收集范围：你本人在${describeScope(req.scope, 'zh')}的消息\n• 用途：${purposeText('zh')}\n• 之后你可以随时查看、纠正、暂停或删除（\`/avatar mine\`）。\n未经你同意不会收集任何内容。本请求于 ${req.expiresAt.slice(0, 10)} 过期。`,
      );
      try {
        if (!ctx.transport.dm) throw new UnderstudyError('PLATFORM_TRANSIENT', 'no DM support');
        await ctx.transport.dm(targetId, { kind: 'consent', id: req.id, text, lang: sl });
      } catch (err) {
        await this.book.update(req, { status: 'failed', note: classifyError(err).message });
        return void (await reply(t(rl, `I could not send ${who} the consent request (${classifyError(err).code}); nothing was collected.`, `无法把授权请求发给 ${who}（${classifyError(err).code}），没有收集任何内容。`)));
      }
      return void (await reply(t(rl, `I asked ${who} for consent (${req.id}). Nothing is collected unless they approve; the request expires on ${req.expiresAt.slice(0, 10)}.`, `已向 ${who} 发送授权请求（${req.id}）。对方同意前不会收集任何内容，请求于 ${req.expiresAt.slice(0, 10)} 过期。`)));
    }
    if (req.basis === 'policy' && ctx.transport.dm) {
      await ctx.transport
        .dm(targetId, { kind: 'notice', text: t(sl, `An admin (${by}) is building a digital avatar of you on a company-policy basis: ${req.reason}. You can see it with \`/avatar mine\`.`, `管理员（${by}）依据公司政策为你建立数字分身：${req.reason}。你可以用 \`/avatar mine\` 查看。`) })
        .catch(() => undefined);
    }
    await this.build(req, ctx.transport, ctx.target, ctx.event.appId, true);
  }

  /** A slug no other avatar or open request has: two colleagues may both be called 王伟. */
  private async freshSlug(name: string | undefined, id: string): Promise<string> {
    const open = new Set((await this.book.list()).filter((r) => r.status === 'pending' || r.status === 'approved').map((r) => r.slug));
    return uniqueSlug(slugFromName(name, id), (s) => open.has(s) || this.runtime.service.registry.list().some((p) => p.config.slug === s));
  }

  private async decide(action: ChatAction, transport: ChatTransport, approve: boolean): Promise<void> {
    const actor = `${action.platform}:${action.userId}`;
    let req: ConsentRequest;
    try {
      req = await this.book.decide(action.value, approve, actor);
    } catch (err) {
      // Whoever clicked is most likely the subject: answer in the request's subject language.
      const lang = (await this.book.get(action.value))?.subject.lang ?? 'en';
      const e = classifyError(err);
      const zh = (err as UnderstudyError).details?.zh;
      const target = action.channelId ? { channelId: action.channelId, userId: action.userId } : undefined;
      await tell(transport, action.userId, target, { kind: 'notice', text: lang === 'zh' && typeof zh === 'string' ? zh : e.message });
      return;
    }
    const sl = req.subject.lang ?? 'en';
    const rl = req.requester.lang ?? 'en';
    const requesterId = req.requester.id.replace(/^[a-z]+:/, '');
    const subjectName = req.subject.name ?? req.subject.id;
    if (action.channelId) {
      const text = approve
        ? t(sl, 'Thank you. Building your avatar now; you will hear when it is ready (`/avatar mine`).', '谢谢。正在建立你的数字分身，完成后会通知你（`/avatar mine`）。')
        : t(sl, 'Declined. Nothing was collected, and the requester has been told.', '已拒绝。没有收集任何内容，已告知发起人。');
      await transport.post({ channelId: action.channelId }, { kind: 'notice', text }).catch(() => undefined);
    }
    if (!approve) {
      await tell(transport, requesterId, undefined, { kind: 'notice', text: t(rl, `${subjectName} declined the distillation (${req.id}). Nothing was collected.`, `${subjectName} 拒绝了蒸馏（${req.id}），没有收集任何内容。`) });
      return;
    }
    await tell(transport, requesterId, undefined, { kind: 'notice', text: t(rl, `${subjectName} approved the distillation (${req.id}). Collecting now.`, `${subjectName} 已同意蒸馏（${req.id}），正在收集。`) });
    await this.build(req, transport, undefined, action.appId, false);
  }

  /**
   * Run collectAndBuild: in a web replica (serve --role web) as a `distill` job for a worker,
   * otherwise here, in the background (tracked, so shutdown waits) or awaited.
   */
  private async build(req: ConsentRequest, transport: ChatTransport, target: ReplyTarget | undefined, appId: string, background: boolean): Promise<void> {
    const queue = handOffQueue(this.runtime, transport.platform);
    if (queue) {
      const job: DistillJob = { consent: req.id, platform: transport.platform, appId, ...(target ? { target } : {}) };
      // A fresh id each time: a distillation stopped for good is started again by running /distill again.
      await queue.enqueue('distill', job, { id: `distill:${req.id}:${randomUUID()}`, attempts: BACKGROUND_ATTEMPTS, backoffMs: BACKGROUND_BACKOFF_MS });
      return;
    }
    const work = this.collectAndBuild(req, transport, target);
    if (background) this.router.track(work);
    else await work;
  }

  /**
   * Collect with progress, then distill. Runs only on an approved request; resumable from its
   * cursor. Progress goes to the requester in their language; the subject, if someone else, is
   * told in theirs when the avatar is ready (their consent card promised it).
   */
  async collectAndBuild(req: ConsentRequest, transport: ChatTransport, target: ReplyTarget | undefined, lang: Lang = req.requester.lang ?? 'en', job?: Pick<JobContext, 'id' | 'attempt' | 'attempts' | 'progress'>): Promise<void> {
    await this.book.requireApproved(req.id);
    const { service, config, log } = this.runtime;
    const requesterId = req.requester.id.replace(/^[a-z]+:/, '');
    const subjectId = req.subject.id.replace(/^[a-z]+:/, '');
    const name = req.subject.name ?? req.subject.id;
    const staging = path.join(config.dataDir, 'distill', req.id);
    // As a job: the progress message an earlier run posted is the one to update (recorded under the job's id).
    let status: MessageRef | undefined = job ? (await readAnswerProgress(service.store, job.id)).placeholder : undefined;
    let lastUpdate = 0;
    const show = async (text: string, final = false, flags: Pick<Reply & { kind: 'notice' }, 'errorCode'> = {}): Promise<void> => {
      const reply: Reply = final ? { kind: 'notice', text, ...flags } : { kind: 'status', text };
      // A worker's job shows the same line in the queue.
      await job?.progress({ consent: req.id, status: text.slice(0, 160) }).catch(() => undefined);
      const posted = !status;
      if (status) await transport.update(status, reply).catch(() => undefined);
      else status = await tell(transport, requesterId, target, reply);
      // The final word is out: a job given up after this tells nobody again (tellDistillGivenUp).
      if (job && (final || (posted && status))) await saveAnswerProgress(service.store, job.id, { ...(status ? { placeholder: status } : {}), ...(final ? { answered: true } : {}) });
    };
    try {
      if (!transport.history) throw new UnderstudyError('PLATFORM_TRANSIENT', 'this platform cannot read history yet');
      await show(t(lang, `Collecting ${name}'s messages…`, `正在收集 ${name} 的消息…`));
      const reader = transport.history();
      const collected = await collectHistory(req, reader, service.store, staging, (p) => {
        if (Date.now() - lastUpdate < 2_000) return;
        lastUpdate = Date.now();
        void show(t(lang, `Collected ${p.messages.toLocaleString('en')} messages from ${p.channelsDone} of ${p.channels} channels…`, `已从 ${p.channels} 个频道中的 ${p.channelsDone} 个收集了 ${p.messages.toLocaleString('en')} 条消息…`));
      });
      const mine = subjectMessages(collected, req.subject.id);
      if (mine === 0) {
        await this.book.update(req, { status: 'completed', note: 'no messages found' });
        await clearJob(service.store, req.id, staging);
        await show(t(lang, `I found no messages of ${name} in the channels I can read, so no avatar was created. Invite me to their channels and try again.`, `在我能读取的频道里没有找到 ${name} 的消息，因此没有创建数字分身。请把我加入对方所在的群后再试。`), true);
        return;
      }
      await show(t(lang, `Collected ${mine.toLocaleString('en')} messages from ${collected.size} channels. Building the avatar…`, `已从 ${collected.size} 个频道收集 ${mine.toLocaleString('en')} 条消息，正在建立数字分身…`));
      const outcome = await distill(service, {
        slug: req.slug,
        person: { name, aliases: [req.subject.id, ...(req.subject.name ? [req.subject.name] : [])], languages: req.subject.lang ? [req.subject.lang] : undefined },
        consent: consentRecord(req),
        actor: req.requester.id,
        prepare: (corpusDir) => {
          writeCollected(corpusDir, reader.platform, collected);
          copySharedFiles(staging, corpusDir, reader.platform);
        },
      });
      await this.book.update(req, { status: 'completed' });
      await clearJob(service.store, req.id, staging);
      const pkg = service.get(req.slug);
      const red = maskedSummary(outcome.ingest.redactions, lang);
      await show(
        t(
          lang,
          `The avatar @${pkg.config.handle} is ready: ${outcome.ingest.totalChunks} passages from ${mine} messages, skill v${outcome.version.version} with ${outcome.synthesis.stats.anchors} evidence anchors. Masked at ingest: ${red}. ${req.subject.name ?? 'The subject'} can review it with \`/avatar mine\`.`,
          `数字分身 @${pkg.config.handle} 已就绪：来自 ${mine} 条消息的 ${outcome.ingest.totalChunks} 段资料，技能第 ${outcome.version.version} 版，${outcome.synthesis.stats.anchors} 处证据锚点。入库时脱敏：${red}。本人可以用 \`/avatar mine\` 查看。`,
        ),
        true,
      );
      if (subjectId !== requesterId && transport.dm) {
        const sl = req.subject.lang ?? 'en';
        await transport
          .dm(subjectId, {
            kind: 'notice',
            text: t(sl, `Your avatar @${pkg.config.handle} is ready. See what it holds, correct, pause or delete it with \`/avatar mine\`.`, `你的数字分身 @${pkg.config.handle} 已就绪。可以用 \`/avatar mine\` 查看它掌握的内容，并纠正、暂停或删除它。`),
          })
          .catch((err: unknown) => log.warn({ err, consent: req.id }, 'could not tell the subject that their avatar is ready'));
      }
    } catch (err) {
      const e = classifyError(err);
      if (job && e.retryable && !isLastAttempt(job)) {
        // The queue runs it again, from the saved cursors; the requester hears only if that fails too.
        log.warn({ consent: req.id, code: e.code, err, job: job.id, attempt: job.attempt }, 'distillation failed; the job will be retried');
        await this.book.update(req, { status: 'approved', note: e.message });
        throw err;
      }
      log.error({ consent: req.id, code: e.code, err }, 'distillation failed');
      await this.book.update(req, { status: e.code === 'INPUT_INVALID' ? 'completed' : 'approved', note: e.message });
      const hint = e.code === 'PLATFORM_SCOPE' || e.code === 'INPUT_INVALID' ? ` ${e.message}` : t(lang, ' It can resume from where it stopped: run `/distill` again.', '可以从中断处继续：再次执行 `/distill`。');
      await show(t(lang, `The distillation stopped (${e.code}).${hint}`, `蒸馏中断（${e.code}）。${hint}`), true, { errorCode: e.code });
      // As a job: given up, so it stays as a dead letter.
      if (job) throw e.retryable ? err : new PermanentJobError(`${e.code}: ${e.message}`);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

const KIND_ZH: Record<string, string> = {
  api_key: 'API 密钥', token: '令牌', jwt: 'JWT', private_key: '私钥', password: '密码', connection_string: '连接串', email: '邮箱', phone: '电话',
  cn_id: '身份证号', bank_card: '银行卡号', person_name: '人名', iban: 'IBAN', ssn: '社会安全号', passport: '护照号', file_name: '文件名',
};

/** "password 2, email 1" / "密码 2、邮箱 1" / "nothing" / "无". */
function maskedSummary(counts: Partial<Record<string, number>>, lang: Lang): string {
  const parts = Object.entries(counts).map(([k, n]) => `${lang === 'zh' ? (KIND_ZH[k] ?? k) : k} ${n}`);
  return parts.join(lang === 'zh' ? '、' : ', ') || t(lang, 'nothing', '无');
}

/** A distillation handed to a worker (serve --role web): the approved consent request and the app to collect through. */
export interface DistillJob {
  consent: string;
  platform: Platform;
  appId: string;
  /** Where the /distill command was given (progress goes to the requester's DM when the platform has one). */
  target?: ReplyTarget;
}

/**
 * The worker's `distill` job: collect and build for an approved request, with the same progress
 * messages as in process (and in the job's progress). A transient failure is retried from the
 * saved cursors; the last one tells the requester and leaves a dead letter.
 */
export function distillJobHandler(router: ChatRouter, runtime: Runtime, transportFor: TransportFinder): JobHandler<DistillJob> {
  const feature = new DistillFeature(router, runtime);
  return async (job) => {
    const d = job.data;
    const transport = transportFor(d.platform, d.appId);
    if (!transport) throw new PermanentJobError(`distill job ${job.id}: no ${d.platform} app "${d.appId}" configured on this worker`);
    const req = await feature.book.get(d.consent);
    if (!req) throw new PermanentJobError(`distill job ${job.id}: no consent request ${d.consent}`);
    // A run after one that finished (its worker died before the queue heard) has nothing to do.
    if (req.status === 'completed') return { skipped: true };
    try {
      await feature.collectAndBuild(req, transport, d.target, undefined, job);
    } catch (err) {
      // Revoked or declined meanwhile: no retry will help.
      throw err instanceof PermanentJobError || classifyError(err).retryable ? err : new PermanentJobError(`${classifyError(err).code}: ${classifyError(err).message}`);
    }
    return { done: true };
  };
}

/** The failure a dead job's last run ended with, short and inert: one line in a code span (shown as written on Slack and Feishu), no stack. */
function shortReason(error: string | undefined, lang: Lang): string {
  if (!error || /stall/i.test(error)) return t(lang, 'the worker stopped', '处理它的进程停止了');
  const line = (error.split('\n')[0] ?? '').replace(/^\w*Error: /, '').replace(/`/g, "'").trim();
  return `\`${line.length > 160 ? `${line.slice(0, 159)}…` : line}\``;
}

/**
 * A distill job the queue gave up on without its handler telling the requester (its workers died
 * again and again, or it failed before or while reporting): the requester is told, in place of the
 * progress message when one is recorded (else in their DM or where they asked), once across calls.
 */
export async function tellDistillGivenUp(job: { id: string; data: DistillJob; error?: string }, transportFor: TransportFinder, runtime: Runtime): Promise<void> {
  const { store } = runtime.service;
  const log = runtime.log.child({ job: job.id, consent: job.data.consent });
  const record = await readAnswerProgress(store, job.id);
  if (record.answered) return;
  // An earlier call set out to post the notice and never recorded it: it may be out, so not a second one.
  if (!record.placeholder && record.posting !== undefined) return void log.warn('distill job given up; an earlier notice may be out, posting no second one');
  const transport = transportFor(job.data.platform, job.data.appId);
  const req = await new ConsentBook(store, runtime.config.consentTtlDays).get(job.data.consent);
  if (!transport || !req) return void log.warn('distill job given up, and no transport or consent request here to tell the requester');
  const lang = req.requester.lang ?? 'en';
  const name = req.subject.name ?? req.subject.id;
  const reason = shortReason(job.error, lang);
  const notice: Reply = {
    kind: 'notice',
    errorCode: 'JOB_GIVEN_UP',
    text: t(lang, `I couldn't finish the distillation of ${name} (${reason}). Run \`/distill\` again to resume it from where it stopped.`, `${name} 的蒸馏没能完成（${reason}）。再次执行 \`/distill\` 可以从中断处继续。`),
  };
  let placeholder = record.placeholder;
  if (placeholder) await transport.update(placeholder, notice);
  else {
    await saveAnswerProgress(store, job.id, { posting: Date.now() });
    placeholder = await tell(transport, req.requester.id.replace(/^[a-z]+:/, ''), job.data.target, notice);
  }
  await saveAnswerProgress(store, job.id, { ...(placeholder ? { placeholder } : {}), answered: true });
  log.warn({ in_place: record.placeholder !== undefined }, 'distill job given up; the requester was told');
}

export function registerDistillFeature(router: ChatRouter, runtime: Runtime): void {
  new DistillFeature(router, runtime).register();
}
