import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai';
import { eventBody, shownText, slashCommand, startSlack, type SlackHarness } from '../helpers/slack-harness';
import { until } from '../helpers/wait';
import { QUESTION, meetingWorkspace } from './workspace';

/** In front of the fake model: counts chat completions in flight (request in, until its response is sent). */
async function countingProxy(target: string): Promise<{ baseURL: string; stats: { active: number; max: number; total: number }; close(): Promise<void> }> {
  const upstream = new URL(target);
  const stats = { active: 0, max: 0, total: 0 };
  const server = http.createServer((req, res) => {
    const counted = req.url?.endsWith('/chat/completions') === true;
    if (counted) {
      stats.active++;
      stats.total++;
      stats.max = Math.max(stats.max, stats.active);
      res.once('close', () => stats.active--);
    }
    const up = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    stats,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('a meeting takes the answer slots questions take (UNDERSTUDY_ANSWER_CONCURRENCY)', () => {
  let h: SlackHarness | undefined;
  let model: FakeOpenAi | undefined;
  let proxy: Awaited<ReturnType<typeof countingProxy>> | undefined;
  afterEach(async () => {
    await h?.close();
    await proxy?.close();
    await model?.close();
    h = undefined;
    proxy = undefined;
    model = undefined;
  });

  it('with concurrency 1, a three-avatar meeting and a question beside it compute one answer at a time', async () => {
    model = await startFakeOpenAi(() => 'Roll back billing-gateway first [1].');
    // Every model call streams for about half a second: overlapping calls would be caught in flight.
    model.mode = 'slow';
    model.slowMs = 120;
    proxy = await countingProxy(model.baseURL);
    h = await startSlack({
      root: meetingWorkspace('slack'),
      env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: proxy.baseURL, OPENAI_MODEL: 'gpt-test', OPENAI_MAX_RETRIES: '0', UNDERSTUDY_SEMANTIC: 'off', UNDERSTUDY_ANSWER_CONCURRENCY: '1' },
    });
    // U_BOSS may use all three avatars (wang-fang is limited to them).
    await h.send(slashCommand('meeting', `@lao-zhang-avatar @lin-xiaoyu-avatar @wang-fang-avatar ${QUESTION}`, { user: 'U_BOSS' }), { form: true });
    // A question from someone else while the meeting is under way waits for the same slot.
    const counts = proxy.stats;
    await until(() => counts.total >= 1);
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_Q', user: 'U_Q', text: `@lao-zhang-avatar ${QUESTION}` }));
    await h.idle();
    // Three avatars, the moderator and the question: five model calls, never two at once.
    expect(counts.total).toBe(5);
    expect(counts.max).toBe(1);
    const posts = h.fake.of('chat.postMessage');
    const meeting = posts.filter((p) => p.args.channel === 'D_U_BOSS');
    expect(meeting).toHaveLength(5);
    expect(shownText(meeting.slice(1, 4))).toMatch(/Digital avatar of Test Person lao-zhang[\s\S]*Digital avatar of Test Person lin-xiaoyu[\s\S]*Digital avatar of Test Person wang-fang/);
    expect(shownText(meeting.slice(4))).toMatch(/Moderator's synthesis/);
    // Progress still shows who has answered while the others wait for a slot.
    expect(shownText(h.fake.of('chat.update').filter((u) => u.args.channel === 'D_U_BOSS'))).toMatch(/All 3 avatars answered/);
    expect(shownText(h.fake.calls.filter((c) => c.args.channel === 'D_Q'))).toMatch(/Roll back billing-gateway first/);
  });
});
