import { cards, HUB_APP, HUB_TOKEN, messageEvent, startLark, type LarkHarness } from '../helpers/lark-harness';

describe('security: the Feishu verification token is read from where the SDK reads the event', () => {
  let h: LarkHarness;
  beforeAll(async () => {
    h = await startLark();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('rejects `schema: ""` with a wrong header token even when a top-level token is right', async () => {
    const ev = messageEvent(h.fake, { text: 'How do I roll back billing-gateway?', token: 'someone-elses-token' });
    const forged = { ...ev, schema: '', token: HUB_TOKEN };
    const res = await h.send(forged);
    expect(res.status).toBe(401);
    await h.idle();
    expect(cards(h.fake)).toHaveLength(0);
  });

  it('rejects a v2 event whose header is not an object', async () => {
    const res = await h.send({ schema: '2.0', header: 'x', token: HUB_TOKEN, app_id: HUB_APP, event: {} });
    expect(res.status).toBe(401);
  });
});
