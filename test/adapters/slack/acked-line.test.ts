import type { SlackCall } from '../../helpers/fake-slack';
import { eventBody, LZ_SECRET, startSlack, type SlackHarness } from '../../helpers/slack-harness';

/*
 * The Slack adapter acks an event and runs its gates later, from a FIFO line, a few at a time
 * (adapter.ts, AckedLine). What is acked is not lost on a graceful stop: the line is finished.
 */

const dm = (user: string, text: string) => eventBody({ type: 'message', channel_type: 'im', channel: `D_${user}`, user, text }, { app: 'A_LZ' });
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
});
