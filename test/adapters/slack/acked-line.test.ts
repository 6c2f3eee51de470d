import { signSlackRequest } from '../../../src/adapters/slack/verify';
import type { SlackCall } from '../../helpers/fake-slack';
import { slowRequest } from '../../helpers/raw-http';
import { eventBody, LZ_SECRET, startSlack, type SlackHarness } from '../../helpers/slack-harness';

/*
 * The Slack adapter acks an event and runs its gates later, from a FIFO line, a few at a time
 * (adapter.ts, PacedLine), once no request is being acked (AcksFirst). What is acked is not
 * lost on a graceful stop: the line is finished.
 */

const dm = (user: string, text: string) => eventBody({ type: 'message', channel_type: 'im', channel: `D_${user}`, user, text }, { app: 'A_LZ' });
const toChannel = (calls: SlackCall[], channel: string) => calls.filter((c) => c.args.channel === channel);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A signed event request still sending its body until `finish()` (test/helpers/raw-http.ts). */
function slowEvent(url: string, body: unknown, secret: string): { finish: () => Promise<number> } {
  const raw = JSON.stringify(body);
  return slowRequest(url, { 'content-type': 'application/json', ...signSlackRequest(secret, raw) }, raw, 20);
}

const answered = (calls: SlackCall[]) => new Set(calls.filter((c) => c.method === 'chat.update' && JSON.stringify(c.args.blocks ?? '').includes('understudy_feedback')).map((c) => String(c.args.channel)));

describe('Slack: the line of acked events', () => {
  let h: SlackHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('answers every event of a burst that was acked before a graceful stop began, each once', async () => {
    h = await startSlack();
    const users = Array.from({ length: 16 }, (_, i) => `U_LINE${i}`);
    const acks = await Promise.all(users.map((u) => h!.send(dm(u, 'How do I roll back billing-gateway?'), { secret: LZ_SECRET })));
    for (const a of acks) expect(a.status).toBe(200);
    // Stop at once: part of the burst may still be waiting in the line.
    await h.handle.close();
    const calls = h.fake.calls;
    expect([...answered(calls)].sort()).toEqual(users.map((u) => `D_${u}`).sort());
    const perChannel = calls.filter((c) => c.method === 'chat.update' && JSON.stringify(c.args.blocks ?? '').includes('understudy_feedback')).length;
    expect(perChannel).toBe(users.length);
  }, 60_000);

  it('starts the work after an ack only once no other request is being acked', async () => {
    h = await startSlack();
    // A request still sending its body while another event is acked: the acked event's answer waits for it.
    const slow = slowEvent(h.url, dm('U_SLOW', 'How do I roll back billing-gateway?'), LZ_SECRET);
    await sleep(100);
    expect((await h.send(dm('U_QUICK', 'How do I roll back billing-gateway?'), { secret: LZ_SECRET })).status).toBe(200);
    await sleep(500);
    expect(toChannel(h.fake.calls, 'D_U_QUICK')).toEqual([]);
    expect(await slow.finish()).toBe(200);
    await h.idle();
    expect([...answered(h.fake.calls)].sort()).toEqual(['D_U_QUICK', 'D_U_SLOW']);
  }, 30_000);

  it('starts it anyway a second after its ack when a request never finishes', async () => {
    h = await startSlack();
    const stalled = slowEvent(h.url, dm('U_STALL', 'How do I roll back billing-gateway?'), LZ_SECRET);
    await sleep(100);
    const acked = Date.now();
    expect((await h.send(dm('U_QUICK', 'How do I roll back billing-gateway?'), { secret: LZ_SECRET })).status).toBe(200);
    const deadline = Date.now() + 10_000;
    while (!answered(h.fake.calls).has('D_U_QUICK') && Date.now() < deadline) await sleep(50);
    expect(answered(h.fake.calls).has('D_U_QUICK')).toBe(true);
    expect(Date.now() - acked).toBeGreaterThanOrEqual(900);
    await stalled.finish();
  }, 30_000);

  it('starts it between the requests of a steady stream, not a second later as in a burst', async () => {
    h = await startSlack();
    // A request every 4 ms (fewer than a burst's four in 10 ms), each verified and refused.
    let streaming = true;
    const stream = (async () => {
      while (streaming) {
        void h!.send(dm('U_NOISE', 'noise'), { secret: 'not-the-secret' });
        await sleep(4);
      }
    })();
    await sleep(100);
    const acked = Date.now();
    expect((await h.send(dm('U_STEADY', 'How do I roll back billing-gateway?'), { secret: LZ_SECRET })).status).toBe(200);
    const deadline = Date.now() + 5_000;
    while (!toChannel(h.fake.calls, 'D_U_STEADY').some((c) => c.method === 'chat.postMessage') && Date.now() < deadline) await sleep(10);
    const started = Date.now() - acked;
    streaming = false;
    await stream;
    expect(started).toBeLessThan(600);
  }, 30_000);
});
