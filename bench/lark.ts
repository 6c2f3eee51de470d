import diagnostics from 'node:diagnostics_channel';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { encryptLark, signLarkRequest } from '../src/adapters/lark/verify';
import { percentile, REPO, startBenchServer } from './util';

const BURST = 500;
const APP_ID = 'cli_be0c4bec00000001';
const ENCRYPT_KEY = 'bench-encrypt-key';
const TOKEN = 'bench-verification-token';
const BOT = 'ou_benchbot';

/** The part of Feishu's Open API the answer path calls; counts finished answers (patched cards). */
async function fakeOpenApi(): Promise<{ url: string; answers: () => number; close: () => Promise<void> }> {
  let answers = 0;
  let n = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const url = req.url ?? '';
      let reply: Record<string, unknown> = { code: 0, msg: 'ok', data: {} };
      if (url.includes('tenant_access_token')) reply = { code: 0, tenant_access_token: 't-bench', expire: 7200 };
      else if (url.includes('/bot/v3/info')) reply = { code: 0, bot: { open_id: BOT, app_name: 'bench' } };
      else if (req.method === 'POST' && url.includes('/im/v1/messages')) reply = { code: 0, data: { message_id: `om_bench_${++n}` } };
      else if (req.method === 'PATCH' && body.includes('understudy_feedback')) answers++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answers: () => answers,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

let seq = 0;
/** One p2p question, encrypted and signed as Feishu pushes it. */
function pushed(user: number, text: string): { body: string; headers: Record<string, string> } {
  seq++;
  const now = Date.now();
  const event = {
    schema: '2.0',
    header: { event_id: `ev_bench_${seq}_${now}`, event_type: 'im.message.receive_v1', create_time: String(now), token: TOKEN, app_id: APP_ID, tenant_key: 'tk_bench' },
    event: {
      sender: { sender_id: { open_id: `ou_bench_${user}` }, sender_type: 'user', tenant_key: 'tk_bench' },
      message: { message_id: `om_in_${seq}_${now}`, create_time: String(now), chat_id: `oc_p2p_${user}`, chat_type: 'p2p', message_type: 'text', content: JSON.stringify({ text }) },
    },
  };
  const body = JSON.stringify({ encrypt: encryptLark(ENCRYPT_KEY, JSON.stringify(event)) });
  return { body, headers: { 'content-type': 'application/json', ...signLarkRequest(ENCRYPT_KEY, body) } };
}

/**
 * Feishu's side of the wire, in its own thread so that sending costs the server nothing: fires
 * every request (spaced `gapMs` apart when asked) and reports each one's milliseconds to 200.
 */
const PUSHER = `
const { parentPort, workerData } = require('node:worker_threads');
const { url, requests, gapMs } = workerData;
async function timed(r) {
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers: r.headers, body: r.body });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error('Feishu events endpoint answered ' + res.status);
  return performance.now() - t0;
}
async function run() {
  const all = [];
  for (const r of requests) {
    all.push(timed(r));
    if (gapMs) await new Promise((ok) => setTimeout(ok, gapMs));
  }
  return Promise.all(all);
}
run().then((t) => parentPort.postMessage({ t }), (e) => parentPort.postMessage({ error: String(e) }));
`;

function push(url: string, requests: { body: string; headers: Record<string, string> }[], gapMs = 0): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const w = new Worker(PUSHER, { eval: true, workerData: { url, requests, gapMs } });
    w.once('message', (m: { t?: number[]; error?: string }) => {
      void w.terminate();
      if (m.t) resolve(m.t);
      else reject(new Error(m.error));
    });
    w.once('error', reject);
  });
}

function questions(): string[] {
  return fs
    .readFileSync(path.join(REPO, 'eval', 'qa', 'lao-zhang.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { question: string }).question)
    .slice(0, 40);
}

const fixed = (v: number): number => +v.toFixed(1);

/**
 * Time inside the server for each request to the events path: from its parsed headers to its
 * finished 200 (body read, signature, freshness, AES, token, dispatch). Read through Node's
 * http diagnostics channels, so nothing in the server is changed to measure it.
 */
function serverTimer(pathName: string): { take(): number[]; stop(): void } {
  const started = new WeakMap<object, number>();
  let done: number[] = [];
  const onStart = (m: unknown): void => {
    const { request } = m as { request: { url?: string } };
    if (request.url === pathName) started.set(request, performance.now());
  };
  const onFinish = (m: unknown): void => {
    const t = started.get((m as { request: object }).request);
    if (t !== undefined) done.push(performance.now() - t);
  };
  diagnostics.subscribe('http.server.request.start', onStart);
  diagnostics.subscribe('http.server.response.finish', onFinish);
  return {
    take: () => {
      const out = done;
      done = [];
      return out;
    },
    stop: () => {
      diagnostics.unsubscribe('http.server.request.start', onStart);
      diagnostics.unsubscribe('http.server.response.finish', onFinish);
    },
  };
}

/** The same burst against a server that only answers 200: what the sender and loopback cost by themselves. */
async function baseline(requests: { body: string; headers: Record<string, string> }[]): Promise<number[]> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    return await push(`http://127.0.0.1:${(server.address() as AddressInfo).port}/lark/events`, requests);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

/**
 * Feishu webhook over loopback: our verification (signature, freshness, AES, token), the real
 * EventDispatcher, the router and the offline answer path for the demo avatar lao-zhang, and a
 * fake Open API. Ack latency is the time until Feishu would get its 200.
 */
export async function benchLark(): Promise<Record<string, number | string>> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-lark-'));
  fs.cpSync(path.join(REPO, 'avatars', 'lao-zhang'), path.join(root, 'avatars', 'lao-zhang'), { recursive: true });
  const api = await fakeOpenApi();
  const { runtime, handle } = await startBenchServer(root, {
    LARK_APP_ID: APP_ID,
    LARK_APP_SECRET: 'bench-secret',
    LARK_ENCRYPT_KEY: ENCRYPT_KEY,
    LARK_VERIFICATION_TOKEN: TOKEN,
    LARK_DOMAIN: api.url,
  });
  const url = `http://127.0.0.1:${handle.port}/lark/events`;
  const qs = questions();
  const batch = (users: number, from: number, count: number) => Array.from({ length: count }, (_, i) => pushed(from + (i % users), qs[i % qs.length]));
  try {
    await push(url, batch(20, 10_000, 20));
    await handle.router.idle();
    const quiet = await push(url, batch(50, 20_000, 50), 40);
    await handle.router.idle();
    const timer = serverTimer('/lark/events');
    const burst = async (gapMs: number): Promise<{ acks: number[]; server: number[]; answered: number; wallMs: number }> => {
      const before = api.answers();
      const requests = batch(100, gapMs * 1000 + 1, BURST);
      timer.take();
      const t0 = performance.now();
      const acks = await push(url, requests, gapMs);
      const server = timer.take();
      await handle.router.idle();
      return { acks, server, answered: api.answers() - before, wallMs: performance.now() - t0 };
    };
    const all = await burst(0);
    const paced = await burst(2);
    timer.stop();
    const base = await baseline(batch(100, 90_000, BURST));
    return {
      events: BURST,
      server_verify_ack_p50_ms: fixed(percentile(all.server, 50)),
      server_verify_ack_p99_ms: fixed(percentile(all.server, 99)),
      client_ack_p50_ms: fixed(percentile(all.acks, 50)),
      client_ack_p99_ms: fixed(percentile(all.acks, 99)),
      client_baseline_200_only_p99_ms: fixed(percentile(base, 99)),
      answers: all.answered,
      answers_per_s: Math.round((all.answered / all.wallMs) * 1000),
      paced_500_per_s_server_p99_ms: fixed(percentile(paced.server, 99)),
      paced_500_per_s_client_p50_ms: fixed(percentile(paced.acks, 50)),
      paced_500_per_s_client_p99_ms: fixed(percentile(paced.acks, 99)),
      paced_answers: paced.answered,
      quiet_client_p50_ms: fixed(percentile(quiet, 50)),
      quiet_client_p99_ms: fixed(percentile(quiet, 99)),
      target_p99_ms: 50,
      answer_path: 'offline',
    };
  } finally {
    await handle.close();
    runtime.close();
    await api.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}
