import { randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { signSlackRequest } from '../src/adapters/slack/verify';
import { percentile, REPO, startBenchServer } from './util';

const BURST = 500;
export const SECRET = 'bench-signing-secret';
/** Keep-alive connections the sender spreads the burst over; a request waits for a free one. */
const CONNECTIONS = 100;

/**
 * The least of Slack's Web API the answer path calls; counts the final answers (chat.update) and
 * the channels that got one (whichever process posted it).
 */
export async function fakeWebApi(): Promise<{ url: string; answers: () => number; answered: Set<string>; close: () => Promise<void> }> {
  let ts = 1_760_000_000;
  let answers = 0;
  const answered = new Set<string>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const method = (req.url ?? '').replace(/^\/api\//, '');
      if (method === 'chat.update' && body.includes('understudy_feedback')) {
        answers++;
        const channel = req.headers['content-type']?.includes('json') ? (JSON.parse(body) as { channel?: string }).channel : new URLSearchParams(body).get('channel');
        if (channel) answered.add(channel);
      }
      const reply: Record<string, unknown> = { ok: true };
      if (method === 'auth.test') Object.assign(reply, { user_id: 'U_BENCHBOT', team_id: 'T_BENCH', bot_id: 'B_BENCH' });
      if (method === 'chat.postMessage') reply.ts = `${++ts}.000100`;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`,
    answers: () => answers,
    answered,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function questions(): string[] {
  const lines = fs.readFileSync(path.join(REPO, 'eval', 'qa', 'lao-zhang.jsonl'), 'utf8').split('\n').filter(Boolean);
  return lines.map((l) => (JSON.parse(l) as { question: string }).question).slice(0, 40);
}

/**
 * Server-side ack time: from the request reaching our HTTP server to the end of its response,
 * without the sender's own queueing. Node's HTTP diagnostics channels see every request.
 */
function serverAckTimer(path: string): { take(): number[]; stop(): void } {
  const started = new WeakMap<object, number>();
  let done: number[] = [];
  const onStart = (m: unknown): void => {
    const { request } = m as { request: http.IncomingMessage };
    if (request.url === path) started.set(request, performance.now());
  };
  const onFinish = (m: unknown): void => {
    const { request } = m as { request: http.IncomingMessage };
    const t = started.get(request);
    if (t !== undefined) done.push(performance.now() - t);
  };
  diagnostics.subscribe('http.server.request.start', onStart);
  diagnostics.subscribe('http.server.response.finish', onFinish);
  return {
    take() {
      const out = done;
      done = [];
      return out;
    },
    stop() {
      diagnostics.unsubscribe('http.server.request.start', onStart);
      diagnostics.unsubscribe('http.server.response.finish', onFinish);
    },
  };
}

let seq = 0;
/** Event ids differ from one run to the next: a Redis that remembers the last run's ids would drop them as repeats. */
const RUN_ID = randomBytes(3).toString('hex');
/** A signed-ready DM event; `extra` overrides event fields (a channel of its own per event, to count answers per event). */
export function dmEvent(user: number, text: string, extra: Record<string, unknown> = {}): string {
  seq++;
  const ts = `${Math.floor(Date.now() / 1000)}.${String(seq).padStart(6, '0')}`;
  return JSON.stringify({
    token: 'bench',
    team_id: 'T_BENCH',
    api_app_id: 'A_BENCH_HUB',
    type: 'event_callback',
    event_id: `EvBench${RUN_ID}x${seq}`,
    event_time: Math.floor(Date.now() / 1000),
    event: { type: 'message', channel_type: 'im', channel: `D_BENCH${user}`, user: `U_BENCH${user}`, text, ts, event_ts: ts, team: 'T_BENCH', ...extra },
  });
}

export function signed(body: string): { body: string; headers: Record<string, string> } {
  return { body, headers: { 'content-type': 'application/json', ...signSlackRequest(SECRET, body) } };
}

/**
 * Slack's side of the wire in its own thread, so the sender's work does not count against the
 * server: sends requests (all at once, or `gapMs` apart) and returns each one's time to 200.
 */
const SENDER = `
const http = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const { urls, requests, gapMs, connections } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const one = (r, i) => new Promise((resolve, reject) => {
  const t = performance.now();
  const req = http.request(urls[i % urls.length], { method: 'POST', agent, headers: { ...r.headers, 'content-length': Buffer.byteLength(r.body) } }, (res) => {
    res.resume();
    res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t) : reject(new Error('Slack events endpoint answered ' + res.statusCode))));
  });
  req.on('error', reject);
  req.end(r.body);
});
(async () => {
  const pending = [];
  for (const [i, r] of requests.entries()) {
    pending.push(one(r, i));
    if (gapMs > 0) await new Promise((ok) => setTimeout(ok, gapMs));
  }
  parentPort.postMessage(await Promise.all(pending));
})().catch((e) => parentPort.postMessage({ error: String(e) }));
`;

/** Send `requests` (spread round-robin over `url`s when several), each one's time to 200 in milliseconds. */
export function send(url: string | string[], requests: { body: string; headers: Record<string, string> }[], gapMs = 0): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const w = new Worker(SENDER, { eval: true, workerData: { urls: Array.isArray(url) ? url : [url], requests, gapMs, connections: CONNECTIONS } });
    w.once('message', (m: number[] | { error: string }) => {
      void w.terminate();
      if (Array.isArray(m)) resolve(m);
      else reject(new Error(m.error));
    });
    w.once('error', reject);
  });
}

/**
 * Slack over loopback: the real Bolt receiver and router, the demo avatar lao-zhang in hub
 * mode, the offline answer path, and a fake Web API. `ack_*` is what the sender sees until its
 * 200 (queueing included); `server_ack_*` is the time inside our HTTP server; answers/s counts
 * finished chat.update answers.
 */
export async function benchSlack(): Promise<Record<string, number | string>> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-slack-'));
  fs.cpSync(path.join(REPO, 'avatars', 'lao-zhang'), path.join(root, 'avatars', 'lao-zhang'), { recursive: true });
  const api = await fakeWebApi();
  const { runtime, handle } = await startBenchServer(root, {
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_API_URL: api.url,
  });
  const url = `http://127.0.0.1:${handle.port}/slack/events`;
  const qs = questions();
  const server = serverAckTimer('/slack/events');
  try {
    // Warm up: index loaded, JIT warm, first-contact paths taken.
    await send(url, Array.from({ length: 20 }, (_, i) => signed(dmEvent(1000 + i, qs[i % qs.length]))));
    await handle.router.idle();

    // Spaced out (one every 40 ms): the ack cost with little else going on.
    const quiet = await send(url, Array.from({ length: 50 }, (_, i) => signed(dmEvent(2000 + i, qs[i % qs.length]))), 40);
    await handle.router.idle();

    server.take();
    const burst = async (gapMs: number): Promise<{ acks: number[]; serverAcks: number[]; answered: number; wallMs: number }> => {
      const before = api.answers();
      const requests = Array.from({ length: BURST }, (_, i) => signed(dmEvent(i % 100, qs[i % qs.length])));
      const start = process.hrtime.bigint();
      const acks = await send(url, requests, gapMs);
      await handle.router.idle();
      return { acks, serverAcks: server.take(), answered: api.answers() - before, wallMs: Number(process.hrtime.bigint() - start) / 1e6 };
    };
    const all = await burst(0);
    const paced = await burst(2);
    return {
      events: BURST,
      ack_p50_ms: +percentile(all.acks, 50).toFixed(1),
      ack_p99_ms: +percentile(all.acks, 99).toFixed(1),
      ack_max_ms: +Math.max(...all.acks).toFixed(1),
      server_ack_p50_ms: +percentile(all.serverAcks, 50).toFixed(1),
      server_ack_p99_ms: +percentile(all.serverAcks, 99).toFixed(1),
      answers: all.answered,
      answers_per_s: Math.round((all.answered / all.wallMs) * 1000),
      paced_500_per_s_ack_p50_ms: +percentile(paced.acks, 50).toFixed(1),
      paced_500_per_s_ack_p99_ms: +percentile(paced.acks, 99).toFixed(1),
      paced_server_ack_p99_ms: +percentile(paced.serverAcks, 99).toFixed(1),
      paced_answers: paced.answered,
      quiet_ack_p50_ms: +percentile(quiet, 50).toFixed(1),
      quiet_ack_p99_ms: +percentile(quiet, 99).toFixed(1),
      answer_path: 'offline',
    };
  } finally {
    server.stop();
    await handle.close();
    runtime.close();
    await api.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}
