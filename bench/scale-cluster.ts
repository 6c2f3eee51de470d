import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { startReplica, stopReplica, type Replica } from './cluster';
import { dmEvent, fakeWebApi, SECRET, send, signed } from './slack';
import { median, percentile, REPO, type Row } from './util';

/*
 * `npm run bench -- scale`, its production-mode part, on the real PostgreSQL and Redis
 * (BENCH_DATABASE_URL, default postgres://root@127.0.0.1:5432/test, where a schema of its own is
 * made and dropped; BENCH_REDIS_URL, default redis://127.0.0.1:6379/15, with queues of its own).
 * Every setup is the built CLI (`serve --role web|worker|all`) in processes of its own, Slack's
 * Events API over loopback (signed, the demo avatar lao-zhang in hub mode, offline answers) and a
 * fake Web API counting the answers. Machines are noisy: each figure is the median of rounds,
 * and each is set beside a baseline measured in the same run.
 *
 *  - answers/s: a burst of BENCH_SCALE_EVENTS (150) events, until every one is answered, with 1,
 *    2 and 4 worker processes behind one web replica, beside one embedded process (role all,
 *    SQLite, answers in process); BENCH_SCALE_ROUNDS (3) bursts each.
 *  - ack p99: a burst of 500 events to one and to two web replicas (no worker running, so only
 *    the ack path competes for the CPU), against a bare node HTTP server that answers 200 to
 *    everything, with the same sender, rounds interleaved, after BENCH_SCALE_WARMUP (2,000)
 *    events to each setup; with CPU per event of the serving processes and of Redis.
 *  - queue: enqueue (the web replica's BullMQ add) to job start (a worker picking it up), from
 *    the jobs' own timestamps in Redis: during the bursts (mostly waiting behind other jobs) and
 *    paced (one event at a time, the next once the last is answered: the queue's own overhead).
 */

const BURST = 500;
/** Events sent one at a time for the queue overhead. */
const PACED = 40;

interface Services {
  databaseUrl: string;
  redisUrl: string;
  dropSchema: () => Promise<void>;
}

/** A schema of its own on BENCH_DATABASE_URL (dropped at the end), and BENCH_REDIS_URL checked. */
async function services(): Promise<Services> {
  const base = process.env.BENCH_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const admin = async (sql: string): Promise<void> => {
    const c = new Client({ connectionString: base });
    try {
      await c.connect();
      await c.query(sql);
    } finally {
      await c.end().catch(() => undefined);
    }
  };
  try {
    await admin(`CREATE SCHEMA ${schema}`);
  } catch (err) {
    throw new Error(`bench scale needs PostgreSQL at BENCH_DATABASE_URL (${base}): ${(err as Error).message}`);
  }
  const q = new Queue('bench-ping', { connection: { url: redisUrl, maxRetriesPerRequest: 1, retryStrategy: () => null } });
  try {
    await q.getJobCounts();
  } catch (err) {
    await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    throw new Error(`bench scale needs Redis at BENCH_REDIS_URL (${redisUrl}): ${(err as Error).message}`);
  } finally {
    await q.close().catch(() => undefined);
  }
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { databaseUrl: url.toString(), redisUrl, dropSchema: () => admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`) };
}

/** A server that only answers 200, in a process of its own like a replica. */
async function bareServer(): Promise<{ port: number; child: ChildProcess }> {
  const code = `const s = require('node:http').createServer((q, r) => { q.resume(); q.on('end', () => { r.writeHead(200, { 'content-type': 'text/plain' }); r.end(); }); });
s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
    child.once('exit', (c) => reject(new Error(`the bare HTTP server exited with ${c}`)));
  });
  return { port, child };
}

let run = 0;
const runId = randomBytes(3).toString('hex');
/** `n` signed DM events, each in a channel of its own (an answer per channel is one per event). */
function events(n: number): { channel: string; body: string; headers: Record<string, string> }[] {
  run++;
  return Array.from({ length: n }, (_, i) => {
    const channel = `D_SCALE${runId}${run}_${i}`;
    return { channel, ...signed(dmEvent(i % 100, 'How do I roll back billing-gateway?', { channel })) };
  });
}

const eventsUrl = (r: { port: number }): string => `http://127.0.0.1:${r.port}/slack/events`;

async function waitAnswered(api: { answered: Set<string> }, channels: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (channels.some((c) => !api.answered.has(c))) {
    if (Date.now() > deadline) throw new Error(`${channels.filter((c) => !api.answered.has(c)).length} of ${channels.length} events not answered within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface QueueTimes {
  burst: number[];
  paced: number[];
}

/** Enqueue -> start of every answer job in `queue`, split at `pacedFrom` (ms since epoch). */
async function queueTimes(redisUrl: string, queue: string, pacedFrom: number): Promise<QueueTimes> {
  const q = new Queue(queue, { connection: { url: redisUrl } });
  try {
    const jobs = (await q.getCompleted(0, -1)).filter((j) => j?.processedOn !== undefined);
    const wait = (j: (typeof jobs)[number]): number => (j.processedOn as number) - j.timestamp;
    return { burst: jobs.filter((j) => j.timestamp < pacedFrom).map(wait), paced: jobs.filter((j) => j.timestamp >= pacedFrom).map(wait) };
  } finally {
    await q.obliterate({ force: true }).catch(() => undefined);
    await q.close();
  }
}

async function obliterate(redisUrl: string, queue: string): Promise<void> {
  const q = new Queue(queue, { connection: { url: redisUrl } });
  await q.obliterate({ force: true }).catch(() => undefined);
  await q.close();
}

const r1 = (x: number): number => +x.toFixed(1);

/** CPU time a process has used so far, all its threads, in ms (Linux schedstat: ns on the CPU). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const tasks = fs.readdirSync(`/proc/${pid}/task`);
    return tasks.reduce((sum, t) => sum + Number(fs.readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]) / 1e6, 0);
  } catch {
    return NaN;
  }
}

/** The Redis server's CPU time so far in ms (INFO cpu, main and child processes). */
async function redisCpuMs(redisUrl: string): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: true });
  try {
    await redis.connect();
    const info = await redis.info('cpu');
    const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
    return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
  } finally {
    redis.disconnect();
  }
}
const note = (line: string): void => void process.stderr.write(`  scale: ${line}\n`);

export async function benchScaleCluster(): Promise<Record<string, Row[]>> {
  const eventsPerBurst = Number(process.env.BENCH_SCALE_EVENTS ?? 150);
  const rounds = Number(process.env.BENCH_SCALE_ROUNDS ?? 3);
  const warmup = Number(process.env.BENCH_SCALE_WARMUP ?? 2000);
  const svc = await services();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cluster-'));
  fs.cpSync(path.join(REPO, 'avatars', 'lao-zhang'), path.join(root, 'avatars', 'lao-zhang'), { recursive: true });
  const api = await fakeWebApi();
  const id = randomBytes(4).toString('hex');
  const slack = {
    SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_API_URL: api.url,
    UNDERSTUDY_RATE_USER_PER_MIN: '1000000', UNDERSTUDY_RATE_WORKSPACE_PER_MIN: '10000000',
  };
  const production = (queue: string): Record<string, string> => ({ ...slack, DATABASE_URL: svc.databaseUrl, REDIS_URL: svc.redisUrl, UNDERSTUDY_QUEUE: queue });
  const started: { stop: () => Promise<void> }[] = [];
  const start = async (role: Replica['role'], env: Record<string, string>): Promise<Replica> => {
    const r = await startReplica(role, root, env);
    started.push({ stop: () => stopReplica(r, 'SIGKILL') });
    return r;
  };
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.splice(0).map((s) => s.stop()));
  };
  const queues: string[] = [];
  try {
    note('ingesting lao-zhang');
    // The index, built once, read by every setup (the data directory is shared like a volume).
    const ingest = spawnSync(process.execPath, [path.join(REPO, 'bin', 'understudy.js'), 'ingest', 'lao-zhang'], { cwd: root, env: { PATH: process.env.PATH, ...slack }, encoding: 'utf8' });
    if (ingest.status !== 0) throw new Error(`understudy ingest exited with ${ingest.status}:\n${ingest.stdout}${ingest.stderr}`);

    // Ack: web replicas with no worker (jobs pile up and are thrown away), against the bare server.
    const ackQueue = `bench-ack-${id}`;
    queues.push(ackQueue);
    const bare = await bareServer();
    started.push({ stop: async () => void bare.child.kill('SIGKILL') });
    const bare2 = await bareServer();
    started.push({ stop: async () => void bare2.child.kill('SIGKILL') });
    const webA = await start('web', production(ackQueue));
    const webB = await start('web', production(ackQueue));
    const targets = {
      'bare 200 server': [`http://127.0.0.1:${bare.port}/`],
      'bare 200 servers x2': [`http://127.0.0.1:${bare.port}/`, `http://127.0.0.1:${bare2.port}/`],
      '1 web replica': [eventsUrl(webA)],
      '2 web replicas': [eventsUrl(webA), eventsUrl(webB)],
    };
    // Where each setup's CPU goes, from the burst's first request until it was handed off.
    const pids: Record<string, (number | undefined)[]> = {
      'bare 200 server': [bare.child.pid],
      'bare 200 servers x2': [bare.child.pid, bare2.child.pid],
      '1 web replica': [webA.child.pid],
      '2 web replicas': [webA.child.pid, webB.child.pid],
    };
    const cpu: Record<string, { server: number; redis: number }> = Object.fromEntries(Object.keys(targets).map((k) => [k, { server: 0, redis: 0 }]));
    // A web replica acks first and hands events off after (its line of acked events): each burst
    // starts once the replicas have handed off every event sent so far, so no burst (a bare
    // server's either) shares the CPU with the previous one's leftover work.
    const handedOff = new Queue(ackQueue, { connection: { url: svc.redisUrl } });
    let sentToReplicas = 0;
    const settled = async (): Promise<void> => {
      const deadline = Date.now() + 120_000;
      while (Object.values(await handedOff.getJobCounts()).reduce((a, b) => a + b, 0) < sentToReplicas && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    };
    const burst = async (name: string, urls: string[], n: number, counted = false): Promise<number[]> => {
      const serving = pids[name] ?? [];
      const cpu0 = serving.reduce<number>((a, pid) => a + cpuMs(pid), 0);
      const redis0 = await redisCpuMs(svc.redisUrl);
      const took = await send(urls, events(n));
      if (name.includes('web')) sentToReplicas += n;
      await settled();
      if (counted) {
        const used = cpu[name] ?? { server: 0, redis: 0 };
        used.server += serving.reduce<number>((a, pid) => a + cpuMs(pid), 0) - cpu0;
        used.redis += (await redisCpuMs(svc.redisUrl)) - redis0;
      }
      return took;
    };
    // Warm up: connections, JIT, first-contact paths. A replica runs for days: with 50 events
    // V8's compiler threads were still busy in the measured bursts (about half of the CPU per
    // event, 1,200 us against 620-670 us after 3,000 events), so each setup gets WARMUP events.
    for (const [name, urls] of Object.entries(targets)) for (let left = warmup; left > 0; left -= BURST) await burst(name, urls, Math.min(BURST, left));
    note('ack bursts');
    const acks: Record<string, number[][]> = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
    for (let round = 0; round < rounds; round++) {
      for (const [name, urls] of Object.entries(targets)) acks[name].push(await burst(name, urls, BURST, true));
    }
    await handedOff.close();
    await stopAll();
    const p99 = (name: string): number => median(acks[name].map((a) => percentile(a, 99)));
    const p50 = (name: string): number => median(acks[name].map((a) => percentile(a, 50)));
    const ack: Row[] = Object.keys(targets).map((name) => ({
      setup: name, events: BURST, rounds, warmup_events: warmup,
      ack_p50_ms: r1(p50(name)), ack_p99_ms: r1(p99(name)),
      vs_bare_p99: +(p99(name) / p99('bare 200 server')).toFixed(2),
      vs_bare_same_count_p99: +(p99(name) / p99(name.startsWith('2') || name.endsWith('x2') ? 'bare 200 servers x2' : 'bare 200 server')).toFixed(2),
      // CPU per event (all rounds): the serving processes' threads, and the Redis server (shared: idle machine only).
      server_cpu_us_per_event: Math.round(((cpu[name]?.server ?? NaN) / (BURST * rounds)) * 1000),
      redis_cpu_us_per_event: Math.round(((cpu[name]?.redis ?? NaN) / (BURST * rounds)) * 1000),
    }));

    // Throughput, embedded beside 1, 2 and 4 workers; queue timings from the worker setups.
    const throughput: Row[] = [];
    const queue: Row[] = [];
    let embeddedRate = NaN;
    // BENCH_SCALE_ACK_ONLY=1: the ack bursts alone (comparing two builds of the ack path quickly).
    for (const workers of process.env.BENCH_SCALE_ACK_ONLY === '1' ? [] : [0, 1, 2, 4]) {
      const name = workers === 0 ? 'embedded (1 process, role all, SQLite)' : `1 web + ${workers} worker${workers > 1 ? 's' : ''}`;
      const queueName = `bench-answers-${workers}-${id}`;
      queues.push(queueName);
      const env = workers === 0 ? slack : production(queueName);
      note(name);
      const web = await start(workers === 0 ? 'all' : 'web', env);
      const answering = workers === 0 ? [web] : [];
      for (let i = 0; i < workers; i++) answering.push(await start('worker', env));
      const warm = events(20);
      await send(eventsUrl(web), warm);
      await waitAnswered(api, warm.map((e) => e.channel), 120_000);
      // A process that answers builds the avatar's semantic layer in the background once it has
      // served the lexical index (71 chunks, ~5 s of CPU here): measured alongside, it took the
      // embedded setup's first round from ~1.3 s to ~7 s now and then. Wait for those that began.
      const building = (): boolean => answering.some((r) => r.log().includes('serving index version') && !r.log().includes('semantic layer ready'));
      const deadline = Date.now() + 120_000;
      while (building() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const rates: number[] = [];
      const burstAcks: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const burst = events(eventsPerBurst);
        const t0 = performance.now();
        burstAcks.push(percentile(await send(eventsUrl(web), burst), 99));
        await waitAnswered(api, burst.map((e) => e.channel), 300_000);
        rates.push((eventsPerBurst / (performance.now() - t0)) * 1000);
      }
      const pacedFrom = Date.now();
      // One event at a time, the next once the last is answered: the queue's own overhead, no backlog.
      for (const e of workers > 0 ? events(PACED) : []) {
        await send(eventsUrl(web), [e]);
        await waitAnswered(api, [e.channel], 60_000);
      }
      await stopAll();
      const rate = median(rates);
      if (workers === 0) embeddedRate = rate;
      throughput.push({
        setup: name, events: eventsPerBurst, rounds, answers_per_s: r1(rate), vs_embedded: +(rate / embeddedRate).toFixed(2),
        min_per_s: r1(Math.min(...rates)), max_per_s: r1(Math.max(...rates)), ack_p99_under_load_ms: r1(median(burstAcks)),
      });
      if (workers > 0) {
        const t = await queueTimes(svc.redisUrl, queueName, pacedFrom);
        queue.push({
          setup: name, jobs: t.burst.length + t.paced.length,
          paced_p50_ms: r1(median(t.paced)), paced_p99_ms: r1(percentile(t.paced, 99)),
          burst_p50_ms: r1(median(t.burst)), burst_p99_ms: r1(percentile(t.burst, 99)),
        });
      }
    }
    return { throughput, ack, queue };
  } finally {
    await stopAll();
    for (const q of queues) await obliterate(svc.redisUrl, q);
    await api.close();
    await svc.dropSchema();
    fs.rmSync(root, { recursive: true, force: true });
  }
}
