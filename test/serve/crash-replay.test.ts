import fs from 'node:fs';
import path from 'node:path';
import { startReplica, stopReplica, type Replica } from '../../bench/cluster';
import { deliver, dmEvent, repliesByChannel } from '../scale/cluster';
import { runCli } from '../helpers/cli';
import type { FakeLark } from '../helpers/fake-lark';
import { FakeLarkSocket } from '../helpers/fake-lark-ws';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai';
import type { FakeSlack } from '../helpers/fake-slack';
import { FakeSlackSocket } from '../helpers/fake-slack-socket';
import { HUB_APP, HUB_KEY, HUB_SECRET as HUB_LARK_SECRET, HUB_TOKEN, LZ_APP, LZ_KEY as LZ_LARK_KEY, LZ_SECRET as LZ_LARK_SECRET, LZ_TOKEN as LZ_LARK_TOKEN, larkWorkspace, messageEvent, newFakeLark, wireBody } from '../helpers/lark-harness';
import { HUB_SECRET, LZ_SECRET, slackWorkspace, startFakeSlack } from '../helpers/slack-harness';
import { until } from '../helpers/wait';

/*
 * Embedded mode (`serve`, role all, no DATABASE_URL/REDIS_URL): an event acked and still being
 * answered (the model holding its answer) when the process is killed (kill -9) is answered once by
 * the next run on the same data dir, from its handoff journal: an Events API request, a Socket Mode
 * envelope, a Feishu webhook or long-connection event. Built CLI; no services needed.
 */

const ANSWER = 'MODEL ANSWER: roll back first with `deployctl rollback billing-gateway --to v2.14.2` [1].';

describe('embedded mode: an acked event whose answer a kill -9 cut short', () => {
  jest.setTimeout(120_000);
  let model: FakeOpenAi;
  let root: string;
  let replica: Replica | undefined;
  const logs: string[] = [];

  afterEach(async () => {
    const keep = process.env.UNDERSTUDY_SCALE_LOGS;
    if (keep) logs.forEach((l, i) => fs.writeFileSync(path.join(keep, `crash-replay-${i}.log`), l));
    logs.length = 0;
    if (replica) await stopReplica(replica, 'SIGKILL');
    replica = undefined;
    await model.close();
  });

  const run = async (env: Record<string, string>): Promise<Replica> => {
    replica = await startReplica('all', root, env);
    const r = replica;
    logs.push('');
    const i = logs.length - 1;
    r.child.on('exit', () => (logs[i] = r.log()));
    return r;
  };
  const kill = async (r: Replica): Promise<void> => {
    logs[logs.length - 1] = r.log();
    await stopReplica(r, 'SIGKILL');
    replica = undefined;
  };

  describe('Slack Events API', () => {
    let fake: FakeSlack;
    let env: Record<string, string>;
    beforeEach(async () => {
      fake = await startFakeSlack();
      model = await startFakeOpenAi(() => ANSWER);
      root = slackWorkspace();
      env = {
        SLACK_SIGNING_SECRET: HUB_SECRET, SLACK_BOT_TOKEN: 'xoxb-hub', SLACK_API_URL: fake.url,
        LZ_SLACK_BOT_TOKEN: 'xoxb-lz', LZ_SLACK_SIGNING_SECRET: LZ_SECRET,
        OPENAI_BASE_URL: model.baseURL, OPENAI_API_KEY: 'sk-test', OPENAI_MAX_RETRIES: '0',
      };
      expect((await runCli(['ingest', 'lao-zhang'], { cwd: root, env })).code).toBe(0);
    });
    afterEach(async () => {
      await fake.stop();
    });

    it('the next start answers it once, in place of the placeholder the killed run posted; a Slack retry of it after the restart answers nothing more', async () => {
      const first = await run(env);
      model.mode = 'hang';
      const e = dmEvent(1);
      expect(await deliver(first.port, e.raw)).toBe(200);
      // The placeholder is out and the model holds the answer.
      await until(() => model.requests.length >= 1 && repliesByChannel(fake).get(e.channel)?.posts === 1, 'the placeholder and the model call', 30_000);
      await kill(first);
      expect(repliesByChannel(fake).get(e.channel)).toEqual({ answers: 0, posts: 1 });

      model.mode = 'ok';
      const second = await run(env);
      // Slack retries the event after the restart (a new delivery, same event id).
      expect(await deliver(second.port, e.raw, 1)).toBe(200);
      await until(() => (repliesByChannel(fake).get(e.channel)?.answers ?? 0) >= 1, 'the answer after the restart', 60_000);
      // Room for a second answer, if there were one.
      await new Promise((r) => setTimeout(r, 2_000));
      // One answer, replacing the killed run's placeholder (no second post).
      expect(repliesByChannel(fake).get(e.channel)).toEqual({ answers: 1, posts: 1 });
      expect(second.log()).toMatch(/replaying the events a stopped replica acked and did not hand off/);
      // The journal's entries are all done: nothing is replayed at the next start either.
      await kill(second);
      const third = await run(env);
      expect(await deliver(third.port, e.raw, 2)).toBe(200);
      await new Promise((r) => setTimeout(r, 2_000));
      expect(repliesByChannel(fake).get(e.channel)).toEqual({ answers: 1, posts: 1 });
      expect(third.log()).not.toMatch(/replaying the events/);
      // One journal, under the id every run of this data dir takes.
      expect(fs.readdirSync(path.join(root, 'data', 'handoff')).filter((f) => f.endsWith('.jsonl'))).toEqual(['local.jsonl']);
    });

    it('answers once an event acked right before the kill, whose answer had not begun', async () => {
      const first = await run(env);
      model.mode = 'hang';
      const [held, queued] = [dmEvent(2), dmEvent(3)];
      expect(await deliver(first.port, held.raw)).toBe(200);
      await until(() => model.requests.length >= 1, 'the model call', 30_000);
      expect(await deliver(first.port, queued.raw)).toBe(200);
      await until(() => model.requests.length >= 2, 'the second model call', 30_000);
      await kill(first);
      model.mode = 'ok';
      await run(env);
      await until(() => [held, queued].every((e) => (repliesByChannel(fake).get(e.channel)?.answers ?? 0) >= 1), 'both answers after the restart', 60_000);
      await new Promise((r) => setTimeout(r, 2_000));
      for (const e of [held, queued]) expect(repliesByChannel(fake).get(e.channel)).toEqual({ answers: 1, posts: 1 });
    });
  });

  describe('Slack Socket Mode', () => {
    let fake: FakeSlack;
    let ws: FakeSlackSocket;
    let env: Record<string, string>;
    beforeEach(async () => {
      fake = await startFakeSlack();
      ws = new FakeSlackSocket();
      await ws.start();
      fake.socketUrl = ws.url;
      model = await startFakeOpenAi(() => ANSWER);
      root = slackWorkspace();
      fs.appendFileSync(path.join(root, 'avatars', 'lao-zhang', 'avatar.yaml'), '    app_token_env: LZ_SLACK_APP_TOKEN\n');
      env = {
        SLACK_MODE: 'socket', SLACK_APP_TOKEN: 'xapp-hub', LZ_SLACK_APP_TOKEN: 'xapp-lz',
        SLACK_SIGNING_SECRET: HUB_SECRET, SLACK_BOT_TOKEN: 'xoxb-hub', SLACK_API_URL: fake.url,
        LZ_SLACK_BOT_TOKEN: 'xoxb-lz', LZ_SLACK_SIGNING_SECRET: LZ_SECRET,
        OPENAI_BASE_URL: model.baseURL, OPENAI_API_KEY: 'sk-test', OPENAI_MAX_RETRIES: '0',
      };
      expect((await runCli(['ingest', 'lao-zhang'], { cwd: root, env })).code).toBe(0);
    });
    afterEach(async () => {
      await ws.stop();
      await fake.stop();
    });

    it('an envelope acked over the connection, whose answer the kill cut short, is answered once by the next start, in place of its placeholder', async () => {
      const first = await run(env);
      await until(() => ws.connections.length >= 2, 'both apps connected', 30_000);
      // Connections open in apps.connections.open order, one per app token.
      const lz = fake.of('apps.connections.open').findIndex((c) => c.token === 'xapp-lz');
      model.mode = 'hang';
      const e = dmEvent(7);
      await ws.acked(ws.push(lz, 'events_api', JSON.parse(e.raw)));
      await until(() => model.requests.length >= 1 && repliesByChannel(fake).get(e.channel)?.posts === 1, 'the placeholder and the model call', 30_000);
      await kill(first);
      expect(repliesByChannel(fake).get(e.channel)).toEqual({ answers: 0, posts: 1 });

      // Slack does not send an acked envelope again: the journal is all there is.
      model.mode = 'ok';
      const second = await run(env);
      await until(() => (repliesByChannel(fake).get(e.channel)?.answers ?? 0) >= 1, 'the answer after the restart', 60_000);
      await new Promise((r) => setTimeout(r, 2_000));
      expect(repliesByChannel(fake).get(e.channel)).toEqual({ answers: 1, posts: 1 });
      expect(second.log()).toMatch(/replaying the events a stopped replica acked and did not hand off/);
    });
  });

  describe('Feishu webhook', () => {
    let fake: FakeLark;
    let env: Record<string, string>;
    beforeEach(async () => {
      fake = await newFakeLark();
      model = await startFakeOpenAi(() => ANSWER);
      root = larkWorkspace();
      env = {
        LARK_APP_ID: HUB_APP, LARK_APP_SECRET: HUB_LARK_SECRET, LARK_ENCRYPT_KEY: HUB_KEY, LARK_VERIFICATION_TOKEN: HUB_TOKEN, LARK_DOMAIN: fake.url,
        LZ_LARK_APP_SECRET: LZ_LARK_SECRET, LZ_LARK_ENCRYPT_KEY: LZ_LARK_KEY, LZ_LARK_VERIFICATION_TOKEN: LZ_LARK_TOKEN,
        OPENAI_BASE_URL: model.baseURL, OPENAI_API_KEY: 'sk-test', OPENAI_MAX_RETRIES: '0',
      };
      expect((await runCli(['ingest', 'lao-zhang'], { cwd: root, env })).code).toBe(0);
    });
    afterEach(async () => {
      await fake.stop();
    });

    const send = async (port: number, event: unknown): Promise<number> => {
      const { raw, headers } = wireBody(event, { app: 'lz' });
      const res = await fetch(`http://127.0.0.1:${port}/lark/events`, { method: 'POST', headers, body: raw });
      await res.text();
      return res.status;
    };
    /** Messages lao-zhang's app sent to `chat` (placeholders and answers alike), and answers (cards with the feedback buttons, sent or patched in). */
    const repliesIn = (chat: string): { answers: number; posts: number } => {
      const inChat = fake.calls.filter((c) => {
        if (c.failed || !['im.v1.message.reply', 'im.v1.message.create', 'im.v1.message.patch'].includes(c.method)) return false;
        const id = /\/messages\/([^/]+)/.exec(c.path)?.[1];
        const chatOf = c.method === 'im.v1.message.create' ? c.body.receive_id : id ? fake.messages.get(id)?.chat_id : undefined;
        return chatOf === chat;
      });
      const posts = [...fake.messages.values()].filter((m) => m.chat_id === chat && m.sender === LZ_APP).length;
      return { answers: inChat.filter((c) => JSON.stringify(c.body).includes('understudy_feedback')).length, posts };
    };

    it('the next start answers it once, in place of the placeholder the killed run posted; a re-push after the restart answers nothing more', async () => {
      const first = await run(env);
      model.mode = 'hang';
      const user = 'ou_hj1';
      const chat = `oc_p2p_${user}`;
      const event = messageEvent(fake, { app: 'lz', user, text: 'How do I roll back billing-gateway?' });
      expect(await send(first.port, event)).toBe(200);
      await until(() => model.requests.length >= 1 && repliesIn(chat).posts === 1, 'the placeholder and the model call', 30_000);
      await kill(first);
      expect(repliesIn(chat)).toEqual({ answers: 0, posts: 1 });

      model.mode = 'ok';
      const second = await run(env);
      // Feishu pushes the event again (same event id).
      expect(await send(second.port, event)).toBe(200);
      await until(() => repliesIn(chat).answers >= 1, 'the answer after the restart', 60_000);
      await new Promise((r) => setTimeout(r, 2_000));
      expect(repliesIn(chat)).toEqual({ answers: 1, posts: 1 });
    });

    it('long connection: an event acked over the connection, whose answer the kill cut short, is answered once by the next start', async () => {
      const socket = new FakeLarkSocket();
      await socket.start();
      fake.wsUrl = socket.url;
      const ws = { ...env, LARK_MODE: 'ws', LARK_ENCRYPT_KEY: '', LARK_VERIFICATION_TOKEN: '' };
      try {
        const first = await run(ws);
        await socket.waitForConnection(2, 30_000);
        model.mode = 'hang';
        const user = 'ou_hj_ws';
        const chat = `oc_p2p_${user}`;
        const event = messageEvent(fake, { app: 'lz', user, text: 'How do I roll back billing-gateway?' });
        expect((await socket.waitForAck(socket.push(event, LZ_APP))).code).toBe(200);
        await until(() => model.requests.length >= 1 && repliesIn(chat).posts === 1, 'the placeholder and the model call', 30_000);
        await kill(first);
        expect(repliesIn(chat)).toEqual({ answers: 0, posts: 1 });

        // Feishu does not push an acked event again: the journal is all there is.
        model.mode = 'ok';
        const second = await run(ws);
        await until(() => repliesIn(chat).answers >= 1, 'the answer after the restart', 60_000);
        await new Promise((r) => setTimeout(r, 2_000));
        expect(repliesIn(chat)).toEqual({ answers: 1, posts: 1 });
        expect(second.log()).toMatch(/replaying the events a stopped replica acked and did not hand off/);
      } finally {
        await socket.stop();
      }
    });
  });
});
