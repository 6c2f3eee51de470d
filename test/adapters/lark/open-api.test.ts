import * as lark from '@larksuiteoapi/node-sdk';
import { LarkApi } from '../../../src/adapters/lark/open-api';
import { silentLogger } from '../../../src/log';
import { capturingLogger } from '../../helpers/capturing-logger';
import { answerCards, HUB_APP, HUB_SECRET, LZ_APP, messageEvent, newFakeLark, startLark, type LarkHarness } from '../../helpers/lark-harness';
import type { FakeLark } from '../../helpers/fake-lark';

describe('Feishu Open API behaviour', () => {
  let h: LarkHarness | undefined;
  let fake: FakeLark;
  beforeEach(async () => {
    fake = await newFakeLark();
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await fake.stop();
  });

  it('keeps a token cache per app, never the SDK process-wide one', async () => {
    h = await startLark({ fake });
    await h.send(messageEvent(fake, { app: 'lz', user: 'ou_a', text: 'How do I roll back?' }), { app: 'lz' });
    await h.send(messageEvent(fake, { user: 'ou_b', text: '@lin-xiaoyu-avatar PLUS price?' }));
    await h.send(messageEvent(fake, { app: 'lz', user: 'ou_c', text: 'How do I release?' }), { app: 'lz' });
    await h.idle();
    const tokens = fake.calls.filter((c) => c.method === 'tenant_access_token').map((c) => c.body.app_id);
    expect(tokens.sort()).toEqual([HUB_APP, LZ_APP]);
    const replies = fake.of('im.v1.message.reply');
    expect(new Set(replies.map((c) => c.appId))).toEqual(new Set([HUB_APP, LZ_APP]));
    expect((lark.internalCache as unknown as { values: Map<string, unknown> }).values.size).toBe(0);
  });

  it('fetches a new tenant token once when Feishu says it expired, and still answers', async () => {
    h = await startLark({ fake });
    await h.send(messageEvent(fake, { app: 'lz', user: 'ou_a', text: 'How do I roll back?' }), { app: 'lz' });
    await h.idle();
    fake.expireTokens();
    await h.send(messageEvent(fake, { app: 'lz', user: 'ou_b', text: 'How do I release?' }), { app: 'lz' });
    await h.idle();
    expect(fake.calls.filter((c) => c.method === 'tenant_access_token' && c.body.app_id === LZ_APP)).toHaveLength(2);
    expect(answerCards(fake)).toHaveLength(2);
  });

  it('retries a token-expired code only once', async () => {
    const api = new LarkApi({ name: 'hub', appId: HUB_APP, appSecret: HUB_SECRET }, fake.url, silentLogger);
    fake.seed({ message_id: 'om_parent', chat_id: 'oc_1' });
    fake.fail('im.v1.message.reply', { status: 400, code: 99991663, msg: 'Invalid access token', times: 5 });
    const call = api.call('im.v1.message.reply', () => api.client.im.v1.message.reply({ path: { message_id: 'om_parent' }, data: { msg_type: 'text', content: '{"text":"x"}' } }));
    await expect(call).rejects.toMatchObject({ code: 'PLATFORM_AUTH' });
    expect(fake.calls.filter((c) => c.method === 'im.v1.message.reply')).toHaveLength(2);
  });

  it('waits out HTTP 429 as Feishu tells it to, and delivers the answer once', async () => {
    h = await startLark({ fake });
    fake.fail('im.v1.message.patch', { status: 429, code: 99991400, msg: 'request trigger frequency limit', reset: 1, times: 1 });
    const t = Date.now();
    await h.send(messageEvent(fake, { app: 'lz', text: 'How do I roll back?' }), { app: 'lz' });
    await h.idle();
    expect(Date.now() - t).toBeGreaterThanOrEqual(900);
    expect(fake.calls.filter((c) => c.method === 'im.v1.message.patch' && c.failed)).toHaveLength(1);
    expect(answerCards(fake)).toHaveLength(1);
  });

  it('backs off on frequency-limit codes, bounded, then gives up with RATE_LIMITED', async () => {
    const api = new LarkApi({ name: 'hub', appId: HUB_APP, appSecret: HUB_SECRET }, fake.url, silentLogger, { retries: 2, baseDelayMs: 20, maxDelayMs: 100, totalDelayMs: 1000 });
    fake.seed({ message_id: 'om_parent', chat_id: 'oc_1' });
    const reply = (): Promise<unknown> => api.call('im.v1.message.reply', () => api.client.im.v1.message.reply({ path: { message_id: 'om_parent' }, data: { msg_type: 'text', content: '{"text":"x"}', uuid: 'u-1' } }));
    fake.fail('im.v1.message.reply', { status: 200, code: 230020, msg: 'This operation triggers the frequency limit', times: 2 });
    await expect(reply()).resolves.toMatchObject({ message_id: expect.stringMatching(/^om_/) });
    fake.fail('im.v1.message.reply', { status: 400, code: 11232, msg: 'create message trigger rate limit', times: 10 });
    await expect(reply()).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(fake.calls.filter((c) => c.method === 'im.v1.message.reply' && c.failed)).toHaveLength(2 + 3);
  });

  it('logs a missing scope with its name and tells the user in the chat', async () => {
    const { log, lines } = capturingLogger();
    h = await startLark({ fake, logger: log });
    fake.fail('im.v1.message.patch', { status: 400, code: 99991672, msg: 'Access denied. One of the following scopes is required: [im:message, im:message:send_as_bot].', scopes: ['im:message:send_as_bot'], times: 1 });
    await h.send(messageEvent(fake, { app: 'lz', text: 'How do I roll back?' }), { app: 'lz' });
    await h.idle();
    const logged = lines().find((l) => l.level === 50 && Array.isArray(l.needed));
    expect(logged).toMatchObject({ method: 'im.v1.message.patch', needed: ['im:message:send_as_bot'] });
    expect(String(logged?.msg)).toMatch(/Add the permission im:message:send_as_bot/);
    const told = fake.of('im.v1.message.reply').filter((c) => c.body.msg_type === 'text');
    expect(told).toHaveLength(1);
    expect(String(told[0].content?.text)).toMatch(/missing the Feishu permission im:message:send_as_bot/);
    // No second, vaguer apology after the specific one.
    expect(JSON.stringify(fake.calls.map((c) => c.content))).not.toMatch(/PLATFORM_SCOPE/);
    // Nothing in the logs carries a tenant token.
    expect(JSON.stringify(lines())).not.toMatch(/t-cli_/);
  });
});
