import fs from 'node:fs';
import path from 'node:path';
import { signSlackRequest } from '../../src/adapters/slack/verify';
import { BullMqJobQueue } from '../../src/jobs/bullmq-queue';
import { describeServices, REDIS_DB, redisUrl, schemaPerTest } from '../helpers/services';
import { HUB_SECRET } from '../helpers/slack-harness';
import { until } from '../helpers/wait';
import { scaleCluster, stopReplica } from './cluster';

/**
 * Summaries started from chat run as queue jobs in production mode (serve --role web enqueues,
 * --role worker runs), with the queue's retries and dead letters: a worker killed in the middle
 * of reading the channel, and a channel that cannot be read at all. Built CLI processes,
 * PostgreSQL, and a Redis database of this file's own.
 */

const CHANNEL = 'C0GEN';
const now = Math.floor(Date.now() / 1000);

/** A slash command as Slack posts it to the hub app, signed: by default `user` in #general. */
async function slashCommand(port: number, command: string, text: string, from: { user?: string; channel?: string; channelName?: string; responseUrl?: string } = {}): Promise<number> {
  const user = from.user ?? 'U1';
  const raw = new URLSearchParams({
    token: 'verification_token', team_id: 'T111', api_app_id: 'A_HUB', channel_id: from.channel ?? CHANNEL, channel_name: from.channelName ?? 'general', user_id: user, user_name: user.toLowerCase(),
    command, text, response_url: from.responseUrl ?? 'https://hooks.slack.com/commands/T111/1/x', trigger_id: `${Date.now()}.222.abc`,
  }).toString();
  const res = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...signSlackRequest(HUB_SECRET, raw) }, body: raw });
  await res.text();
  return res.status;
}

const summarizeCommand = (port: number, text: string, user = 'U1'): Promise<number> => slashCommand(port, '/summarize', text, { user });
/** `/distill me` from U_SUBJ in their DM. */
const distillMe = (port: number): Promise<number> => slashCommand(port, '/distill', 'me', { user: 'U_SUBJ', channel: 'D_SUBJ', channelName: 'directmessage', responseUrl: 'http://127.0.0.1:1/x' });

describeServices('summaries as queue jobs (serve --role web|worker)', () => {
  jest.setTimeout(180_000);
  const url = redisUrl(REDIS_DB.backgroundJobs);
  const cluster = scaleCluster({ db: schemaPerTest(), redis: url, queue: 'background', logs: 'background-', proxy: true, env: { UNDERSTUDY_JOB_LOCK_MS: '5000' } });
  const { start } = cluster;

  beforeEach(() => {
    const { fake } = cluster;
    const msgs = [
      { type: 'message', user: 'U2', text: 'We decided to ship billing-gateway v2.15 on Thursday with the 5% canary.', ts: `${now - 3000}.000100` },
      { type: 'message', user: 'U3', text: "I'll update the rollback runbook by Wednesday.", ts: `${now - 2000}.000100` },
      { type: 'message', user: 'U1', text: 'Who owns the partner API on-call rota after the reorg?', ts: `${now - 1000}.000100` },
    ];
    fake.history[CHANNEL] = [{ messages: [...msgs].reverse() }];
    const info = { is_private: false, name: 'general' };
    fake.channels.set(CHANNEL, info);
    fake.channelList = [{ id: CHANNEL, name: 'general', is_member: true }];
    fake.members.set(CHANNEL, ['U1', 'U2', 'U3']);
  });

  const ephemerals = (user = 'U1'): string[] => cluster.fake.of('chat.postEphemeral').filter((c) => !c.args.failed && c.args.user === user).map((c) => String(c.args.text));
  const summaries = (): string[] => ephemerals().filter((t) => /\*\*Summary #general\*\*/.test(t));
  const withQueue = async <T>(fn: (q: BullMqJobQueue) => Promise<T>): Promise<T> => {
    const q = new BullMqJobQueue({ url, name: 'background' });
    try {
      return await fn(q);
    } finally {
      await q.close();
    }
  };

  it('the web replica enqueues /summarize; a worker killed while reading the channel is replaced and the summary is posted once', async () => {
    const web = await start('web');
    const doomed = await start('worker');
    // The worker's read of the channel reaches Slack, and the worker is killed before the answer.
    cluster.proxy.holdNext = (method) => method === 'conversations.history';
    expect(await summarizeCommand(web.port, '24h')).toBe(200);
    await cluster.proxy.heldOne;
    // The progress notice went out from the worker before it read.
    expect(ephemerals()).toEqual([expect.stringMatching(/^Reading #general \(24h\)…/)]);
    expect(web.log()).not.toMatch(/Reading #general/);
    const rescuer = await start('worker');
    await stopReplica(doomed, 'SIGKILL');

    await until(() => summaries().length > 0, 'the summary', 60_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(summaries()).toHaveLength(1);
    expect(summaries()[0]).toMatch(/We decided to ship billing-gateway v2.15 on Thursday/);
    // The rescuer said nothing it had said already: one "Reading…" (recorded under the job's id by the first run).
    expect(ephemerals().filter((t) => /^Reading #general/.test(t))).toHaveLength(1);
    expect(rescuer.log()).toMatch(/stalled/);
    // In the queue: completed, none dead, with the replies it sent as its progress.
    await withQueue(async (q) => {
      expect((await q.counts()).dead).toBe(0);
      expect((await q.deadLetters()).filter((j) => j.kind === 'summarize')).toEqual([]);
    });
  });

  it('/distill me is collected and built by a worker; killed mid-collection, another worker resumes it and the avatar is ready once', async () => {
    const day = now - 86_400;
    cluster.fake.users.set('U_SUBJ', { name: 'wang.fang', real_name: 'Wang Fang' });
    cluster.fake.channelList = [{ id: 'C_PAY', name: 'payments', is_member: true }];
    cluster.fake.history.C_PAY = [
      { messages: [{ type: 'message', user: 'U_SUBJ', text: 'To rotate the ledger-db password, run `vault write -f database/rotate-role/ledger_app`, then reload pgbouncer-ledger.', ts: `${day + 1}.000101` }] },
      { messages: [{ type: 'message', user: 'U_SUBJ', text: 'We freeze ledger deploys on Fridays after 16:00. Always roll back first if money is involved.', ts: `${day + 2}.000102` }] },
    ];
    const web = await start('web');
    const doomed = await start('worker');
    cluster.proxy.holdNext = (method) => method === 'conversations.history';
    expect(await distillMe(web.port)).toBe(200);
    await cluster.proxy.heldOne;
    const rescuer = await start('worker');
    await stopReplica(doomed, 'SIGKILL');

    const ready = (): string[] => cluster.fake.calls.filter((c) => !c.args.failed && /The avatar @[\w-]+ is ready/.test(String(c.args.text ?? ''))).map((c) => String(c.args.text));
    await until(() => ready().length > 0, 'the avatar to be ready', 120_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(ready()).toHaveLength(1);
    expect(ready()[0]).toMatch(/from 2 messages/);
    expect(rescuer.log()).toMatch(/stalled/);
    // Built by the workers into the shared avatars directory; the web replica collected nothing.
    expect(fs.existsSync(path.join(cluster.root, 'avatars', 'wang-fang', 'avatar.yaml'))).toBe(true);
    expect(web.log()).not.toMatch(/Collecting|ingest finished/);
    await withQueue(async (q) => expect((await q.deadLetters()).filter((j) => j.kind === 'distill')).toEqual([]));
  });

  it('a distillation that fails on every try becomes a dead letter; the requester has one progress message and one final word', async () => {
    cluster.fake.users.set('U_SUBJ', { name: 'wang.fang', real_name: 'Wang Fang' });
    cluster.fake.channelList = [{ id: 'C_PAY', name: 'payments', is_member: true }];
    cluster.fake.fail('conversations.history', { error: 'internal_error', times: Infinity });
    const web = await start('web');
    await start('worker');
    expect(await distillMe(web.port)).toBe(200);

    await until(async () => (await withQueue((q) => q.deadLetters())).some((j) => j.kind === 'distill'), 'the distill job to be a dead letter', 90_000);
    const [job] = (await withQueue((q) => q.deadLetters())).filter((j) => j.kind === 'distill');
    expect(job).toMatchObject({ state: 'dead', attemptsMade: 3 });
    await new Promise((r) => setTimeout(r, 2_000));
    const said = (method: string): string[] => cluster.fake.of(method).filter((c) => !c.args.failed).map((c) => String(c.args.text ?? ''));
    expect(said('chat.postMessage').filter((t) => /Collecting Wang Fang's messages/.test(t))).toHaveLength(1);
    const finals = [...said('chat.postMessage'), ...said('chat.update')].filter((t) => /distillation (stopped|of Wang Fang)/.test(t));
    expect(finals).toEqual([expect.stringMatching(/^The distillation stopped \(PLATFORM_TRANSIENT\)\. It can resume from where it stopped: run `\/distill` again/)]);
  });

  it('a summary that fails on every try becomes a dead letter, and the asker is told once, naming the error', async () => {
    cluster.fake.fail('conversations.history', { error: 'internal_error', times: Infinity });
    const web = await start('web');
    await start('worker');
    expect(await summarizeCommand(web.port, '24h')).toBe(200);

    const dead = await until(async () => {
      const letters = await withQueue((q) => q.deadLetters());
      return letters.some((j) => j.kind === 'summarize');
    }, 'the summary job to be a dead letter', 90_000).then(() => withQueue((q) => q.deadLetters()));
    const job = dead.find((j) => j.kind === 'summarize');
    expect(job).toMatchObject({ state: 'dead', attemptsMade: 3 });
    expect(job?.error).toMatch(/internal_error|PLATFORM/);
    expect((job?.progress as { replies?: number }).replies).toBeGreaterThan(0);
    await until(() => ephemerals().some((t) => /Sorry, I could not make that summary/.test(t)), 'the notice', 10_000);
    const notices = ephemerals().filter((t) => /Sorry, I could not make that summary/.test(t));
    expect(notices).toEqual([expect.stringMatching(/Sorry, I could not make that summary after 3 tries \(PLATFORM_TRANSIENT\)\. I have set it aside for the team/)]);
    expect(summaries()).toEqual([]);
  });
});
