import fs from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { signSlackRequest } from '../../src/adapters/slack/verify';
import { connectRedis } from '../../src/store/redis-connection';
import { startReplica, stopReplica, type Replica } from '../../bench/cluster';
import { runCli } from '../helpers/cli';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai';
import type { FakeSlack } from '../helpers/fake-slack';
import { HUB_SECRET, LZ_SECRET, slackWorkspace, startFakeSlack } from '../helpers/slack-harness';
import { HoldingProxy } from './holding-proxy';

// Starting replicas is shared with `npm run bench -- scale`.
export { startReplica, stopReplica, freePort, type Replica } from '../../bench/cluster';

/** A signed Events API delivery of a DM to lao-zhang's app; each event has a channel of its own, so replies can be counted per event. */
export function dmEvent(i: number, text = 'How do I roll back billing-gateway?'): { id: string; channel: string; raw: string } {
  const id = `EvScale${i}x${Date.now()}`;
  const channel = `D_E${i}`;
  const ts = `${Math.floor(Date.now() / 1000)}.${String(i).padStart(6, '0')}`;
  const body = {
    token: 'verification_token', team_id: 'T111', api_app_id: 'A_LZ', type: 'event_callback', event_id: id, event_time: Math.floor(Date.now() / 1000),
    event: { type: 'message', channel_type: 'im', channel, user: `U${i % 25}`, text, ts, event_ts: ts, team: 'T111' },
  };
  return { id, channel, raw: JSON.stringify(body) };
}

export async function deliver(port: number, raw: string, retryNum?: number): Promise<number> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...signSlackRequest(LZ_SECRET, raw) };
  if (retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(retryNum);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  const res = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', headers, body: raw });
  await res.text();
  return res.status;
}

/** Per channel: the answers (messages carrying the feedback buttons) and the placeholders posted. */
export function repliesByChannel(fake: FakeSlack): Map<string, { answers: number; posts: number }> {
  const out = new Map<string, { answers: number; posts: number }>();
  for (const c of fake.calls) {
    if (c.args.failed || (c.method !== 'chat.postMessage' && c.method !== 'chat.update')) continue;
    const channel = String(c.args.channel);
    const entry = out.get(channel) ?? { answers: 0, posts: 0 };
    if (c.method === 'chat.postMessage') entry.posts++;
    if (JSON.stringify(c.args.blocks ?? '').includes('understudy_feedback')) entry.answers++;
    out.set(channel, entry);
  }
  return out;
}

export interface ClusterOptions {
  /** The file's schemaPerTest(). */
  db: () => { url: string };
  /** A Redis database of the file's own (flushed before and after each test), or a server each test starts and stops. */
  redis: string | (() => Promise<{ url: string; stop(): Promise<void> }>);
  /** UNDERSTUDY_QUEUE. */
  queue: string;
  /** Replicas reach Slack through a HoldingProxy (a call held, and its caller killed). */
  proxy?: boolean;
  /** A fake OpenAI endpoint answering this, in every replica's settings. */
  model?: string;
  /** More settings for every replica (and the ingest). */
  env?: Record<string, string>;
  /** Names the replicas' logs kept under UNDERSTUDY_SCALE_LOGS=<dir> (`<logs><i>-<role>.log`), for a failure that needs reading. */
  logs: string;
}

/** What a scale test works with; set afresh before each test. `proxy` and `model` only when asked for. */
export interface Cluster {
  /** A connection to the file's Redis database (not set when each test starts a server of its own). */
  redis: Redis;
  fake: FakeSlack;
  proxy: HoldingProxy;
  model: FakeOpenAi;
  /** The workspace (avatars, data) every replica shares, with lao-zhang's index built. */
  root: string;
  env: Record<string, string>;
  replicas: Replica[];
  /** A replica of this test's cluster (stopped with SIGKILL after the test). */
  start(role: 'web' | 'worker', extra?: Record<string, string>): Promise<Replica>;
}

/**
 * The scale tests' set-up, registered in the calling describe: a fake Slack (behind a proxy when
 * asked), a fake model, a Slack workspace with lao-zhang ingested beforehand (so that no answer
 * races its ingest), the production settings, and the replicas started, all torn down after each test.
 */
export function scaleCluster(options: ClusterOptions): Cluster {
  let redis: Redis | undefined;
  let stopRedis: (() => Promise<void>) | undefined;
  const cluster = {
    replicas: [] as Replica[],
    async start(role: 'web' | 'worker', extra: Record<string, string> = {}): Promise<Replica> {
      const r = await startReplica(role, cluster.root, { ...cluster.env, ...extra });
      cluster.replicas.push(r);
      return r;
    },
  } as Cluster;

  beforeEach(async () => {
    let url: string;
    if (typeof options.redis === 'string') {
      url = options.redis;
      redis = await connectRedis(url);
      cluster.redis = redis;
      await redis.flushdb();
    } else {
      const server = await options.redis();
      url = server.url;
      stopRedis = () => server.stop();
    }
    const fake = await startFakeSlack();
    cluster.fake = fake;
    if (options.proxy) {
      cluster.proxy = new HoldingProxy(fake.url);
      await cluster.proxy.start();
    }
    const answer = options.model;
    if (answer !== undefined) cluster.model = await startFakeOpenAi(() => answer);
    cluster.root = slackWorkspace();
    cluster.env = {
      DATABASE_URL: options.db().url, REDIS_URL: url, UNDERSTUDY_QUEUE: options.queue,
      SLACK_SIGNING_SECRET: HUB_SECRET, SLACK_BOT_TOKEN: 'xoxb-hub', SLACK_API_URL: options.proxy ? cluster.proxy.url : fake.url,
      LZ_SLACK_BOT_TOKEN: 'xoxb-lz', LZ_SLACK_SIGNING_SECRET: LZ_SECRET,
      ...(answer !== undefined ? { OPENAI_BASE_URL: cluster.model.baseURL, OPENAI_API_KEY: 'sk-test', OPENAI_MAX_RETRIES: '0' } : {}),
      ...options.env,
    };
    const built = await runCli(['ingest', 'lao-zhang'], { cwd: cluster.root, env: { ...cluster.env, SLACK_API_URL: fake.url } });
    expect(built.code).toBe(0);
  });

  afterEach(async () => {
    const keep = process.env.UNDERSTUDY_SCALE_LOGS;
    if (keep) for (const [i, r] of cluster.replicas.entries()) fs.writeFileSync(path.join(keep, `${options.logs}${i}-${r.role}.log`), r.log());
    await Promise.all(cluster.replicas.splice(0).map((r) => stopReplica(r, 'SIGKILL')));
    if (options.proxy) await cluster.proxy.stop();
    if (options.model !== undefined) await cluster.model.close();
    await cluster.fake.stop();
    await stopRedis?.();
    await redis?.flushdb();
    redis?.disconnect();
    redis = undefined;
  });

  return cluster;
}
