import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { BullMqJobQueue } from '../../src/jobs/bullmq-queue';
import { FakeSlack } from '../helpers/fake-slack';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai';
import { tmpDir } from '../helpers/fixtures';
import { adminQuery, describeServices, schemaPerTest } from '../helpers/services';
import { deliver, dmEvent, freePort, repliesByChannel, scaleCluster, stopReplica, type Replica } from './cluster';
import { until } from '../helpers/wait';

/**
 * Production mode across processes: `serve --role web` replicas verify, ack, run the gates and
 * enqueue; `serve --role worker` replicas answer through the Slack transport. Every replica is
 * the built CLI in a process of its own, against one PostgreSQL schema and a Redis of the test's
 * own (redis-server with its append-only file, as docker-compose.yml runs it).
 * UNDERSTUDY_SCALE_EVENTS sets the burst (1,000 by default, about 20 s on two cores).
 */
const EVENTS = Number(process.env.UNDERSTUDY_SCALE_EVENTS ?? 1000);

class PrivateRedis {
  child: ChildProcess | undefined;
  readonly dir = tmpDir('redis-');
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], { stdio: 'ignore' });
    this.child = child;
    const answers = (): Promise<boolean> =>
      new Promise((resolve) => {
        const s = net.connect(this.port, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
    await until(answers, `redis-server on ${this.port}`, 10_000);
  }

  /** SIGKILL: no goodbye to the clients, as in a crash; what was acknowledged is in the append-only file. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

/** Send `events` with `dupShare` of them delivered a second time to another web replica, a few at a time. */
async function burst(webs: Replica[], events: { raw: string }[], dupShare: number, during?: (sent: number) => Promise<void>): Promise<number> {
  const deliveries: { port: number; raw: string; retry?: number }[] = [];
  events.forEach((e, i) => {
    deliveries.push({ port: webs[i % webs.length].port, raw: e.raw });
    if (i % Math.round(1 / dupShare) === 0) deliveries.push({ port: webs[(i + 1) % webs.length].port, raw: e.raw, retry: 1 });
  });
  let next = 0;
  let acked = 0;
  const lane = async (): Promise<void> => {
    while (next < deliveries.length) {
      const d = deliveries[next++];
      if (during) await during(next);
      if ((await deliver(d.port, d.raw, d.retry)) === 200) acked++;
    }
  };
  await Promise.all(Array.from({ length: 16 }, lane));
  return acked;
}

/** Waits until every event's channel has an answer, then a little longer to catch a second one. */
async function allAnswered(fake: FakeSlack, channels: string[], timeoutMs: number): Promise<void> {
  await until(() => {
    const by = repliesByChannel(fake);
    return channels.every((c) => (by.get(c)?.answers ?? 0) >= 1);
  }, `an answer in each of ${channels.length} channels`, timeoutMs);
  await new Promise((r) => setTimeout(r, 2_000));
}

function expectOneAnswerEach(fake: FakeSlack, channels: string[]): void {
  const by = repliesByChannel(fake);
  const wrong = channels.filter((c) => by.get(c)?.answers !== 1 || by.get(c)?.posts !== 1).map((c) => ({ channel: c, ...by.get(c) }));
  expect(wrong).toEqual([]);
}

describeServices('answers through the job queue (serve --role web|worker)', () => {
  jest.setTimeout(240_000);
  const db = schemaPerTest();
  let redis: PrivateRedis;
  const cluster = scaleCluster({
    db,
    // A Redis of the test's own, killed and restarted in the middle of a burst.
    redis: async () => {
      redis = new PrivateRedis(await freePort());
      await redis.start();
      return { url: redis.url, stop: () => redis.kill() };
    },
    queue: 'answers', logs: '',
    // UNDERSTUDY_SCALE_LOG_LEVEL=debug with UNDERSTUDY_SCALE_LOGS=<dir>, for a failure that needs reading.
    env: { LOG_LEVEL: process.env.UNDERSTUDY_SCALE_LOG_LEVEL ?? 'info', UNDERSTUDY_RATE_USER_PER_MIN: '100000', UNDERSTUDY_RATE_WORKSPACE_PER_MIN: '1000000' },
  });
  const { start } = cluster;

  it(`three web and two worker processes answer ${EVENTS} events once each, with 20% delivered twice to different web replicas`, async () => {
    const webs = await Promise.all([start('web'), start('web'), start('web')]);
    await Promise.all([start('worker'), start('worker')]);
    const events = Array.from({ length: EVENTS }, (_, i) => dmEvent(i));

    const acked = await burst(webs, events, 0.2);
    expect(acked).toBe(EVENTS + Math.ceil(EVENTS / 5));
    await allAnswered(cluster.fake, events.map((e) => e.channel), 180_000);

    expectOneAnswerEach(cluster.fake, events.map((e) => e.channel));
    // The workers answered, one answer job per event, and let go of each job's progress record once the queue had it as completed.
    const queue = new BullMqJobQueue({ url: redis.url, name: 'answers' });
    try {
      const counts = await queue.counts();
      // Answers, and the start-up ingests the web replicas enqueued.
      expect(counts.completed).toBeGreaterThanOrEqual(EVENTS);
      expect(counts.dead).toBe(0);
    } finally {
      await queue.close();
    }
    const progress = async (): Promise<number> => Number((await adminQuery(`SELECT count(*) AS n FROM kv WHERE namespace = 'answer_progress'`, [], db().schema)).rows[0].n);
    await until(async () => (await progress()) === 0, 'every progress record to be let go', 10_000);
  });

  it('answers once when the worker running an answer is killed with SIGKILL: the other worker retries it and updates the same placeholder', async () => {
    let model: FakeOpenAi | undefined;
    try {
      model = await startFakeOpenAi(() => 'Roll back first: `deployctl rollback billing-gateway --to v2.14.2` [1].');
      model.mode = 'hang';
      // A 5 s job lock (UNDERSTUDY_JOB_LOCK_MS, 30 s by default): the killed worker's job is handed on within seconds.
      const withModel = { OPENAI_BASE_URL: `${model.baseURL}`, OPENAI_API_KEY: 'sk-test', OPENAI_TIMEOUT_MS: '120000', OPENAI_MAX_RETRIES: '0', UNDERSTUDY_JOB_LOCK_MS: '5000' };
      const web = await start('web', withModel);
      const doomed = await start('worker', withModel);
      const event = dmEvent(1);
      expect(await deliver(web.port, event.raw)).toBe(200);
      // The doomed worker posted the placeholder and is waiting for the model: the middle of an answer.
      await until(() => (model as FakeOpenAi).requests.length > 0 && (repliesByChannel(cluster.fake).get(event.channel)?.posts ?? 0) === 1, 'the first worker to ask the model', 60_000);
      const rescuer = await start('worker', withModel);
      await stopReplica(doomed, 'SIGKILL');
      model.mode = 'ok';

      // BullMQ hands a job whose worker stopped renewing its lock to another (lock and stalled check: 5 s each here).
      const killed = Date.now();
      await allAnswered(cluster.fake, [event.channel], 30_000);
      expect(Date.now() - killed).toBeLessThan(20_000);
      expectOneAnswerEach(cluster.fake, [event.channel]);
      // Every update (drafts while the model writes, then the answer) went to the one placeholder.
      const updated = new Set(cluster.fake.of('chat.update').filter((c) => c.args.channel === event.channel && !c.args.failed).map((c) => c.args.ts));
      expect(updated.size).toBe(1);
      expect(rescuer.log()).toMatch(/stalled/);
    } finally {
      await model?.close();
    }
  });

  it('loses and doubles no answer when Redis is killed and restarted in the middle of a burst', async () => {
    const webs = await Promise.all([start('web'), start('web')]);
    await Promise.all([start('worker'), start('worker')]);
    const events = Array.from({ length: 100 }, (_, i) => dmEvent(1000 + i));
    let restarted: Promise<void> | undefined;
    await burst(webs, events, 0.2, async (sent) => {
      if (sent !== 50 || restarted) return;
      restarted = (async () => {
        await redis.kill();
        await new Promise((r) => setTimeout(r, 1_000));
        await redis.start();
      })();
    });
    await restarted;
    await allAnswered(cluster.fake, events.map((e) => e.channel), 180_000);
    expectOneAnswerEach(cluster.fake, events.map((e) => e.channel));
  });
});
