import { signSlackRequest } from '../../src/adapters/slack/verify';
import type { FakeSlack } from '../helpers/fake-slack';
import { LZ_SECRET } from '../helpers/slack-harness';

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
