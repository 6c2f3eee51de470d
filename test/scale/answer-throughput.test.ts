import { FakeSlack } from '../helpers/fake-slack';
import { runCli } from '../helpers/cli';
import { describeServices, freshSchema } from '../helpers/services';
import { slackWorkspace, LZ_SECRET } from '../helpers/slack-harness';
import { deliver, dmEvent, freePort, repliesByChannel, startReplica, stopReplica, type Replica } from './cluster';
import { until } from '../helpers/wait';
import { spawn } from 'node:child_process';
import { tmpDir } from '../helpers/fixtures';

/**
 * Figures, not assertions (machines are noisy): answers per second with 1, 2 and 4 worker
 * processes behind one web replica, beside one embedded process (SQLite, in-process answers),
 * and the web replica's ack p50/p99, for a burst of UNDERSTUDY_SCALE_EVENTS (500) events.
 * Runs only with UNDERSTUDY_SCALE_MEASURE=1; prints one line per setup.
 */
const EVENTS = Number(process.env.UNDERSTUDY_SCALE_EVENTS ?? 500);
const run = process.env.UNDERSTUDY_SCALE_MEASURE === '1' ? describeServices : describe.skip;

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

run('answer throughput across worker processes', () => {
  jest.setTimeout(600_000);

  it('prints answers per second for embedded, 1, 2 and 4 workers', async () => {
    const lines: string[] = [];
    for (const workers of [0, 1, 2, 4]) {
      const db = await freshSchema();
      const redisPort = await freePort();
      const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', tmpDir('redis-'), '--save', '', '--appendonly', 'yes'], { stdio: 'ignore' });
      const fake = new FakeSlack();
      await fake.start();
      fake.tokens.set('xoxb-hub', { user_id: 'U_HUBBOT', team_id: 'T111', bot_id: 'B_HUB' });
      fake.tokens.set('xoxb-lz', { user_id: 'U_LZBOT', team_id: 'T111', bot_id: 'B_LZ' });
      const root = slackWorkspace();
      const slack = {
        SLACK_SIGNING_SECRET: 'hub-signing-secret', SLACK_BOT_TOKEN: 'xoxb-hub', SLACK_API_URL: fake.url, LZ_SLACK_BOT_TOKEN: 'xoxb-lz', LZ_SLACK_SIGNING_SECRET: LZ_SECRET,
        UNDERSTUDY_RATE_USER_PER_MIN: '100000', UNDERSTUDY_RATE_WORKSPACE_PER_MIN: '1000000',
      };
      // workers = 0: the embedded default (SQLite, no Redis, answers in the process that acks).
      const env: Record<string, string> = workers === 0 ? slack : { ...slack, DATABASE_URL: db.url, REDIS_URL: `redis://127.0.0.1:${redisPort}/0` };
      const replicas: Replica[] = [];
      try {
        await until(async () => (await runCli(['ingest', 'lao-zhang'], { cwd: root, env })).code === 0, 'the index');
        if (workers === 0) replicas.push(await startReplica('all', root, env));
        else {
          replicas.push(await startReplica('web', root, env));
          for (let i = 0; i < workers; i++) replicas.push(await startReplica('worker', root, env));
        }
        const web = replicas[0];
        const events = Array.from({ length: EVENTS }, (_, i) => dmEvent(i));
        const acks: number[] = [];
        const started = Date.now();
        let next = 0;
        await Promise.all(
          Array.from({ length: 16 }, async () => {
            while (next < events.length) {
              const e = events[next++];
              const t0 = performance.now();
              await deliver(web.port, e.raw);
              acks.push(performance.now() - t0);
            }
          }),
        );
        await until(() => [...repliesByChannel(fake).values()].filter((r) => r.answers > 0).length >= EVENTS, 'every answer', 300_000);
        const seconds = (Date.now() - started) / 1000;
        lines.push(`${workers === 0 ? 'embedded (1 process)' : `1 web + ${workers} worker(s)`}: ${EVENTS} answers in ${seconds.toFixed(1)} s = ${(EVENTS / seconds).toFixed(1)}/s; ack p50 ${pct(acks, 50).toFixed(1)} ms, p99 ${pct(acks, 99).toFixed(1)} ms`);
      } finally {
        await Promise.all(replicas.map((r) => stopReplica(r, 'SIGKILL')));
        redis.kill('SIGKILL');
        await fake.stop();
        await db.drop();
      }
    }
    process.stdout.write(`\nanswer throughput (offline path):\n${lines.join('\n')}\n`);
  });
});
