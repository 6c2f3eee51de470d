import { cards, startLark, v2Event, type LarkHarness } from '../helpers/lark-harness';

/** Validly encrypted and signed Feishu events whose content is odd: 2xx or 4xx at once, never a 5xx, never a crash. */
describe('security: malformed encrypted Feishu events', () => {
  let h: LarkHarness;
  beforeAll(async () => {
    h = await startLark();
  });
  afterAll(async () => {
    await h?.close();
  });

  const menu = (event_key: unknown, operator: unknown = { operator_name: 'U1', operator_id: { open_id: 'ou_u1' } }): Record<string, unknown> =>
    v2Event('application.bot.menu_v6', { event_key, operator, timestamp: Math.floor(Date.now() / 1000) });

  it.each([
    ['an event key of only separators', menu('_')],
    ['an event key of a slash', menu('/')],
    ['an event key that is a number', menu(42)],
    ['an event key that is an object', menu({ k: 1 })],
    ['an operator id that is a number', menu('help', { operator_id: { open_id: 7 } })],
    ['an operator that is a string', menu('help', 'ou_u1')],
  ])('answers a menu click with %s without a 5xx', async (_name, body) => {
    const res = await h.send(body);
    expect(res.status).toBeLessThan(500);
    await h.idle();
  });

  it('answers a card action whose action is not an object without a 5xx', async () => {
    const res = await h.send(v2Event('card.action.trigger', { operator: { open_id: 'ou_u1' }, action: 'nope', context: 5 }));
    expect(res.status).toBeLessThan(500);
  });

  it('answers a message event whose message is a string without a 5xx', async () => {
    const res = await h.send(v2Event('im.message.receive_v1', { sender: 'x', message: 'y' }));
    expect(res.status).toBeLessThan(500);
    await h.idle();
  });

  it('still answers a real menu click afterwards', async () => {
    const before = cards(h.fake).length;
    const res = await h.send(menu('help'));
    expect(res.status).toBe(200);
    await h.idle();
    expect(cards(h.fake).length).toBeGreaterThan(before);
  });
});
