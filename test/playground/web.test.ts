import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { CliIo } from '../../src/cli/io';
import { silentLogger } from '../../src/log';
import { createRuntime, type Runtime } from '../../src/app/runtime';
import { serve, type ServeHandle } from '../../src/serve';
import { makeAvatar, tmpDir } from '../helpers/fixtures';
import { rawRequest, type RawResponse } from '../helpers/raw-http';
import { ensureWebBundle } from '../helpers/web-bundle';

// The web playground is a chat platform like Slack and Feishu: its questions go through the
// router (access lists, rate limits), it listens on loopback unless told otherwise, and nobody
// else's page, host name or guess can drive it.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TOKEN = 'pg-test-token-7f3c9a1e5b2d4f60';

let printed = '';

function quietIo(): CliIo {
  const input = new PassThrough();
  input.end();
  const stdout = new PassThrough();
  printed = '';
  stdout.on('data', (d) => (printed += d));
  return { stdout, stderr: new PassThrough(), stdin: input, env: {}, cwd: '/', isTTY: false };
}

function workspace(): string {
  const root = tmpDir('playground-');
  makeAvatar(root, 'lao-zhang', { 'rollback.md': '# Rollback\n\nIf it touches money, roll back first with deployctl rollback.\n' });
  makeAvatar(root, 'closed', { 'pricing.md': '# Pricing\n\nPLUS costs 99 yuan in the first year.\n' }, 'access:\n  users: ["slack:U1"]\n');
  makeAvatar(root, 'invited', { 'pricing.md': '# Pricing\n\nPLUS costs 99 yuan in the first year.\n' }, 'access:\n  users: ["playground:local"]\n');
  return root;
}

/** Raw HTTP as a browser at http://localhost:<port> sends it, unless the test forges Host. */
const request = (port: number, method: string, url: string, options: Parameters<typeof rawRequest>[3] = {}): Promise<RawResponse> =>
  rawRequest(port, method, url, { ...options, headers: { host: `localhost:${port}`, ...(options.headers ?? {}) } });

const json = (headers: Record<string, string> = {}): Record<string, string> => ({ 'content-type': 'application/json', ...headers });

async function start(env: NodeJS.ProcessEnv = {}): Promise<{ rt: Runtime; handle: ServeHandle; root: string }> {
  const root = workspace();
  const rt = createRuntime({ PORT: '0', ...env }, { avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data') }, { logger: silentLogger });
  const handle = await serve(rt, quietIo(), { interactive: false });
  return { rt, handle, root };
}

async function newConversation(port: number, headers: Record<string, string> = {}): Promise<{ session: string; conversation: string }> {
  const res = await request(port, 'POST', '/playground/api/conversations', { headers: json(headers), body: '{}' });
  expect(res.status).toBe(201);
  return res.json();
}

function ask(port: number, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<RawResponse> {
  return request(port, 'POST', '/playground/api/ask', { headers: json(headers), body: JSON.stringify(body) });
}

function externalIPv4(): string | undefined {
  return Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

// GET / serves the built page (dist/web), which `npm install` builds.
beforeAll(() => ensureWebBundle(), 120_000);

describe('web playground: where it listens and who may call it', () => {
  it('binds to 127.0.0.1 by default and answers only loopback Host names (DNS rebinding)', async () => {
    const { rt, handle } = await start();
    try {
      expect(handle.host).toBe('127.0.0.1');
      expect(printed).toContain(`Playground: http://127.0.0.1:${handle.port}/ `);
      const ext = externalIPv4();
      if (ext) expect(await canConnect(ext, handle.port)).toBe(false);

      const page = await request(handle.port, 'GET', '/');
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      expect(page.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
      expect((await request(handle.port, 'GET', '/', { headers: { host: `127.0.0.1:${handle.port}` } })).status).toBe(200);

      for (const host of [`evil.example:${handle.port}`, 'evil.example', `localhost.evil.example:${handle.port}`]) {
        const forged = await request(handle.port, 'GET', '/', { headers: { host } });
        expect([403, 421]).toContain(forged.status);
        expect((await request(handle.port, 'GET', '/playground/api/avatars', { headers: { host } })).status).toBe(forged.status);
        expect((await request(handle.port, 'POST', '/playground/api/conversations', { headers: json({ host }), body: '{}' })).status).toBe(forged.status);
      }
      // Health stays reachable for probes whatever name they use.
      expect((await request(handle.port, 'GET', '/healthz', { headers: { host: 'probe.internal' } })).status).toBe(200);
    } finally {
      await handle.close();
      rt.close();
    }
  });

  it('accepts only application/json posts, so no other web page can post a form or text to it', async () => {
    const { rt, handle } = await start();
    try {
      const { session, conversation } = await newConversation(handle.port);
      const body = JSON.stringify({ avatar: 'lao-zhang', question: 'how do I roll back?', conversation });
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain; charset=application/json']) {
        const res = await request(handle.port, 'POST', '/playground/api/ask', { headers: { 'content-type': type, 'x-playground-session': session }, body });
        expect(res.status).toBe(415);
        expect(res.json()).toMatchObject({ ok: false, error: expect.stringMatching(/application\/json/) });
      }
      expect((await request(handle.port, 'POST', '/playground/api/ask', { headers: { 'x-playground-session': session }, body })).status).toBe(415);
      expect((await request(handle.port, 'POST', '/playground/api/conversations', { headers: { 'content-type': 'text/plain' }, body: '{}' })).status).toBe(415);
      const ok = await request(handle.port, 'POST', '/playground/api/ask', { headers: { 'content-type': 'application/json; charset=utf-8', 'x-playground-session': session }, body });
      expect(ok.status).toBe(200);
    } finally {
      await handle.close();
      rt.close();
    }
  });

  it('refuses to start bound to another interface without PLAYGROUND_TOKEN, naming the variable', async () => {
    const root = workspace();
    for (const host of ['0.0.0.0', '::']) {
      const rt = createRuntime({ PORT: '0', HOST: host }, { avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data') }, { logger: silentLogger });
      try {
        await expect(serve(rt, quietIo(), { interactive: false })).rejects.toThrow(/PLAYGROUND_TOKEN/);
      } finally {
        rt.close();
      }
    }
    const weak = createRuntime({ PORT: '0', HOST: '0.0.0.0', PLAYGROUND_TOKEN: 'short' }, { avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data') }, { logger: silentLogger });
    try {
      await expect(serve(weak, quietIo(), { interactive: false })).rejects.toThrow(/PLAYGROUND_TOKEN.*at least 16/);
    } finally {
      weak.close();
    }
  });

  it('requires the token when one is set, bound elsewhere or not', async () => {
    const { rt, handle } = await start({ HOST: '0.0.0.0', PLAYGROUND_TOKEN: TOKEN });
    try {
      expect(handle.host).toBe('0.0.0.0');
      // The page's address says where the token goes, and never prints the token itself.
      expect(printed).toContain(`Playground: http://localhost:${handle.port}/#token=<PLAYGROUND_TOKEN>`);
      expect(printed).not.toContain(TOKEN);
      const auth = { authorization: `Bearer ${TOKEN}` };
      expect((await request(handle.port, 'GET', '/')).status).toBe(200); // the page holds no data
      const bads: Record<string, string>[] = [{}, { authorization: 'Bearer nope' }, { authorization: `Bearer ${TOKEN}x` }, { authorization: TOKEN }];
      for (const bad of bads) {
        expect((await request(handle.port, 'GET', '/playground/api/avatars', { headers: bad })).status).toBe(401);
        expect((await request(handle.port, 'POST', '/playground/api/conversations', { headers: json(bad), body: '{}' })).status).toBe(401);
      }
      const list = await request(handle.port, 'GET', '/playground/api/avatars', { headers: auth });
      expect(list.status).toBe(200);
      expect(list.json<{ slug: string }[]>().map((a) => a.slug)).toContain('lao-zhang');
      const { session, conversation } = await newConversation(handle.port, auth);
      expect((await ask(handle.port, { avatar: 'lao-zhang', question: 'how do I roll back?', conversation }, { 'x-playground-session': session })).status).toBe(401);
      const ok = await ask(handle.port, { avatar: 'lao-zhang', question: 'how do I roll back?', conversation }, { ...auth, 'x-playground-session': session });
      expect(ok.status).toBe(200);
      expect(ok.json<{ answer: { citations: { source: string }[] } }>().answer.citations[0].source).toBe('rollback.md');
      // Bound to all interfaces, the machine's own addresses are accepted Host names.
      const ext = externalIPv4();
      if (ext) expect((await request(handle.port, 'GET', '/playground/api/avatars', { host: ext, headers: { ...auth, host: `${ext}:${handle.port}` } })).status).toBe(200);
      expect((await request(handle.port, 'GET', '/playground/api/avatars', { headers: { ...auth, host: 'evil.example' } })).status).toBe(403);
    } finally {
      await handle.close();
      rt.close();
    }
    const local = await start({ PLAYGROUND_TOKEN: TOKEN });
    try {
      expect((await request(local.handle.port, 'GET', '/playground/api/avatars')).status).toBe(401);
    } finally {
      await local.handle.close();
      local.rt.close();
    }
  });
});

describe('web playground: conversations', () => {
  it('hands out UUID conversation ids bound to the session that asked for them', async () => {
    const { rt, handle } = await start();
    try {
      const a = await newConversation(handle.port);
      expect(a.conversation).toMatch(UUID);
      expect(a.session).toMatch(UUID);
      const b = await newConversation(handle.port);
      expect(b.conversation).not.toBe(a.conversation);
      expect(b.session).not.toBe(a.session);
      // A second conversation in the same session keeps the session.
      const a2 = await newConversation(handle.port, { 'x-playground-session': a.session });
      expect(a2.session).toBe(a.session);

      const q = { avatar: 'lao-zhang', question: 'how do I roll back?' };
      const first = await ask(handle.port, { ...q, conversation: a.conversation }, { 'x-playground-session': a.session });
      expect(first.status).toBe(200);
      expect(first.json<{ answer: { disclosure: string } }>().answer.disclosure).toMatch(/digital avatar/);
      // Another session cannot continue (or read the memory of) someone else's conversation.
      const stolen = await ask(handle.port, { ...q, conversation: a.conversation }, { 'x-playground-session': b.session });
      expect(stolen.status).toBe(403);
      expect((await ask(handle.port, { ...q, conversation: a.conversation })).status).toBe(403);
      // Made-up ids (the old Date.now() ones) are refused.
      expect((await ask(handle.port, { ...q, conversation: String(Date.now()) }, { 'x-playground-session': a.session })).status).toBe(400);
      expect((await ask(handle.port, { ...q, conversation: '6f1c1f8e-1b7a-4c8e-9a55-3c2b1d0e9f7a' }, { 'x-playground-session': a.session })).status).toBe(403);
      expect((await ask(handle.port, { ...q, avatar: 'nobody', conversation: a.conversation }, { 'x-playground-session': a.session })).status).toBe(404);
    } finally {
      await handle.close();
      rt.close();
    }
  });
});

describe('web playground: through the router like any platform', () => {
  it('applies access lists to the playground user playground:local, and audits the refusal', async () => {
    const { rt, handle } = await start();
    try {
      const { session, conversation } = await newConversation(handle.port);
      const closed = await ask(handle.port, { avatar: 'closed', question: 'what does PLUS cost?', conversation }, { 'x-playground-session': session });
      expect(closed.status).toBe(403);
      const body = closed.json<{ ok: boolean; answer?: unknown; notices: string[] }>();
      expect(body.answer).toBeUndefined();
      expect(body.notices.join('\n')).toMatch(/limited to certain people/);
      expect((await rt.service.store.auditEntries({ avatar: 'closed' })).map((e) => [e.actor, e.action])).toContainEqual(['playground:local', 'access_denied']);

      const c2 = await newConversation(handle.port, { 'x-playground-session': session });
      const invited = await ask(handle.port, { avatar: 'invited', question: 'what does PLUS cost?', conversation: c2.conversation }, { 'x-playground-session': session });
      expect(invited.status).toBe(200);
      expect(invited.json<{ answer: { citations: { source: string }[] } }>().answer.citations[0].source).toBe('pricing.md');
    } finally {
      await handle.close();
      rt.close();
    }
  });

  it('applies the per-user rate limit', async () => {
    const { rt, handle } = await start({ UNDERSTUDY_RATE_USER_PER_MIN: '2' });
    try {
      const { session, conversation } = await newConversation(handle.port);
      const q = { avatar: 'lao-zhang', question: 'how do I roll back?', conversation };
      expect((await ask(handle.port, q, { 'x-playground-session': session })).status).toBe(200);
      expect((await ask(handle.port, q, { 'x-playground-session': session })).status).toBe(200);
      const third = await ask(handle.port, q, { 'x-playground-session': session });
      expect(third.status).toBe(429);
      expect(third.json<{ notices: string[] }>().notices.join('\n')).toMatch(/faster than I can keep up/);
    } finally {
      await handle.close();
      rt.close();
    }
  });
});
