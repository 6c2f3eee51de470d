import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { App, HTTPReceiver } from '@slack/bolt';
import { Queue } from 'bullmq';
import { signSlackRequest } from '../../../src/adapters/slack/verify';
import { createRuntime } from '../../../src/app/runtime';
import { silentLogger } from '../../../src/log';
import { serve } from '../../../src/serve';
import { describeServices, redisUrl, schemaPerTest } from '../../helpers/services';
import { until } from '../../helpers/wait';
import { eventBody, HUB_SECRET, LZ_SECRET, slackWorkspace, slashCommand, startFakeSlack, startSlack, type SlackHarness } from '../../helpers/slack-harness';

/*
 * Events API deliveries are acked by the adapter itself, after its own signature and shape
 * checks, and handed to the real Bolt App (processEvent); everything else still goes through
 * Bolt's HTTPReceiver. The spies call through: they only count what Bolt was asked to do.
 */

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** POST a signed body and keep the response exactly as sent (the Date value aside). */
function post(url: string, raw: string, secret: string, extra: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...signSlackRequest(secret, raw), ...extra } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (let i = 0; i < res.rawHeaders.length; i += 2) headers[res.rawHeaders[i].toLowerCase()] = res.rawHeaders[i].toLowerCase() === 'date' ? '(date)' : res.rawHeaders[i + 1];
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString() });
      });
    });
    req.on('error', reject);
    req.end(raw);
  });
}

/** A plain Bolt App on its own HTTPReceiver, as Bolt's docs set one up: the reference response. */
async function boltAlone(): Promise<{ url: string; close: () => Promise<void> }> {
  const receiver = new HTTPReceiver({ signingSecret: HUB_SECRET });
  const app = new App({ receiver, authorize: async () => ({ botToken: 'xoxb-hub', botUserId: 'U_HUBBOT' }) });
  app.event('message', async () => undefined);
  const server = http.createServer((req, res) => receiver.requestListener(req, res));
  // Our HttpServer's keep-alive (a server setting, not Bolt's response).
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`, close: () => new Promise((r) => server.close(() => r())) };
}

const answers = (h: SlackHarness) => h.fake.calls.filter((c) => !c.args.failed && (c.method === 'chat.update' || c.method === 'chat.postMessage') && JSON.stringify(c.args.blocks ?? '').includes('understudy_feedback'));
const dm = (text: string) => eventBody({ type: 'message', channel_type: 'im', channel: 'D_ACK1', user: 'U_ACK1', text }, { app: 'A_LZ' });

describe('Slack: Events API deliveries acked by the adapter', () => {
  let h: SlackHarness | undefined;
  let listener: jest.SpiedFunction<(req: http.IncomingMessage, res: http.ServerResponse) => void>;
  let processEvent: jest.SpiedFunction<App['processEvent']>;
  beforeEach(() => {
    // requestListener is bound from this prototype method in HTTPReceiver's constructor.
    listener = jest.spyOn(HTTPReceiver.prototype as unknown as { unboundRequestListener: (req: http.IncomingMessage, res: http.ServerResponse) => void }, 'unboundRequestListener');
    processEvent = jest.spyOn(App.prototype, 'processEvent');
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
    jest.restoreAllMocks();
  });

  it("acks an event_callback with Bolt's own response, without Bolt's receiver, and answers it once", async () => {
    const bolt = await boltAlone();
    try {
      const raw = JSON.stringify(eventBody({ type: 'message', channel_type: 'im', channel: 'D_REF', user: 'U_REF', text: 'hi' }));
      const reference = await post(bolt.url, raw, HUB_SECRET);
      expect(reference.status).toBe(200);
      listener.mockClear();
      processEvent.mockClear();

      h = await startSlack();
      const ours = await post(h.url, JSON.stringify(dm('How do I roll back billing-gateway?')), LZ_SECRET);
      expect(ours).toEqual(reference);
      expect(listener).not.toHaveBeenCalled();
      await h.idle();
      expect(processEvent).toHaveBeenCalledTimes(1);
      expect(answers(h)).toHaveLength(1);
    } finally {
      await bolt.close();
    }
  });

  it('hands a retried delivery its retry headers and still answers it once', async () => {
    h = await startSlack();
    const raw = JSON.stringify(dm('How do I roll back?'));
    expect((await post(h.url, raw, LZ_SECRET)).status).toBe(200);
    const retry = await post(h.url, raw, LZ_SECRET, { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
    expect(retry).toMatchObject({ status: 200, body: '' });
    await h.idle();
    expect(processEvent.mock.calls.map(([e]) => [e.retryNum, e.retryReason])).toEqual([
      [undefined, undefined],
      [1, 'http_timeout'],
    ]);
    expect(answers(h)).toHaveLength(1);
  });

  it('still rejects a bad signature with 401 before Bolt sees anything', async () => {
    h = await startSlack();
    expect((await post(h.url, JSON.stringify(dm('How do I roll back?')), 'not-the-secret')).status).toBe(401);
    await h.idle();
    expect(processEvent).not.toHaveBeenCalled();
    expect(answers(h)).toHaveLength(0);
  });

  it('leaves URL verification and slash commands to the receiver', async () => {
    h = await startSlack();
    const challenge = await post(h.url, JSON.stringify({ token: 't', challenge: 'abc123', type: 'url_verification' }), HUB_SECRET);
    expect(challenge.status).toBe(200);
    expect(challenge.body).toMatch(/abc123/);
    expect(listener).toHaveBeenCalledTimes(1);
    expect((await h.send(slashCommand('avatar', 'list', { user: 'U_ACK2' }), { form: true })).status).toBe(200);
    expect(listener).toHaveBeenCalledTimes(2);
    await h.idle();
  });
});

describeServices('Slack: a web replica stopping right after a burst', () => {
  const db = schemaPerTest();

  it('hands off, each once, the events it acked before a graceful stop began and gave to Bolt after', async () => {
    const fake = await startFakeSlack();
    const root = slackWorkspace();
    // A queue of its own in Redis db 0 (fresh names there), obliterated after.
    const queueName = `events-ack-${randomBytes(4).toString('hex')}`;
    const env = {
      PORT: '0', SLACK_SIGNING_SECRET: HUB_SECRET, SLACK_BOT_TOKEN: 'xoxb-hub', SLACK_API_URL: fake.url, LZ_SLACK_BOT_TOKEN: 'xoxb-lz', LZ_SLACK_SIGNING_SECRET: LZ_SECRET,
      DATABASE_URL: db().url, REDIS_URL: redisUrl(0), UNDERSTUDY_QUEUE: queueName, UNDERSTUDY_RATE_USER_PER_MIN: '1000', UNDERSTUDY_RATE_WORKSPACE_PER_MIN: '10000',
    };
    const runtime = createRuntime(env, { avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data') }, { logger: silentLogger });
    const out = new PassThrough();
    out.resume();
    const queue = new Queue(queueName, { connection: { url: redisUrl(0) } });
    try {
      const handle = await serve(runtime, { stdout: out, stderr: out, stdin: new PassThrough(), env, cwd: root, isTTY: false }, { interactive: false, role: 'web' });
      const url = `http://127.0.0.1:${handle.port}/slack/events`;
      // Bolt's App gets the events only once the graceful stop has begun; they were acked before.
      const processEvent = App.prototype.processEvent;
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      jest.spyOn(App.prototype, 'processEvent').mockImplementation(async function (this: App, event) {
        await held;
        return processEvent.call(this, event);
      });
      const channels = Array.from({ length: 20 }, (_, i) => `D_STOP${i}`);
      const acks = await Promise.all(channels.map((channel, i) => post(url, JSON.stringify(eventBody({ type: 'message', channel_type: 'im', channel, user: `U_STOP${i}`, text: 'How do I roll back billing-gateway?' }, { app: 'A_LZ' })), LZ_SECRET)));
      expect(acks.map((a) => a.status)).toEqual(channels.map(() => 200));
      const stopped = handle.close();
      await until(async () => handle.router.shuttingDown, 'the graceful stop to begin', 5_000);
      release();
      await stopped;
      const handedOff = (await queue.getJobs()).filter((j) => j.name === 'answer').map((j) => JSON.stringify(j.data).match(/D_STOP\d+/)?.[0]);
      expect(handedOff.sort()).toEqual([...channels].sort());
    } finally {
      jest.restoreAllMocks();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      runtime.close();
      await fake.stop();
    }
  }, 60_000);
});
