import fs from 'node:fs';
import path from 'node:path';
import { Queue, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { connectRedis, redisOptions } from '../../src/store/redis-connection';
import { runCli } from '../helpers/cli';
import type { FakeSlack } from '../helpers/fake-slack';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai';
import { describeServices, REDIS_DB, redisUrl, schemaPerTest } from '../helpers/services';
import { LZ_SECRET, slackWorkspace, startFakeSlack } from '../helpers/slack-harness';
import type { FakeLark } from '../helpers/fake-lark';
import { HUB_APP, HUB_KEY, HUB_SECRET, HUB_TOKEN, LZ_KEY as LZ_LARK_KEY, LZ_SECRET as LZ_LARK_SECRET, LZ_TOKEN as LZ_LARK_TOKEN, larkWorkspace, messageEvent, newFakeLark, wireBody } from '../helpers/lark-harness';
import { until } from '../helpers/wait';
import { deliver, dmEvent, repliesByChannel, startReplica, stopReplica, type Replica } from './cluster';
import { TcpHoldingProxy } from './tcp-holding-proxy';

/**
 * Events a web replica acked and had not handed off when it was killed (kill -9): Slack does not
 * deliver an acked event again, so they are in the replica's handoff journal, and another web
 * replica replays them once the dead one's lease is gone. Built CLI, PostgreSQL, Redis db 4.
 */

const replayedOn = async (port: number, platform = 'slack'): Promise<number> => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(new RegExp(`understudy_events_replayed_total\\{platform="${platform}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
};

describeServices('handoff journal: acked events survive a killed web replica', () => {
  jest.setTimeout(180_000);
  const db = schemaPerTest();
  const url = redisUrl(REDIS_DB.handoffJournal);
  let redis: Redis;
  let fake: FakeSlack;
  let model: FakeOpenAi;
  let proxy: TcpHoldingProxy;
  let root: string;
  let env: Record<string, string>;
  const replicas: Replica[] = [];

  beforeEach(async () => {
    redis = await connectRedis(url);
    await redis.flushdb();
    fake = await startFakeSlack();
    const r = new URL(url);
    proxy = new TcpHoldingProxy({ host: r.hostname, port: Number(r.port || 6379) });
    await proxy.start();
    model = await startFakeOpenAi(() => 'MODEL ANSWER: roll back first with `deployctl rollback billing-gateway --to v2.14.2` [1].');
    root = slackWorkspace();
    env = {
      DATABASE_URL: db().url, REDIS_URL: url, UNDERSTUDY_QUEUE: 'answers',
      SLACK_SIGNING_SECRET: 'hub-signing-secret', SLACK_BOT_TOKEN: 'xoxb-hub', SLACK_API_URL: fake.url,
      LZ_SLACK_BOT_TOKEN: 'xoxb-lz', LZ_SLACK_SIGNING_SECRET: LZ_SECRET,
      OPENAI_BASE_URL: model.baseURL, OPENAI_API_KEY: 'sk-test', OPENAI_MAX_RETRIES: '0',
    };
    const built = await runCli(['ingest', 'lao-zhang'], { cwd: root, env });
    expect(built.code).toBe(0);
  });
  afterEach(async () => {
    const keep = process.env.UNDERSTUDY_SCALE_LOGS;
    if (keep) for (const [i, r] of replicas.entries()) fs.writeFileSync(path.join(keep, `handoff-${i}-${r.role}.log`), r.log());
    await Promise.all(replicas.splice(0).map((r) => stopReplica(r, 'SIGKILL')));
    await proxy.stop();
    await model.close();
    await fake.stop();
    await redis.flushdb();
    redis.disconnect();
  });

  const start = async (role: 'web' | 'worker' | 'all', extra: Record<string, string> = {}): Promise<Replica> => {
    const r = await startReplica(role, root, { ...env, ...extra });
    replicas.push(r);
    return r;
  };
  const journalDir = (): string => path.join(root, 'data', 'handoff');

  it('role all: a replica killed while the model held an answer; the next one takes its journal over once its lease is gone and answers it once, in place of the placeholder', async () => {
    model.mode = 'hang';
    const doomed = await start('all');
    const e = dmEvent(301);
    expect(await deliver(doomed.port, e.raw)).toBe(200);
    await until(() => model.requests.length >= 1 && repliesByChannel(fake).get(e.channel)?.posts === 1, 'the placeholder and the model call', 30_000);
    await stopReplica(doomed, 'SIGKILL');
    model.mode = 'ok';
    const next = await start('all');
    // Slack's retry of the event, to the new replica: refused (the dead replica's claim carries its entry's id, not this one's).
    expect(await deliver(next.port, e.raw, 1)).toBe(200);
    await until(() => (repliesByChannel(fake).get(e.channel)?.answers ?? 0) >= 1, 'the answer from the journal taken over', 60_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(repliesByChannel(fake).get(e.channel)).toEqual({ answers: 1, posts: 1 });
    expect(next.log()).toMatch(/replaying the events a stopped replica acked and did not hand off/);
  });

  it('a web replica killed after acking events it had not handed off: another web replica replays its journal, and each event is answered once', async () => {
    const worker = await start('worker');
    // The doomed replica reaches Redis through a proxy that stops passing replies back: its
    // dedupe claims run in Redis, but its gates never hear back, so nothing is enqueued.
    const doomed = await start('web', { REDIS_URL: `redis://127.0.0.1:${proxy.port}/${REDIS_DB.handoffJournal}` });
    // One event answered first: the replica's scripts are loaded on its connection (ioredis holds
    // every call of a script until its first reply on a connection).
    const warmUp = dmEvent(99);
    expect(await deliver(doomed.port, warmUp.raw)).toBe(200);
    await until(() => repliesByChannel(fake).get(warmUp.channel)?.answers === 1, 'the warm-up answer', 60_000);
    proxy.holdReplies();
    const events = Array.from({ length: 12 }, (_, i) => dmEvent(100 + i));
    for (const e of events) expect(await deliver(doomed.port, e.raw)).toBe(200);
    // The first held event's claim ran in Redis (the replica never heard back); the others wait
    // behind it in the replica's auto-pipeline: a replay must take over the first and make the rest.
    await until(async () => (await redis.exists(`understudy:claim:slack:event:${events[0]?.id}`)) === 1, 'the doomed replica\'s claim', 10_000);
    await stopReplica(doomed, 'SIGKILL');

    const rescuer = await start('web');
    const answers = (): Map<string, { answers: number; posts: number }> => repliesByChannel(fake);
    await until(() => events.every((e) => (answers().get(e.channel)?.answers ?? 0) >= 1), 'every acked event to be answered', 90_000);
    // Room for a second answer, if there were one.
    await new Promise((r) => setTimeout(r, 2_000));
    for (const e of events) expect({ channel: e.channel, answers: answers().get(e.channel)?.answers }).toEqual({ channel: e.channel, answers: 1 });
    expect(rescuer.log()).toMatch(/replaying the events a stopped replica acked and did not hand off/);
    expect(await replayedOn(rescuer.port)).toBe(events.length);
    expect(worker.log()).not.toMatch(/claimed by another job \(a duplicate\)/);
    // The dead replica's journal is gone; the rescuer's own has every entry marked done.
    await until(() => fs.readdirSync(journalDir()).length === 1, 'the dead journal to be deleted', 10_000);
  });

  it('an entry replayed after its event was handed off (a crash between the enqueue and the done mark) is not answered again', async () => {
    await start('worker');
    const web = await start('web');
    const [kept, removed] = [dmEvent(201), dmEvent(202)];
    for (const e of [kept, removed]) expect(await deliver(web.port, e.raw)).toBe(200);
    await until(() => [kept, removed].every((e) => repliesByChannel(fake).get(e.channel)?.answers === 1), 'both answers', 60_000);
    // The state a crash right before the done marks would leave: the entries (same ids, so the same
    // claim tokens) in a journal whose owner has no lease.
    const own = fs.readdirSync(journalDir()).find((f) => f.endsWith('.jsonl')) as string;
    const lines = fs.readFileSync(path.join(journalDir(), own), 'utf8').split('\n').filter((l) => l.startsWith('{"e":') && (l.includes(kept.id) || l.includes(removed.id)));
    expect(lines).toHaveLength(2);
    // The queue forgot one of the two jobs (retention): its second job must be refused by the durable claim.
    const queue = new Queue('answers', { connection: redisOptions(url) as ConnectionOptions });
    await queue.remove(`j.${encodeURIComponent(`slack:event:${removed.id}`)}`);
    await queue.close();
    fs.writeFileSync(path.join(journalDir(), 'crashed-web.jsonl'), `${lines.join('\n')}\n`);

    await until(async () => (await replayedOn(web.port)) === 2, 'the orphan journal to be replayed', 30_000);
    await new Promise((r) => setTimeout(r, 4_000));
    for (const e of [kept, removed]) expect(repliesByChannel(fake).get(e.channel)).toEqual({ answers: 1, posts: 1 });
  });
});

describeServices('handoff journal: acked Feishu webhook events survive a killed web replica', () => {
  jest.setTimeout(180_000);
  const db = schemaPerTest();
  const url = redisUrl(REDIS_DB.handoffJournal);
  let redis: Redis;
  let fake: FakeLark;
  let model: FakeOpenAi;
  let proxy: TcpHoldingProxy;
  let root: string;
  let env: Record<string, string>;
  const replicas: Replica[] = [];

  beforeEach(async () => {
    redis = await connectRedis(url);
    await redis.flushdb();
    fake = await newFakeLark();
    const r = new URL(url);
    proxy = new TcpHoldingProxy({ host: r.hostname, port: Number(r.port || 6379) });
    await proxy.start();
    model = await startFakeOpenAi(() => 'MODEL ANSWER: roll back first with `deployctl rollback billing-gateway --to v2.14.2` [1].');
    root = larkWorkspace();
    env = {
      DATABASE_URL: db().url, REDIS_URL: url, UNDERSTUDY_QUEUE: 'answers',
      LARK_APP_ID: HUB_APP, LARK_APP_SECRET: HUB_SECRET, LARK_ENCRYPT_KEY: HUB_KEY, LARK_VERIFICATION_TOKEN: HUB_TOKEN, LARK_DOMAIN: fake.url,
      LZ_LARK_APP_SECRET: LZ_LARK_SECRET, LZ_LARK_ENCRYPT_KEY: LZ_LARK_KEY, LZ_LARK_VERIFICATION_TOKEN: LZ_LARK_TOKEN,
      OPENAI_BASE_URL: model.baseURL, OPENAI_API_KEY: 'sk-test', OPENAI_MAX_RETRIES: '0',
    };
    const built = await runCli(['ingest', 'lao-zhang'], { cwd: root, env });
    expect(built.code).toBe(0);
  });
  afterEach(async () => {
    const keep = process.env.UNDERSTUDY_SCALE_LOGS;
    if (keep) for (const [i, r] of replicas.entries()) fs.writeFileSync(path.join(keep, `handoff-lark-${i}-${r.role}.log`), r.log());
    await Promise.all(replicas.splice(0).map((r) => stopReplica(r, 'SIGKILL')));
    await proxy.stop();
    await model.close();
    await fake.stop();
    await redis.flushdb();
    redis.disconnect();
  });

  const start = async (role: 'web' | 'worker', extra: Record<string, string> = {}): Promise<Replica> => {
    const r = await startReplica(role, root, { ...env, ...extra });
    replicas.push(r);
    return r;
  };
  const send = async (port: number, event: unknown): Promise<number> => {
    const { raw, headers } = wireBody(event, { app: 'lz' });
    const res = await fetch(`http://127.0.0.1:${port}/lark/events`, { method: 'POST', headers, body: raw });
    await res.text();
    return res.status;
  };
  /** Answers (cards carrying the feedback buttons) per chat: replies to the question, or the placeholder patched. */
  const answersIn = (chat: string): number =>
    fake.calls.filter((c) => {
      if (c.failed || !['im.v1.message.reply', 'im.v1.message.create', 'im.v1.message.patch'].includes(c.method) || !JSON.stringify(c.body).includes('understudy_feedback')) return false;
      const id = /\/messages\/([^/]+)/.exec(c.path)?.[1];
      return (id ? fake.messages.get(id)?.chat_id : c.body.receive_id) === chat;
    }).length;

  it('a web replica killed after acking Feishu events it had not handed off: another web replica replays them from its journal, each answered once', async () => {
    await start('worker');
    const doomed = await start('web', { REDIS_URL: `redis://127.0.0.1:${proxy.port}/${REDIS_DB.handoffJournal}` });
    const question = (i: number): { chat: string; event: Record<string, unknown> } => {
      const user = `ou_hj${i}`;
      return { chat: `oc_p2p_${user}`, event: messageEvent(fake, { app: 'lz', user, text: 'How do I roll back billing-gateway?' }) };
    };
    const warmUp = question(0);
    expect(await send(doomed.port, warmUp.event)).toBe(200);
    await until(() => answersIn(warmUp.chat) === 1, 'the warm-up answer', 60_000);
    proxy.holdReplies();
    const events = Array.from({ length: 6 }, (_, i) => question(i + 1));
    for (const e of events) expect(await send(doomed.port, e.event)).toBe(200);
    await new Promise((r) => setTimeout(r, 1_000));
    await stopReplica(doomed, 'SIGKILL');
    expect(events.map((e) => answersIn(e.chat))).toEqual(events.map(() => 0));

    const rescuer = await start('web');
    await until(() => events.every((e) => answersIn(e.chat) >= 1), 'every acked Feishu event to be answered', 90_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(events.map((e) => answersIn(e.chat))).toEqual(events.map(() => 1));
    expect(await replayedOn(rescuer.port, 'lark')).toBe(events.length);
  });
});
