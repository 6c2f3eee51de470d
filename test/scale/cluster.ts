import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { signSlackRequest } from '../../src/adapters/slack/verify';
import type { FakeSlack } from '../helpers/fake-slack';
import { LZ_SECRET } from '../helpers/slack-harness';
import { until } from '../helpers/wait';

const BIN = path.resolve(__dirname, '../../bin/understudy.js');

/** One `understudy serve --role …` process (the built CLI), its port read from its 'listening' log line. */
export interface Replica {
  role: 'web' | 'worker' | 'all';
  child: ChildProcess;
  port: number;
  log: () => string;
}

export async function startReplica(role: 'web' | 'worker' | 'all', root: string, env: Record<string, string>): Promise<Replica> {
  if (!fs.existsSync(path.resolve(__dirname, '../../dist/src/cli.js'))) throw new Error('dist/ is missing: run npm run build before the scale tests');
  const child = spawn(process.execPath, [BIN, 'serve', '--role', role], { cwd: root, env: { PATH: process.env.PATH, PORT: '0', LOG_LEVEL: 'info', LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /"port":(\d+)[^\n]*"msg":"listening"|"msg":"listening"[^\n]*"port":(\d+)/.exec(out);
      if (m) {
        clearInterval(timer);
        resolve(Number(m[1] ?? m[2]));
      }
    }, 50);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`serve --role ${role} exited with ${code} before listening:\n${out}`));
    });
  });
  await until(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, `${role} replica on ${port} to be ready`, 60_000);
  return { role, child, port, log: () => out };
}

export async function stopReplica(r: Replica, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (r.child.exitCode !== null || r.child.signalCode !== null) return;
  const exited = new Promise((resolve) => r.child.once('exit', resolve));
  r.child.kill(signal);
  await exited;
}


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

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}
