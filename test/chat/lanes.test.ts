import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai';
import type { SlackCall } from '../helpers/fake-slack';
import { eventBody, LZ_SECRET, startSlack, type SlackHarness } from '../helpers/slack-harness';

/** Poll until `probe` returns something, or fail after `ms` naming what never happened. */
async function within<T>(ms: number, what: string, probe: () => T | undefined | false): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const dm = (user: string, text: string, channel = `D_${user}`) => eventBody({ type: 'message', channel_type: 'im', channel, user, text }, { app: 'A_LZ' });

function slash(user: string, command: string, text: string): string {
  return new URLSearchParams({
    token: 'x', team_id: 'T111', team_domain: 'test', channel_id: `D_${user}`, channel_name: 'directmessage', user_id: user, user_name: user.toLowerCase(),
    command, text, api_app_id: 'A_LZ', response_url: 'https://hooks.slack.com/commands/T111/1/x', trigger_id: '1.2.3',
  }).toString();
}

const answers = (calls: SlackCall[]) => calls.filter((c) => c.method === 'chat.update' && JSON.stringify(c.args.blocks ?? '').includes('understudy_feedback'));

describe('lanes: model calls never hold up commands, placeholders or other conversations', () => {
  let h: SlackHarness | undefined;
  let fake: FakeOpenAi;
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await fake?.close();
  });

  const model = (extra: Record<string, string> = {}) => ({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.baseURL, OPENAI_MAX_RETRIES: '0', ...extra });

  it('with 4 questions hanging on the model, another user\'s /avatar list is answered and a new question gets its placeholder', async () => {
    fake = await startFakeOpenAi(() => 'never');
    fake.mode = 'hang';
    h = await startSlack({ env: model({ ANSWER_TIMEOUT_MS: '60000', OPENAI_TIMEOUT_MS: '60000', UNDERSTUDY_SHUTDOWN_TIMEOUT_MS: '1000' }) });
    for (const u of ['U1', 'U2', 'U3', 'U4']) await h.send(dm(u, 'How do I roll back billing-gateway?'), { secret: LZ_SECRET });
    await within(15_000, '4 model calls in flight', () => fake.requests.length === 4);

    const before = h.fake.calls.length;
    expect((await h.send(slash('U9', '/avatar', 'list'), { form: true, secret: LZ_SECRET })).status).toBe(200);
    const listed = await within(10_000, '/avatar list answered', () => h!.fake.calls.slice(before).find((c) => /lao-zhang/.test(JSON.stringify(c.args))));
    expect(listed.args.user ?? listed.args.channel).toBeDefined();

    await h.send(dm('U5', 'How do I deploy billing-gateway?'), { secret: LZ_SECRET });
    await within(10_000, 'placeholder for the fifth question', () =>
      h!.fake.calls.find((c) => c.method === 'chat.postMessage' && c.args.channel === 'D_U5' && /looking through the material/.test(String(c.args.text))),
    );
    // The fifth question waits for an answer slot: the model has still seen only four.
    expect(fake.requests).toHaveLength(4);
  }, 60_000);

  it('answers two questions of one conversation in order, the second with the first in its history', async () => {
    fake = await startFakeOpenAi((messages) => (/deploy/i.test(messages[messages.length - 1].content) ? 'Deploy with deployctl release [1].' : 'Roll back first [1].'));
    fake.mode = 'slow';
    fake.slowMs = 150;
    h = await startSlack({ env: model({ ANSWER_TIMEOUT_MS: '10000' }) });
    await h.send(dm('U1', 'How do I roll back billing-gateway?'), { secret: LZ_SECRET });
    await within(10_000, 'first model call', () => fake.requests.length === 1);
    fake.mode = 'ok';
    await h.send(dm('U1', 'How do I deploy billing-gateway?'), { secret: LZ_SECRET });
    await h.idle();
    const shown = answers(h.fake.calls).map((c) => String(c.args.text));
    expect(shown).toHaveLength(2);
    expect(shown[0]).toMatch(/Roll back first/);
    expect(shown[1]).toMatch(/Deploy with deployctl release/);
    // The second call was made after the first answer was stored, so the model saw it.
    expect(JSON.stringify(fake.requests[1].messages)).toMatch(/Roll back first/);
  });

  it('answers different conversations in parallel', async () => {
    fake = await startFakeOpenAi(() => 'Roll back first [1].');
    fake.mode = 'slow';
    fake.slowMs = 1000;
    h = await startSlack({ env: model({ ANSWER_TIMEOUT_MS: '10000' }) });
    await h.send(dm('U1', 'How do I roll back billing-gateway?'), { secret: LZ_SECRET });
    await h.send(dm('U2', 'How do I roll back billing-gateway?'), { secret: LZ_SECRET });
    // Both calls reach the model before either answer is finished.
    await within(10_000, 'two model calls at once', () => fake.requests.length === 2 && answers(h!.fake.calls).length === 0);
    await h.idle();
    expect(answers(h.fake.calls)).toHaveLength(2);
  });
});

describe('rate-limit notices', () => {
  let h: SlackHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('tells a flooding user once per window: 200 messages in a burst give one notice per user', async () => {
    h = await startSlack({ rate: 2 });
    const burst = [];
    for (let i = 0; i < 200; i++) burst.push(h.send(dm(i % 10 === 0 ? 'U2' : 'U1', `ping ${i}`), { secret: LZ_SECRET }).then((r) => r.text()));
    await Promise.all(burst);
    await h.idle();
    const notices = h.fake.calls.filter((c) => /faster than I can keep up/.test(String(c.args.text)));
    expect(notices.map((c) => c.args.user).sort()).toEqual(['U1', 'U2']);
    // Each user still got the answers the limit allows.
    const placeholders = h.fake.of('chat.postMessage').filter((c) => /looking through the material/.test(String(c.args.text)));
    expect(placeholders).toHaveLength(4);
  });
});

describe('one budget per answer', () => {
  let h: SlackHarness | undefined;
  let fake: FakeOpenAi;
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await fake?.close();
  });

  it('covers the follow-up rewrite and the answer together: a hanging rewrite leaves no time for a second call', async () => {
    fake = await startFakeOpenAi(() => 'Roll back first [1].');
    h = await startSlack({ env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: fake.baseURL, OPENAI_MAX_RETRIES: '0', ANSWER_TIMEOUT_MS: '500', OPENAI_TIMEOUT_MS: '60000' } });
    await h.send(dm('U1', 'How do I roll back billing-gateway?'), { secret: LZ_SECRET });
    await h.idle();
    expect(fake.requests).toHaveLength(1);
    fake.mode = 'hang';
    await h.send(dm('U1', 'and how do I undo that?'), { secret: LZ_SECRET });
    await h.idle();
    // The rewrite hung until the budget ran out; the answer itself was not sent to the model.
    expect(fake.requests).toHaveLength(2);
    const shown = answers(h.fake.calls).map((c) => String(c.args.text));
    expect(shown).toHaveLength(2);
    expect(shown[1]).toMatch(/did not answer in time/);
  });
});
