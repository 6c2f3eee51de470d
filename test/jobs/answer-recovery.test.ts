import path from 'node:path';
import { ChatOpenAI } from '@langchain/openai';
import { WebClient } from '@slack/web-api';
import { LarkApi } from '../../src/adapters/lark/open-api';
import { LarkTransport } from '../../src/adapters/lark/transport';
import { webClientOptions } from '../../src/adapters/slack/adapter';
import { ASSISTANT_THREADS, SlackTransport } from '../../src/adapters/slack/transport';
import { AvatarService } from '../../src/app/avatar-service';
import { answerHandler, tellAnswerGivenUp } from '../../src/chat/answer-handoff';
import { jobResponder } from '../../src/chat/background-jobs';
import { tellSummaryGivenUp, type SummarizeJob } from '../../src/summarize/chat-feature';
import { ChatRouter } from '../../src/chat/router';
import { conversationKey, type ChatEvent, type ChatTransport, type ReplyTarget } from '../../src/chat/types';
import { answerJobId, readAnswerProgress, type AnswerJob } from '../../src/jobs/answer-job';
import { InProcessJobQueue } from '../../src/jobs/memory-queue';
import type { JobContext } from '../../src/jobs/types';
import { silentLogger } from '../../src/log';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import type { StateStore } from '../../src/store/types';
import type { FakeLark } from '../helpers/fake-lark';
import { startFakeOpenAi } from '../helpers/fake-openai';
import type { FakeSlack } from '../helpers/fake-slack';
import { makeAvatar, tmpDir } from '../helpers/fixtures';
import { HUB_APP, HUB_SECRET, newFakeLark } from '../helpers/lark-harness';
import { startFakeSlack } from '../helpers/slack-harness';
import { until } from '../helpers/wait';

/**
 * A worker's answer job run again after dying between posting its placeholder and recording it,
 * through the real in-process queue, answerHandler, router, and the Slack and Feishu transports
 * against their fakes: exactly one placeholder, and the answer replaces it. An answer job given up
 * for good tells the asker once; a summary's replies are posted once across its runs.
 */

const ROLLBACK = '# Rollback billing-gateway\n\nIf it touches money, roll back first and debug later. Run `deployctl rollback billing-gateway --to v2.14.2`.\n';
const PLACEHOLDER = /looking through the material/;

async function router(store: SqliteStateStore, model?: ChatOpenAI): Promise<ChatRouter> {
  const root = tmpDir();
  makeAvatar(root, 'lao-zhang', { 'rollback.md': ROLLBACK });
  const service = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store, model });
  await service.ingest('lao-zhang');
  return new ChatRouter({ service });
}

/**
 * The state store as a worker that dies right after posting the placeholder sees it: recording
 * the placeholder never returns (the process stopped there), and `died` rejects at that moment.
 */
function dyingAfterPost(store: StateStore): { store: StateStore; died: Promise<never> } {
  let die: (err: Error) => void = () => undefined;
  const died = new Promise<never>((_, reject) => (die = reject));
  const dying = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'kvSet') {
        return async (ns: string, key: string, value: { placeholder?: unknown; answered?: boolean }, ...rest: unknown[]) => {
          if (ns === 'answer_progress' && value?.placeholder && !value.answered) {
            die(new Error('worker stopped between posting the placeholder and recording it'));
            return new Promise<void>(() => undefined);
          }
          return (target.kvSet as (...a: unknown[]) => Promise<void>).call(target, ns, key, value, ...rest);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store: dying, died };
}

/** The state store unreachable for reading answer progress (every run of the job fails at once). */
function unreachable(store: StateStore): StateStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'kvGet') {
        return async (ns: string, ...rest: unknown[]) => {
          if (ns === 'answer_progress') throw new Error('state store unreachable');
          return (target.kvGet as (...a: unknown[]) => Promise<unknown>).call(target, ns, ...rest);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

function jobOf(event: ChatEvent, text: string): AnswerJob {
  const target: ReplyTarget = {
    channelId: event.channelId, userId: event.userId,
    origin: { eventId: event.eventId, channelId: event.channelId, channelType: event.channelType, messageId: event.messageId, conversation: conversationKey(event), lang: 'en' },
  };
  return { event, target, args: text, lang: 'en', avatar: 'lao-zhang' };
}

let n = 0;
function slackDm(text: string): ChatEvent {
  n++;
  return {
    eventId: `EvRecover${n}x${Date.now()}`, platform: 'slack', appId: 'A_HUB', workspaceId: 'T111', channelId: `D_R${n}`, channelType: 'dm',
    messageId: `${Math.floor(Date.now() / 1000)}.${String(n).padStart(6, '0')}`, userId: 'U1', text, mentioned: false, mentions: [], kind: 'message', sentAt: Date.now(), appAvatar: 'lao-zhang',
  };
}

function larkDm(fake: FakeLark, text: string): ChatEvent {
  n++;
  const chat = `oc_p2p_recover${n}`;
  const messageId = `om_question${n}`;
  fake.seed({ message_id: messageId, chat_id: chat, sender: 'ou_asker' });
  return {
    eventId: `ev_recover_${n}`, platform: 'lark', appId: HUB_APP, workspaceId: 'tenant_test_1', channelId: chat, channelType: 'dm',
    messageId, userId: 'ou_asker', text, mentioned: false, mentions: [], kind: 'message', sentAt: Date.now(), appAvatar: 'lao-zhang',
  };
}

/**
 * Run `job` through an in-process queue with the worker's handlers (3 attempts, as handed off);
 * resolves when it is finished. With `dying`, the first run is a worker that stops right after
 * posting the placeholder; the runs after it are another worker's (a router of its own, the same state).
 */
async function runAnswer(r: ChatRouter, transport: ChatTransport, store: StateStore, job: AnswerJob, dying?: ReturnType<typeof dyingAfterPost>): Promise<{ state: string; attemptsMade: number }> {
  const queue = new InProcessJobQueue(silentLogger);
  const other = new ChatRouter({ service: r.service });
  const answer = (j: JobContext<AnswerJob>): Promise<unknown> =>
    dying && j.attempt === 1 ? Promise.race([answerHandler(r, () => transport, dying.store, silentLogger)(j), dying.died]) : answerHandler(dying ? other : r, () => transport, store, silentLogger)(j);
  const worker = queue.process(
    { answer: answer as never },
    { onDead: (dead) => tellAnswerGivenUp({ id: dead.id, data: dead.data as AnswerJob }, () => transport, r.service.store, silentLogger) },
  );
  try {
    const id = answerJobId(job.event);
    await queue.enqueue('answer', job, { id, attempts: 3, backoffMs: 10 });
    return await queue.waitFor(id, 30_000);
  } finally {
    await worker.close();
    await queue.close();
  }
}

describe('Slack: an answer job that died between posting its placeholder and recording it', () => {
  let fake: FakeSlack;
  let store: SqliteStateStore;
  let r: ChatRouter;
  let transport: SlackTransport;
  beforeEach(async () => {
    fake = await startFakeSlack();
    store = new SqliteStateStore(':memory:');
    r = await router(store);
    transport = new SlackTransport(new WebClient('xoxb-hub', webClientOptions(fake.url)), 'U_HUBBOT', store, silentLogger);
  });
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await fake.stop();
    for (const close of closers.splice(0)) await close();
  });

  it('the retry finds the placeholder by its metadata and the answer replaces it: one placeholder, one answer', async () => {
    const event = slackDm('How do I roll back billing-gateway?');
    const job = jobOf(event, event.text);
    const done = await runAnswer(r, transport, store, job, dyingAfterPost(store));
    expect(done).toMatchObject({ state: 'completed', attemptsMade: 2 });

    const posts = fake.of('chat.postMessage').filter((c) => c.args.channel === event.channelId);
    expect(posts).toHaveLength(1);
    expect(String(posts[0].args.text)).toMatch(PLACEHOLDER);
    expect(posts[0].args.metadata).toEqual({ event_type: 'understudy_job', event_payload: { job: answerJobId(event) } });
    const placeholderTs = fake.posted.get(event.channelId)?.[0].ts;
    // Looked up with the metadata, since the question.
    const lookups = fake.of('conversations.history').filter((c) => c.args.channel === event.channelId);
    expect(lookups).toHaveLength(1);
    expect(lookups[0].args).toMatchObject({ include_all_metadata: 'true', oldest: event.messageId });
    // The answer went into the placeholder, and nothing else was posted.
    const updates = fake.of('chat.update').filter((c) => c.args.channel === event.channelId);
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(updates.every((u) => u.args.ts === placeholderTs)).toBe(true);
    expect(JSON.stringify(updates.at(-1)?.args.blocks)).toMatch(/understudy_feedback/);
    expect(await readAnswerProgress(store, event.eventId)).toMatchObject({ answered: true, placeholder: { messageId: placeholderTs } });
  });

  it('in an assistant thread (native status, the first draft is the placeholder): the retry finds that draft by its metadata; one placeholder, one answer', async () => {
    // A model writing slowly, so the answer shows as drafts.
    const openai = await startFakeOpenAi(() => 'Roll back first [1]. If it touches money, run deployctl rollback billing-gateway to v2.14.2, then debug later, calmly and with the logs in hand.');
    openai.mode = 'slow';
    openai.slowMs = 100;
    closers.push(() => openai.close());
    r = await router(store, new ChatOpenAI({ model: 'gpt-test', apiKey: 'sk-test', maxRetries: 0, configuration: { baseURL: openai.baseURL } }));
    const event = { ...slackDm('How do I roll back billing-gateway?'), threadId: '1760000000.000900' };
    await store.kvSet(ASSISTANT_THREADS, `${event.channelId}:${event.threadId}`, { user: event.userId, context: null });
    const job = jobOf(event, event.text);
    job.target.threadId = event.threadId;
    const done = await runAnswer(r, transport, store, job, dyingAfterPost(store));
    expect(done).toMatchObject({ state: 'completed', attemptsMade: 2 });

    expect(fake.of('assistant.threads.setStatus').length).toBeGreaterThanOrEqual(1);
    // One message opened the answer, keyed with the job's id; the retry found it in the thread (a stream then takes its place).
    const posts = fake.of('chat.postMessage').filter((c) => !c.args.failed && c.args.channel === event.channelId);
    expect(posts).toHaveLength(1);
    expect(posts[0].args.metadata).toEqual({ event_type: 'understudy_job', event_payload: { job: answerJobId(event) } });
    const placeholderTs = fake.posted.get(event.channelId)?.[0].ts;
    expect(fake.of('conversations.replies').find((c) => c.args.channel === event.channelId && c.args.include_all_metadata)?.args).toMatchObject({ include_all_metadata: 'true', ts: event.threadId });
    expect(fake.of('chat.startStream').length).toBeLessThanOrEqual(1);
    if (fake.of('chat.startStream').length === 1) expect(fake.of('chat.delete').map((c) => c.args.ts)).toEqual([placeholderTs]);
    const answers = fake.calls.filter((c) => !c.args.failed && c.args.channel === event.channelId && JSON.stringify(c.args.blocks ?? '').includes('understudy_feedback'));
    expect(answers).toHaveLength(1);
    expect(answers[0].method).toBe('chat.update');
  }, 30_000);

  it('a run that set out to post and never did (nothing to find) posts the placeholder once', async () => {
    const event = slackDm('How do I roll back billing-gateway?');
    await store.kvSet('answer_progress', event.eventId, { posting: Date.now() - 1000 });
    const done = await runAnswer(r, transport, store, jobOf(event, event.text));
    expect(done.state).toBe('completed');
    const posts = fake.of('chat.postMessage').filter((c) => c.args.channel === event.channelId);
    expect(posts.map((p) => PLACEHOLDER.test(String(p.args.text)))).toEqual([true]);
    expect(fake.of('chat.update').filter((c) => c.args.channel === event.channelId).every((u) => u.args.ts === fake.posted.get(event.channelId)?.[0].ts)).toBe(true);
  });

  it('when the lookup itself fails, no second placeholder goes out; the answer is posted', async () => {
    const event = slackDm('How do I roll back billing-gateway?');
    fake.fail('conversations.history', { error: 'missing_scope', needed: 'im:history', times: Infinity });
    const done = await runAnswer(r, transport, store, jobOf(event, event.text), dyingAfterPost(store));
    expect(done.state).toBe('completed');
    const posts = fake.of('chat.postMessage').filter((c) => c.args.channel === event.channelId);
    expect(posts.filter((p) => PLACEHOLDER.test(String(p.args.text)))).toHaveLength(1);
    expect(posts.filter((p) => JSON.stringify(p.args.blocks ?? '').includes('understudy_feedback'))).toHaveLength(1);
  });

  it('an answer job that dies for good: the asker is told once, in the thread when no placeholder is known', async () => {
    const event = slackDm('How do I roll back billing-gateway?');
    const done = await runAnswer(r, transport, unreachable(store), jobOf(event, event.text));
    expect(done).toMatchObject({ state: 'dead', attemptsMade: 3 });
    await until(async () => (await readAnswerProgress(store, event.eventId)).answered === true, 'the notice to be recorded', 5_000);
    const notices = fake.of('chat.postMessage').filter((c) => c.args.channel === event.channelId);
    expect(notices.map((c) => String(c.args.text))).toEqual([expect.stringMatching(/I couldn't finish this answer \(the worker stopped\); please ask again/)]);
    // Told again (a second report of the same death): nothing more.
    await tellAnswerGivenUp({ id: answerJobId(event), data: jobOf(event, event.text) }, () => transport, store, silentLogger);
    expect(fake.of('chat.postMessage').filter((c) => c.args.channel === event.channelId)).toHaveLength(1);
  });

  it('given up after the placeholder went out: the notice replaces it, in Chinese for a Chinese asker', async () => {
    const event = slackDm('怎么回滚 billing-gateway？');
    const job = { ...jobOf(event, event.text), lang: 'zh' as const };
    const placeholder = await transport.post(job.target, { kind: 'status', text: '正在查阅资料…', key: answerJobId(event) });
    await store.kvSet('answer_progress', event.eventId, { placeholder, at: Date.now() });
    await tellAnswerGivenUp({ id: answerJobId(event), data: job }, () => transport, store, silentLogger);
    const update = fake.of('chat.update').filter((c) => c.args.channel === event.channelId);
    expect(update).toHaveLength(1);
    expect(update[0].args).toMatchObject({ ts: placeholder.messageId });
    expect(String(update[0].args.text)).toMatch(/这个回答没能完成（处理它的进程停止了），请再问一次/);
    expect(fake.of('chat.postMessage').filter((c) => c.args.channel === event.channelId)).toHaveLength(1);
  });

  it('a summary job run again posts its progress notice once (recorded under the job id), in a DM where it is a message', async () => {
    const event = slackDm('/summarize');
    const job = jobOf(event, '');
    const ctx = { id: `summarize:slack:${event.eventId}`, progress: async () => undefined } as Pick<JobContext, 'id' | 'progress'>;
    const reading = { kind: 'notice' as const, text: 'Reading #general (24h)…' };
    // The first run posts "Reading…" and dies; the second says it again, then posts the summary.
    await jobResponder(transport, job.target, ctx, store)(reading);
    const second = jobResponder(transport, job.target, ctx, store);
    await second(reading);
    await second({ kind: 'notice', text: '**Summary #general**' });
    const texts = fake.of('chat.postMessage').filter((c) => c.args.channel === event.channelId).map((c) => String(c.args.text));
    expect(texts).toEqual(['Reading #general (24h)…', '**Summary #general**']);
  });

  it('a summary job whose first run died between posting "Reading…" and recording it posts no second one when Slack cannot be searched', async () => {
    const event = slackDm('/summarize');
    const job = jobOf(event, '');
    const ctx = { id: `summarize:slack:${event.eventId}`, progress: async () => undefined } as Pick<JobContext, 'id' | 'progress'>;
    const reading = { kind: 'status' as const, text: 'Reading #general (24h)…' };
    // The first run records its intent, posts, and dies before recording the post.
    let writes = 0;
    const dying = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'kvSet') return async (...args: Parameters<StateStore['kvSet']>) => {
          if (++writes > 1) throw new Error('worker killed');
          return target.kvSet(...args);
        };
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    await expect(jobResponder(transport, job.target, ctx, dying)(reading)).rejects.toThrow('worker killed');
    fake.fail('conversations.history', { error: 'ratelimited', times: Infinity });
    const second = jobResponder(transport, job.target, ctx, store);
    await second(reading);
    await second({ kind: 'notice', text: '**Summary #general**' });
    const texts = fake.of('chat.postMessage').filter((c) => c.args.channel === event.channelId && !c.args.failed).map((c) => String(c.args.text));
    expect(texts).toEqual(['Reading #general (24h)…', '**Summary #general**']);
  });
  it('a summary job the queue gave up after its workers stalled tells the asker once; one its handler failed is left to the handler', async () => {
    const event = slackDm('/summarize');
    const data: SummarizeJob = { event, target: jobOf(event, '').target, args: '', lang: 'en', isAdmin: false, via: 'command' };
    const id = `summarize:slack:${event.eventId}`;
    await tellSummaryGivenUp({ id, data, error: 'invalid_auth' }, () => transport, store, silentLogger);
    expect(fake.of('chat.postMessage').filter((c) => c.args.channel === event.channelId)).toHaveLength(0);
    for (let i = 0; i < 2; i++) await tellSummaryGivenUp({ id, data, error: 'job stalled more than allowable limit' }, () => transport, store, silentLogger);
    const texts = fake.of('chat.postMessage').filter((c) => c.args.channel === event.channelId).map((c) => String(c.args.text));
    expect(texts).toEqual([expect.stringMatching(/I couldn't finish this summary \(the worker stopped\); please ask again/)]);
  });
});

describe('Feishu: an answer job that died between posting its placeholder and recording it', () => {
  let fake: FakeLark;
  let store: SqliteStateStore;
  let r: ChatRouter;
  let transport: LarkTransport;
  beforeEach(async () => {
    fake = await newFakeLark();
    store = new SqliteStateStore(':memory:');
    r = await router(store);
    transport = new LarkTransport(new LarkApi({ name: 'hub', appId: HUB_APP, appSecret: HUB_SECRET }, fake.url, silentLogger), store, silentLogger);
  });
  afterEach(async () => {
    await fake.stop();
  });

  const sent = (chat: string) => [...fake.messages.values()].filter((m) => m.chat_id === chat && m.sender === HUB_APP);

  it('the retry posts the placeholder again with the same uuid, gets the same message back, and the answer replaces it', async () => {
    const event = larkDm(fake, 'How do I roll back billing-gateway?');
    const done = await runAnswer(r, transport, store, jobOf(event, event.text), dyingAfterPost(store));
    expect(done).toMatchObject({ state: 'completed', attemptsMade: 2 });

    const posts = fake.of('im.v1.message.reply').filter((c) => c.path.includes(event.messageId));
    // Two calls, one uuid: one message.
    expect(posts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(posts.slice(0, 2).map((p) => p.body.uuid)).size).toBe(1);
    const messages = sent(event.channelId);
    expect(messages).toHaveLength(1);
    const patches = fake.of('im.v1.message.patch');
    expect(patches.length).toBeGreaterThanOrEqual(1);
    expect(patches.every((p) => p.path.endsWith(messages[0].message_id))).toBe(true);
    expect(messages[0].content).toMatch(/deployctl rollback/);
    expect(messages[0].content).not.toMatch(PLACEHOLDER);
    expect(await readAnswerProgress(store, event.eventId)).toMatchObject({ answered: true, placeholder: { messageId: messages[0].message_id } });
  });

  it('an answer job that dies for good: one notice, in place of the placeholder a run set out to post', async () => {
    const event = larkDm(fake, 'How do I roll back billing-gateway?');
    const job = jobOf(event, event.text);
    // A run posted the placeholder and died before recording it; then the job was given up.
    await transport.post(job.target, { kind: 'status', text: 'looking through the material…', key: answerJobId(event) });
    await store.kvSet('answer_progress', event.eventId, { posting: Date.now() - 1000 });
    await tellAnswerGivenUp({ id: answerJobId(event), data: job }, () => transport, store, silentLogger);
    const messages = sent(event.channelId);
    expect(messages).toHaveLength(1);
    expect(messages[0].content).toMatch(/I couldn't finish this answer \(the worker stopped\); please ask again/);
  });
});
