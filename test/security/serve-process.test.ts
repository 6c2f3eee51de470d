import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { signSlackRequest } from '../../src/adapters/slack/verify';
import { FakeSlack } from '../helpers/fake-slack';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

const REPO = path.join(__dirname, '..', '..');
const BIN = path.join(REPO, 'bin', 'understudy.js');
const SECRET = 'process-signing-secret';

/** The real launcher runs dist/: these tests need `npm install` (or `npm run build`) to have compiled it. */
const built = fs.existsSync(path.join(REPO, 'dist', 'src', 'cli.js'));
const describeBuilt = built ? describe : describe.skip;

async function waitForPort(child: ChildProcess, stderr: () => string): Promise<number> {
  const deadline = Date.now() + 25_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${stderr()}`);
    const m = /"port":(\d+)[^\n]*"msg":"listening"/.exec(stderr());
    if (m) {
      const port = Number(m[1]);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      if (health?.status === 200) return port;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not become ready: ${stderr()}`);
}

describeBuilt('security: the real server process', () => {
  it('survives a validly signed Slack request whose body is JSON null (and payload=null), answering 400', async () => {
    const fake = new FakeSlack();
    await fake.start();
    fake.tokens.set('xoxb-proc', { user_id: 'U_BOT', team_id: 'T111', bot_id: 'B1' });
    const root = tmpDir('proc-');
    makeAvatar(root, 'lao-zhang', { 'a.md': '# A\n\nroll back first.\n' });
    let err = '';
    const child = spawn(process.execPath, [BIN, 'serve', '--avatars-dir', path.join(root, 'avatars'), '--data-dir', path.join(root, 'data')], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: root, PORT: '0', HOST: '127.0.0.1', SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: 'xoxb-proc', SLACK_API_URL: fake.url, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (d) => (err += d));
    try {
      const port = await waitForPort(child, () => err);
      const url = `http://127.0.0.1:${port}/slack/events`;
      const post = (raw: string, type: string): Promise<Response> => fetch(url, { method: 'POST', headers: { 'content-type': type, ...signSlackRequest(SECRET, raw) }, body: raw });
      expect((await post('null', 'application/json')).status).toBe(400);
      expect((await post('payload=null', 'application/x-www-form-urlencoded')).status).toBe(400);
      // Give a crash the time to happen, then check the process still serves.
      await new Promise((r) => setTimeout(r, 300));
      expect(child.exitCode).toBeNull();
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
      await fake.stop();
    }
  }, 40_000);

  it('logs an unhandled rejection as an error and keeps running (the last line of defence)', () => {
    const script = `require(${JSON.stringify(path.join(REPO, 'dist', 'src', 'cli.js'))}).installLastResortHandlers();
Promise.reject(new Error('boom from nowhere'));
setTimeout(() => process.stdout.write('still alive'), 200);`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('still alive');
    const line = JSON.parse(r.stderr.trim().split('\n')[0]) as { level: number; msg: string; err: { message: string } };
    expect(line.level).toBe(50);
    expect(line.msg).toMatch(/unhandled promise rejection/);
    expect(line.err.message).toBe('boom from nowhere');
  });
});
