import { answerCards, HUB_APP, LZ_APP, messageEvent, newFakeLark, startLark, v2Event, type LarkHarness } from '../../helpers/lark-harness';
import type { FakeLark } from '../../helpers/fake-lark';
import { FakeLarkSocket } from '../../helpers/fake-lark-ws';

/** Long-connection mode: the SDK's own WSClient against a local server speaking Feishu's frames. */
describe('Feishu long connection (LARK_MODE=ws)', () => {
  let fake: FakeLark;
  let socket: FakeLarkSocket;
  let h: LarkHarness | undefined;
  beforeEach(async () => {
    fake = await newFakeLark();
    socket = new FakeLarkSocket();
    await socket.start();
    fake.wsUrl = socket.url;
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await socket.stop();
    await fake.stop();
  });

  async function start(): Promise<LarkHarness> {
    h = await startLark({ fake, env: { LARK_MODE: 'ws', LARK_ENCRYPT_KEY: '', LARK_VERIFICATION_TOKEN: '' } });
    await socket.waitForConnection(2);
    return h;
  }

  it('connects one long connection per app and serves no webhook', async () => {
    h = await start();
    expect([...socket.byApp.keys()].sort()).toEqual([HUB_APP, LZ_APP]);
    expect((await fetch(h.url, { method: 'POST', body: '{}' })).status).toBe(404);
    const health = (await (await fetch(h.url.replace('/lark/events', '/healthz'))).json()) as { platforms: { lark: { mode: string; apps: { connection: string }[] } } };
    expect(health.platforms.lark.mode).toBe('ws');
    expect(health.platforms.lark.apps.map((a) => a.connection)).toEqual(['connected', 'connected']);
  });

  it('acks at once while the answer is still being written, and answers a re-pushed event once', async () => {
    h = await start();
    fake.slow('im.v1.message.reply', 1500);
    const ev = messageEvent(fake, { app: 'lz', text: 'How do I roll back billing-gateway?' });
    const id = socket.push(ev, LZ_APP);
    const ack = await socket.waitForAck(id);
    expect(ack.code).toBe(200);
    expect(ack.ms).toBeLessThan(500);
    // Feishu re-pushes what it thinks was not handled; the router has seen it.
    await socket.waitForAck(socket.push(ev, LZ_APP));
    await socket.waitForAck(socket.push(ev, LZ_APP));
    await h.idle();
    expect(answerCards(fake)).toHaveLength(1);
    expect(answerCards(fake)[0].text).toMatch(/rollback\.md/);
  });

  it('answers a card button through the ack payload', async () => {
    h = await start();
    const id = socket.push(
      v2Event('card.action.trigger', {
        operator: { open_id: 'ou_ws' },
        action: { value: { k: 'understudy_feedback', v: 'up', a: 'lao-zhang', c: 'lark:t:oc_1:dm', l: 'zh' }, tag: 'button' },
        context: { open_message_id: 'om_answer', open_chat_id: 'oc_1' },
      }, { app: 'lz' }),
      LZ_APP,
    );
    const ack = await socket.waitForAck(id);
    expect(ack.data).toEqual({ toast: { type: 'success', content: '已记录，谢谢！👍' } });
    expect(await h.runtime.service.store.listFeedback('lao-zhang')).toHaveLength(1);
  });

  it('ignores an event for another app on this connection', async () => {
    h = await start();
    await socket.waitForAck(socket.push(messageEvent(fake, { appId: 'cli_ffffffffffff0009', text: 'How do I roll back?' }), HUB_APP));
    await h.idle();
    expect(fake.of('im.v1.message.reply')).toHaveLength(0);
  });
});
