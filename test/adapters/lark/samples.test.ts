import fs from 'node:fs';
import path from 'node:path';
import { LarkTransport } from '../../../src/adapters/lark/transport';
import { LarkApi } from '../../../src/adapters/lark/open-api';
import { silentLogger } from '../../../src/log';
import { corpus, describeCorpora, HAVE_CORPORA } from '../../helpers/corpora';
import { cards, HUB_BOT, HUB_SECRET, newFakeLark, startLark, type LarkHarness } from '../../helpers/lark-harness';
import type { FakeLark } from '../../helpers/fake-lark';

/** Feishu's documented bodies carry this app id and token; the hub app is configured to match. */
const SAMPLE_APP = 'cli_9f5343c580712544';
const SAMPLE_TOKEN = 'rvaYgkND1GOiu5MM0E1rncYC6PLtF7JV';
const SAMPLE_KEY = 'sample-encrypt-key';

const dir = corpus('feishu_official_samples');
const eventFiles = HAVE_CORPORA ? fs.readdirSync(path.join(dir, 'events')).filter((f) => f.endsWith('.json')).sort() : [];
const read = (rel: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(dir, rel), 'utf8')) as Record<string, unknown>;

describeCorpora("Feishu's documented event samples through our HTTP routing and the real EventDispatcher", () => {
  let fake: FakeLark;
  let h: LarkHarness | undefined;
  beforeEach(async () => {
    fake = await newFakeLark();
    fake.addApp(SAMPLE_APP, HUB_SECRET, HUB_BOT, 'Understudy');
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await fake.stop();
  });

  it('finds all 13 documented IM event bodies', () => {
    expect(eventFiles).toHaveLength(13);
    expect(eventFiles).toContain('im.message.receive_v1.json');
  });

  it('accepts every sample encrypted and signed, answers 200 at once, and shows nothing for events that ask nothing', async () => {
    h = await startLark({ fake, env: { LARK_APP_ID: SAMPLE_APP, LARK_ENCRYPT_KEY: SAMPLE_KEY, LARK_VERIFICATION_TOKEN: SAMPLE_TOKEN } });
    for (const f of eventFiles) {
      const sample = read(`events/${f}`);
      const res = await h.send(JSON.stringify(sample), { encryptKey: SAMPLE_KEY });
      expect({ f, status: res.status }).toEqual({ f, status: 200 });
      expect(await res.json()).toEqual({});
    }
    await h.idle();
    // The receive sample is a group message that @mentions Tom, not the bot, sent in 2020.
    expect(cards(fake)).toHaveLength(0);
  });

  it('accepts every sample as plaintext with the documented verification token, and rejects it with another', async () => {
    h = await startLark({ fake, env: { LARK_APP_ID: SAMPLE_APP, LARK_ENCRYPT_KEY: '', LARK_VERIFICATION_TOKEN: SAMPLE_TOKEN } });
    for (const f of eventFiles) {
      const raw = fs.readFileSync(path.join(dir, 'events', f), 'utf8');
      expect({ f, status: (await h.send(null, { plain: true, raw })).status }).toEqual({ f, status: 200 });
      const forged = raw.replace(SAMPLE_TOKEN, 'forgedTokenforgedTokenforgedTok');
      expect({ f, status: (await h.send(null, { plain: true, raw: forged })).status }).toEqual({ f, status: 401 });
    }
    await h.idle();
    expect(cards(fake)).toHaveLength(0);
  });

  it('answers the receive sample in its thread once it @mentions the bot and is fresh', async () => {
    h = await startLark({ fake, env: { LARK_APP_ID: SAMPLE_APP, LARK_ENCRYPT_KEY: SAMPLE_KEY, LARK_VERIFICATION_TOKEN: SAMPLE_TOKEN } });
    const sample = read('events/im.message.receive_v1.json') as { header: Record<string, string>; event: { message: Record<string, unknown> & { mentions: { id: { open_id: string } }[] } } };
    sample.header.event_id = 'sample-fresh-1';
    sample.event.message.create_time = String(Date.now());
    sample.event.message.content = JSON.stringify({ text: '@_user_1 @lao-zhang-avatar how do I roll back billing-gateway?' });
    sample.event.message.mentions[0].id.open_id = HUB_BOT;
    const root = String(sample.event.message.root_id);
    fake.seed({ message_id: root, chat_id: String(sample.event.message.chat_id) });
    fake.seed({ message_id: String(sample.event.message.message_id), chat_id: String(sample.event.message.chat_id), root_id: root, thread_id: String(sample.event.message.thread_id) });
    expect((await h.send(JSON.stringify(sample), { encryptKey: SAMPLE_KEY })).status).toBe(200);
    await h.idle();
    const replies = fake.of('im.v1.message.reply');
    expect(replies[0].path).toContain(root);
    expect(replies[0].body.reply_in_thread).toBe(true);
    expect(cards(fake).filter((c) => c.text.includes('understudy_feedback'))).toHaveLength(1);
    // Thread memory fallback reads the thread container the sample names.
    expect(fake.of('im.v1.message.list')[0].query).toMatchObject({ container_id_type: 'thread', container_id: 'omt_d4be107c616' });
  });

  it('remembers the p2p chat from bot_p2p_chat_entered, so a menu click answers there', async () => {
    h = await startLark({ fake, env: { LARK_APP_ID: SAMPLE_APP, LARK_ENCRYPT_KEY: SAMPLE_KEY, LARK_VERIFICATION_TOKEN: SAMPLE_TOKEN } });
    const entered = read('events/im.chat.access_event.bot_p2p_chat_entered_v1.json') as { event: { chat_id: string; operator_id: { open_id: string } } };
    await h.send(JSON.stringify(entered), { encryptKey: SAMPLE_KEY });
    const menu = {
      schema: '2.0',
      header: { event_id: 'menu-1', event_type: 'application.bot.menu_v6', create_time: String(Date.now()), token: SAMPLE_TOKEN, app_id: SAMPLE_APP, tenant_key: 't' },
      event: { operator: { operator_name: 'Tom', operator_id: entered.event.operator_id }, event_key: 'avatar_list', timestamp: Date.now() },
    };
    await h.send(menu, { encryptKey: SAMPLE_KEY });
    await h.idle();
    const created = fake.of('im.v1.message.create');
    expect(created).toHaveLength(1);
    expect(created[0].query.receive_id_type).toBe('chat_id');
    expect(created[0].body.receive_id).toBe(entered.event.chat_id);
    expect(JSON.stringify(created[0].content)).toMatch(/lao-zhang-avatar[\s\S]*lin-xiaoyu-avatar/);
  });

  it('reads thread history in the documented list response shape', async () => {
    const api = new LarkApi({ name: 'hub', appId: SAMPLE_APP, appSecret: HUB_SECRET }, fake.url, silentLogger);
    fake.history.set('omt_sample', read('api_responses/GetImV1MessagesResponseDto.json'));
    const runtime = { kvSet: () => undefined } as unknown as import('../../../src/store/types').StateStore;
    const t = new LarkTransport(api, runtime, silentLogger);
    t.rememberThread('om_root', 'omt_sample');
    const turns = await t.fetchThread({ channelId: 'oc_x', threadId: 'om_root' });
    expect(turns).toEqual([{ role: 'avatar', text: 'test content' }]);
  });
});
