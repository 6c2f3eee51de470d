import { encryptLark, signLarkRequest } from '../../../src/adapters/lark/verify';
import { cards, HUB_KEY, HUB_TOKEN, messageEvent, startLark, wireBody, type LarkHarness } from '../../helpers/lark-harness';

/** Calls that would show something to someone; startup calls (token, bot info) do not count. */
function shown(h: LarkHarness): number {
  return cards(h.fake).length;
}

describe('Feishu request verification (closing the SDK gaps)', () => {
  let h: LarkHarness;
  beforeAll(async () => {
    h = await startLark();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('rejects a forged signature with 401 and processes nothing', async () => {
    const res = await h.send(messageEvent(h.fake, { text: 'How do I roll back?' }), { signKey: 'not-the-key' });
    expect(res.status).toBe(401);
    await h.idle();
    expect(shown(h)).toBe(0);
  });

  it('rejects a timestamp older than five minutes, even with a valid signature', async () => {
    const res = await h.send(messageEvent(h.fake, { text: 'How do I roll back?' }), { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(res.status).toBe(401);
    await h.idle();
    expect(shown(h)).toBe(0);
  });

  it('rejects a signed, encrypted v2 event carrying the wrong verification token', async () => {
    const res = await h.send(messageEvent(h.fake, { text: 'How do I roll back?', token: 'someone-elses-token' }));
    expect(res.status).toBe(401);
    await h.idle();
    expect(shown(h)).toBe(0);
  });

  it('rejects a signed body that does not decrypt with our key', async () => {
    const garbage = JSON.stringify({ encrypt: Buffer.alloc(64, 7).toString('base64') });
    const res = await fetch(h.url, { method: 'POST', headers: { 'content-type': 'application/json', ...signLarkRequest(HUB_KEY, garbage) }, body: garbage });
    expect(res.status).toBe(401);
    const otherKey = JSON.stringify({ encrypt: encryptLark('another-key', JSON.stringify(messageEvent(h.fake, { text: 'hi' }))) });
    expect((await fetch(h.url, { method: 'POST', headers: { 'content-type': 'application/json', ...signLarkRequest(HUB_KEY, otherKey) }, body: otherKey })).status).toBe(401);
    await h.idle();
    expect(shown(h)).toBe(0);
  });

  it('rejects plaintext and unsigned events for an app that has an encrypt key', async () => {
    expect((await h.send(messageEvent(h.fake, { text: 'How do I roll back?' }), { plain: true })).status).toBe(401);
    expect((await h.send(messageEvent(h.fake, { text: 'How do I roll back?' }), { unsigned: true })).status).toBe(401);
    await h.idle();
    expect(shown(h)).toBe(0);
  });

  it('answers the encrypted URL challenge at once, and not with a wrong token', async () => {
    const t = Date.now();
    const res = await h.send({ challenge: 'ch-4242', token: HUB_TOKEN, type: 'url_verification' }, { unsigned: true });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ challenge: 'ch-4242' });
    expect(Date.now() - t).toBeLessThan(1000);
    expect((await h.send({ challenge: 'ch-4243', token: 'wrong', type: 'url_verification' }, { unsigned: true })).status).toBe(401);
  });

  it('answers 404 for unknown paths and 405 for other methods, where the SDK adapter would hang', async () => {
    const base = h.url.replace('/lark/events', '');
    const t = Date.now();
    expect((await fetch(`${base}/lark/event`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(`${base}/lark/events/extra`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(h.url, { method: 'GET' })).status).toBe(405);
    expect(Date.now() - t).toBeLessThan(1000);
  });

  it('answers 400 to a body that is not JSON', async () => {
    const { headers } = wireBody({}, {});
    expect((await fetch(h.url, { method: 'POST', headers, body: '{"encrypt": broken' })).status).toBe(400);
  });

  it('accepts a signature over the exact bytes sent, even when they are not compact JSON', async () => {
    const ev = messageEvent(h.fake, { user: 'ou_spaces', text: '@lao-zhang-avatar how do I roll back?' });
    const raw = `{ "encrypt" : "${encryptLark(HUB_KEY, JSON.stringify(ev, null, 2))}" }\n`;
    expect((await h.send(null, { raw })).status).toBe(200);
    await h.idle();
    expect(cards(h.fake).some((c) => c.text.includes('understudy_feedback'))).toBe(true);
  });

  it('ignores a verified event for an unknown app_id', async () => {
    const before = shown(h);
    const res = await h.send(messageEvent(h.fake, { appId: 'cli_ffffffffffff0009', user: 'ou_unknown_app', text: 'How do I roll back?' }));
    expect(res.status).toBe(200);
    await h.idle();
    expect(shown(h)).toBe(before);
  });
});

describe('Feishu apps with only a verification token', () => {
  let h: LarkHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('answers a plaintext event with the right token and rejects a wrong one', async () => {
    h = await startLark({ env: { LARK_ENCRYPT_KEY: '' } });
    expect((await h.send(messageEvent(h.fake, { text: 'How do I roll back?', token: 'nope' }), { plain: true })).status).toBe(401);
    expect((await h.send({ challenge: 'c1', token: HUB_TOKEN, type: 'url_verification' }, { plain: true }).then((r) => r.json()))).toEqual({ challenge: 'c1' });
    expect((await h.send(messageEvent(h.fake, { text: '@lao-zhang-avatar How do I roll back?' }), { plain: true })).status).toBe(200);
    await h.idle();
    expect(cards(h.fake).filter((c) => c.text.includes('understudy_feedback'))).toHaveLength(1);
  });

  it('refuses to start a webhook app that has neither an encrypt key nor a token', async () => {
    await expect(startLark({ env: { LARK_ENCRYPT_KEY: '', LARK_VERIFICATION_TOKEN: '' } })).rejects.toThrow(/LARK_ENCRYPT_KEY/);
    await expect(startLark({ env: { LZ_LARK_ENCRYPT_KEY: '', LZ_LARK_VERIFICATION_TOKEN: '' } })).rejects.toThrow(/LZ_LARK_ENCRYPT_KEY is not set/);
  });

  it('fails fast at start when an app secret is wrong, naming the app', async () => {
    await expect(startLark({ env: { LZ_LARK_APP_SECRET: 'wrong-secret' } })).rejects.toThrow(/lao-zhang.*cli_a1b2c3d4e5f60002.*10014/);
  });
});
