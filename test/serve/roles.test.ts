import { randomUUID } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { BullMqJobQueue } from '../../src/jobs/bullmq-queue';
import { silentLogger } from '../../src/log';
import { createRuntime, type Runtime } from '../../src/app/runtime';
import { serve, type ServeHandle, type ServeRole } from '../../src/serve';
import { runCli } from '../helpers/cli';
import { makeAvatar, tmpDir } from '../helpers/fixtures';
import { REDIS_URL } from '../jobs/redis';
import { schemaPerTest } from '../helpers/services';

function workspace(): string {
  const root = tmpDir('roles-');
  makeAvatar(root, 'lao-zhang', { 'rollback.md': '# Rollback\n\nIf it touches money, roll back first with deployctl rollback.\n' });
  makeAvatar(root, 'lin-xiaoyu', { 'pricing.md': '# Pricing\n\nPLUS costs 99 yuan in the first year.\n' });
  return root;
}

function quietIo(): { stdout: PassThrough; stderr: PassThrough; stdin: PassThrough; env: NodeJS.ProcessEnv; cwd: string; isTTY: boolean; out: () => string } {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d) => (out += d));
  const stderr = new PassThrough();
  stderr.resume();
  return { stdout, stderr, stdin: new PassThrough(), env: {}, cwd: '/', isTTY: false, out: () => out };
}

/** A TCP relay to Redis that the test can cut and restore, as a network partition would. */
class Relay {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  async open(): Promise<void> {
    const target = new URL(REDIS_URL);
    this.server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => s.destroy());
        s.on('close', () => this.sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async cut(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));
  }
}

async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const get = async (port: number, p: string): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(`http://127.0.0.1:${port}${p}`);
  const text = await res.text();
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as Record<string, unknown>) : { text } };
};

describe('serve --role', () => {
  it('refuses web and worker without REDIS_URL, naming it, and an unknown role', async () => {
    for (const role of ['web', 'worker']) {
      const r = await runCli(['serve', '--role', role], { cwd: workspace(), env: { PORT: '0' } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`serve --role ${role} needs REDIS_URL`));
    }
    const bad = await runCli(['serve', '--role', 'cook'], { cwd: workspace(), env: { PORT: '0' } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--role must be one of all, web, worker, got "cook"/);
  });

  describe('with Redis', () => {
    const handles: { handle: ServeHandle; runtime: Runtime }[] = [];
    const relays: Relay[] = [];
    const queueName = `roles-${randomUUID()}`;
    // Production mode needs both: REDIS_URL alone is refused at start.
    const db = schemaPerTest();
    const start = async (root: string, role: ServeRole, redisUrl = REDIS_URL): Promise<{ handle: ServeHandle; io: ReturnType<typeof quietIo> }> => {
      const env = { PORT: '0', HOST: '127.0.0.1', REDIS_URL: redisUrl, DATABASE_URL: db().url, UNDERSTUDY_QUEUE: queueName };
      const runtime = createRuntime(env, { avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data') }, { logger: silentLogger });
      const io = quietIo();
      const handle = await serve(runtime, io, { role, interactive: false });
      handles.push({ handle, runtime });
      return { handle, io };
    };
    afterEach(async () => {
      for (const { handle, runtime } of handles.splice(0)) {
        await handle.close();
        await runtime.close();
      }
      for (const relay of relays.splice(0)) await relay.cut();
    });
    afterAll(async () => {
      const q = new BullMqJobQueue({ url: REDIS_URL, name: queueName });
      await q.obliterate();
      await q.close();
    });

    it('a web replica enqueues the ingests and answers once a worker replica has run them', async () => {
      const root = workspace();
      const worker = await start(root, 'worker');
      expect(worker.io.out()).toMatch(/Understudy worker: running jobs/);
      // A worker serves health, readiness and metrics only: no playground.
      expect((await get(worker.handle.port, '/healthz')).body).toMatchObject({ ok: true, role: 'worker', queue: 'bullmq' });
      expect((await get(worker.handle.port, '/')).status).toBe(404);
      expect((await get(worker.handle.port, '/metrics')).status).toBe(200);

      const web = await start(root, 'web');
      const counts = await until(() => web.handle.queue.counts(), (c) => c.completed === 2, 'both ingests to complete');
      expect(counts.dead).toBe(0);
      expect(web.handle.platforms).toEqual([]);
      const json = { 'content-type': 'application/json' };
      const base = `http://127.0.0.1:${web.handle.port}/playground/api`;
      const opened = (await (await fetch(`${base}/conversations`, { method: 'POST', headers: json, body: '{}' })).json()) as { session: string; conversation: string };
      const asked = (await (await fetch(`${base}/ask`, { method: 'POST', headers: { ...json, 'x-playground-session': opened.session }, body: JSON.stringify({ avatar: 'lao-zhang', question: 'how do I roll back?', conversation: opened.conversation }) })).json()) as { answer: { citations: { source: string }[] } };
      expect(asked.answer.citations[0].source).toBe('rollback.md');

      // A second web replica starting on the same corpus adds no second ingest.
      const again = await start(root, 'web');
      await new Promise((r) => setTimeout(r, 300));
      expect((await again.handle.queue.counts()).completed).toBe(2);
      expect(await get(web.handle.port, '/readyz')).toEqual({ status: 200, body: { ok: true, checks: { database: 'ok', redis: 'ok', queue: 'ok' } } });
    });

    it('answers /readyz 503 naming Redis and the queue while Redis is unreachable, and 200 once it is back', async () => {
      const relay = new Relay();
      relays.push(relay);
      await relay.open();
      const { handle } = await start(workspace(), 'worker', `redis://127.0.0.1:${relay.port}`);
      expect((await get(handle.port, '/readyz')).status).toBe(200);
      await relay.cut();
      const down = await until(() => get(handle.port, '/readyz'), (r) => r.status === 503, 'readyz to fail');
      // The state store's check covers its Redis too (dedupe and locks live there).
      expect(down.body).toMatchObject({ ok: false, failed: expect.arrayContaining(['redis', 'queue']) });
      // /healthz is liveness: the process is fine, so it is not restarted for Redis's sake.
      expect((await get(handle.port, '/healthz')).status).toBe(200);
      await relay.open();
      await until(() => get(handle.port, '/readyz'), (r) => r.status === 200, 'readyz to recover', 30_000);
    }, 60_000);
  });
});
