import fs from 'node:fs';
import path from 'node:path';
import { corpus, describeCorpora, HAVE_CORPORA } from '../../helpers/corpora';
import { FakeSlack, type SlackCall } from '../../helpers/fake-slack';
import { startSlack, type SlackHarness } from '../../helpers/slack-harness';

const DIR = corpus('slack_official_payloads');

/** Every request body Slack's own SDK tests use, as the files hold them. */
function payloadFiles(): string[] {
  if (!HAVE_CORPORA) return []; // the suite is skipped; the global setup said why
  const files = ['events', 'slash_commands', 'interactivity', 'java_sdk_shape_samples'].flatMap((sub) => {
    const dir = path.join(DIR, sub);
    if (!fs.existsSync(dir)) throw new Error(`${dir} is missing from the shared corpora`);
    return fs.readdirSync(dir).map((f) => `${sub}/${f}`);
  });
  for (const need of ['events/app_mention.json', 'events/message.im.json', 'slash_commands/slash_command_bolt_python.form-urlencoded.txt', 'interactivity/block_actions.form-urlencoded.txt']) {
    if (!files.includes(need)) throw new Error(`${need} is missing from ${DIR}`);
  }
  return files.sort();
}

/**
 * Slack's fixtures are from 2020-2024 and reuse event ids (Ev111). Moving the clock fields to now
 * and giving each file its own event id lets them through the staleness and dedupe gates, so
 * the handling behind those gates is exercised too. Every other field stays as recorded.
 */
function refresh(body: Record<string, unknown>, name: string): Record<string, unknown> {
  const now = Date.now() / 1000;
  const event = body.event as Record<string, unknown> | undefined;
  if (!event) return body;
  const ts = `${Math.floor(now)}.${String(Math.abs(hash(name)) % 1_000_000).padStart(6, '0')}`;
  return { ...body, event_id: `Ev_${name.replace(/\W+/g, '_')}`, event_time: Math.floor(now), event: { ...event, ...(event.ts ? { ts } : {}), event_ts: ts } };
}

function hash(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) | 0;
  return h;
}

describeCorpora('official Slack payloads through the real Bolt receiver', () => {
  let h: SlackHarness;
  let fake: FakeSlack;

  beforeAll(async () => {
    fake = new FakeSlack();
    await fake.start();
    // bolt-python's fixtures address the bot as W111.
    fake.tokens.set('xoxb-hub', { user_id: 'W111', team_id: 'T111', bot_id: 'B_HUB' });
    fake.tokens.set('xoxb-lz', { user_id: 'U_LZBOT', team_id: 'T111', bot_id: 'B_LZ' });
    h = await startSlack({ fake });
  });

  afterAll(async () => {
    await h.close();
    await fake.stop();
  });

  async function deliver(
    name: string,
    transform: (b: Record<string, unknown>) => Record<string, unknown> = (b) => b,
    transformForm: (raw: string) => string = (raw) => raw,
  ): Promise<{ status: number; ms: number; calls: SlackCall[] }> {
    const raw = fs.readFileSync(path.join(DIR, name), 'utf8').trim();
    const before = fake.calls.length;
    const t = Date.now();
    let res: Response;
    if (name.endsWith('.txt')) {
      res = await h.send(transformForm(raw), { form: true });
    } else {
      res = await h.send(transform(JSON.parse(raw) as Record<string, unknown>));
    }
    const ms = Date.now() - t;
    await res.text();
    await h.idle();
    return { status: res.status, ms, calls: fake.calls.slice(before).filter((c) => c.method !== 'auth.test') };
  }

  it.each(payloadFiles())('acks %s within 3 seconds, exactly as recorded', async (name) => {
    const r = await deliver(name);
    expect(r.status).toBe(200);
    expect(r.ms).toBeLessThan(3000);
    // Recorded events are years old: they are acked and dropped, never answered late.
    if (name.startsWith('events/')) expect(r.calls.filter((c) => c.method.startsWith('chat.'))).toEqual([]);
  });

  it('asks which avatar should answer a hub mention, in the thread of the mention', async () => {
    const r = await deliver('events/app_mention.json', (b) => refresh(b, 'app_mention'));
    const post = r.calls.find((c) => c.method === 'chat.postMessage');
    expect(post?.args).toMatchObject({ channel: 'C111', text: expect.stringMatching(/Which avatar should answer/) });
    expect(post?.args.thread_ts).toBeDefined();
  });

  it('answers the assistant-thread DM in its thread', async () => {
    const r = await deliver('events/message.im.json', (b) => refresh(b, 'message.im'));
    const post = r.calls.find((c) => c.method === 'chat.postMessage');
    expect(post?.args).toMatchObject({ channel: 'D111', thread_ts: '1726133698.626339', text: expect.stringMatching(/Which avatar should answer/) });
  });

  it.each(['events/message.channels.json', 'events/message.file_share.json', 'events/message.thread_broadcast.json', 'events/reaction_added.json'])(
    'stays quiet for %s: our own message, or a channel message that neither mentions us nor follows up our thread',
    async (name) => {
      const r = await deliver(name, (b) => refresh(b, name));
      expect(r.status).toBe(200);
      expect(r.calls.filter((c) => c.method.startsWith('chat.'))).toEqual([]);
    },
  );

  it('answers unknown slash commands privately with the command list', async () => {
    // A new invocation has a new trigger_id; the same one again is a retry and stays unanswered.
    const again = (raw: string): string => raw.replace(/trigger_id=[^&]+/, `trigger_id=${Date.now()}.again`);
    const r = await deliver('slash_commands/slash_command_bolt_python.form-urlencoded.txt', undefined, again);
    const eph = r.calls.find((c) => c.method === 'chat.postEphemeral');
    expect(eph?.args).toMatchObject({ channel: 'C111', user: 'W111', text: expect.stringMatching(/Unknown command \/hello-world/) });
    expect(String(eph?.args.text)).toMatch(/\/avatar list/);
    const docs = await deliver('slash_commands/slash_command_slack_docs_weather.form-urlencoded.txt', undefined, again);
    expect(docs.calls.find((c) => c.method === 'chat.postEphemeral')?.args).toMatchObject({ channel: 'C2147483705', user: 'U2147483697' });
  });

  it('rejects each official payload when the signature is wrong', async () => {
    for (const name of payloadFiles()) {
      const raw = fs.readFileSync(path.join(DIR, name), 'utf8').trim();
      const res = await h.send(name.endsWith('.txt') ? raw : JSON.parse(raw), { form: name.endsWith('.txt'), secret: 'forged' });
      expect([name, res.status]).toEqual([name, 401]);
    }
  });
});
