import fs from 'node:fs';
import path from 'node:path';
import { strToU8, zipSync } from 'fflate';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { mountWebPlayground } from '../../src/adapters/playground/web';
import { createChatModel } from '../../src/answer/llm';
import { AvatarService } from '../../src/app/avatar-service';
import { ChatRouter } from '../../src/chat/router';
import { registerMeetingFeature } from '../../src/meeting/chat-feature';
import { localEmbedderFactory } from '../../src/retrieval/embedders';
import { HttpServer } from '../../src/server/http-server';
import { SqliteStateStore } from '../../src/store/sqlite-store';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai';
import { makeAvatar, tmpDir, write } from '../helpers/fixtures';

// The web app's server side: the built bundle with a strict CSP, answers streamed as server-sent
// events, the cited passage in its document or thread (never a private one), and feedback through
// the same core action as Slack and Feishu. Real HTTP into the real routes and the real router.

const ROLLBACK = ['# Rollback', '', 'Owner: payments.', '', '## When money is involved', '', 'If it touches money, roll back first with deployctl rollback, debug later.', 'Then page the on-call.', '', '## Afterwards', '', 'Write the postmortem within two days.', ''].join('\n');

const SLACK = {
  'users.json': [{ id: 'U1', name: 'lz', real_name: 'Test Person chatty' }, { id: 'U2', name: 'ly', real_name: 'Liu Yang' }],
  'channels.json': [{ id: 'C1', name: 'payments', members: ['U1', 'U2'] }],
  'payments/2025-11-11.json': [
    { type: 'message', user: 'U2', text: 'Is the settlement cutover still on for Friday?', ts: '1762826400.000100' },
    { type: 'message', user: 'U1', text: 'Yes, settlement cutover is Friday 22:00, freeze starts at 18:00.', ts: '1762826500.000200', thread_ts: '1762826400.000100' },
  ],
};

interface Env {
  port: number;
  store: SqliteStateStore;
  service: AvatarService;
  close(): Promise<void>;
}

async function start(webRoot?: string, model?: BaseChatModel): Promise<Env> {
  const root = tmpDir('web-app-');
  makeAvatar(root, 'docs', { 'runbooks/rollback.md': ROLLBACK, 'private/reorg.md': '# Reorg\n\nThe reorg moves payments under checkout in March.\n' }, 'visibility:\n  default: team\n  rules:\n    - path: "private/**"\n      visibility: private\n      audience: ["slack:U9"]\n');
  makeAvatar(root, 'chatty', { 'slack.zip': Buffer.from(zipSync(Object.fromEntries(Object.entries(SLACK).map(([k, v]) => [k, strToU8(JSON.stringify(v))])))) });
  makeAvatar(root, 'closed', { 'pricing.md': '# Pricing\n\nPLUS costs 99 yuan.\n' }, 'access:\n  users: ["slack:U1"]\n');
  const store = new SqliteStateStore(':memory:');
  const service = new AvatarService({ avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data'), embedders: localEmbedderFactory(), store, model });
  for (const slug of ['docs', 'chatty', 'closed']) await service.ingest(slug);
  const router = new ChatRouter({ service });
  registerMeetingFeature(router);
  const server = new HttpServer();
  mountWebPlayground(server, router, { host: '127.0.0.1', webRoot });
  const port = await server.listen(0, '127.0.0.1');
  return {
    port, store, service,
    async close() {
      await router.idle();
      await server.close();
      service.close();
      await store.close();
    },
  };
}

const base = (env: Env): string => `http://127.0.0.1:${env.port}`;

async function conversation(env: Env): Promise<{ session: string; conversation: string }> {
  const res = await fetch(`${base(env)}/playground/api/conversations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  return (await res.json()) as { session: string; conversation: string };
}

/** The events of one streamed answer, in order, parsed as the page parses them. */
async function askStream(env: Env, avatar: string, question: string, c: { session: string; conversation: string }): Promise<{ event: string; data: Record<string, unknown> }[]> {
  const res = await fetch(`${base(env)}/playground/api/ask`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-playground-session': c.session },
    body: JSON.stringify({ avatar, question, conversation: c.conversation }),
  });
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((b) => b.trim() && !b.startsWith(':'))
    .map((b) => {
      const event = /^event: (.*)$/m.exec(b)?.[1] ?? 'message';
      return { event, data: JSON.parse(/^data: (.*)$/m.exec(b)?.[1] ?? '{}') as Record<string, unknown> };
    });
}

describe('web app: the bundle', () => {
  let env: Env;
  const web = tmpDir('web-bundle-');
  write(web, 'index.html', '<!doctype html><title>chat</title><script type="module" src="/assets/chat-abc123.js"></script>');
  write(web, 'assets/chat-abc123.js', 'console.log(1)');
  write(web, 'assets/chat-abc123.css', 'body{}');
  write(web, 'favicon.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>');
  beforeAll(async () => (env = await start(web)));
  afterAll(() => env.close());

  it('serves the page with a CSP that allows no inline script, and the hashed assets cached for a year', async () => {
    const page = await fetch(`${base(env)}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/assets/chat-abc123.js');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(page.headers.get('cache-control')).toBe('no-store');

    const js = await fetch(`${base(env)}/assets/chat-abc123.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toMatch(/max-age=31536000.*immutable/);
    expect((await fetch(`${base(env)}/assets/chat-abc123.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    const icon = await fetch(`${base(env)}/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    // Browsers ask for /favicon.ico on their own: no 404 in the console.
    expect((await fetch(`${base(env)}/favicon.ico`)).status).toBe(200);
  });

  it('answers HEAD for the page and the assets like GET, without a body', async () => {
    for (const p of ['/', '/assets/chat-abc123.js', '/favicon.svg']) {
      const [get, head] = [await fetch(`${base(env)}${p}`), await fetch(`${base(env)}${p}`, { method: 'HEAD' })];
      expect([p, head.status]).toEqual([p, 200]);
      for (const h of ['content-type', 'content-length', 'cache-control', 'content-security-policy']) expect([p, h, head.headers.get(h)]).toEqual([p, h, get.headers.get(h)]);
      expect(await head.text()).toBe('');
    }
    expect((await fetch(`${base(env)}/favicon.ico`, { method: 'HEAD', redirect: 'manual' })).status).toBe(301);
    expect((await fetch(`${base(env)}/assets/nope.js`, { method: 'HEAD' })).status).toBe(404);
  });

  it('serves nothing outside the bundle', async () => {
    expect((await fetch(`${base(env)}/assets/nope.js`)).status).toBe(404);
    for (const p of ['/assets/..%2F..%2Fpackage.json', '/assets/%2e%2e/index.html', '/assets/..%5C..%5Cpackage.json', '/assets/%00.js']) {
      expect((await fetch(`${base(env)}${p}`)).status).toBe(404);
    }
  });

  it('says how to build the app when dist/web is missing', async () => {
    const bare = await start(path.join(tmpDir('no-web-'), 'dist', 'web'));
    try {
      const page = await fetch(`${base(bare)}/`);
      expect(page.status).toBe(503);
      expect(await page.text()).toContain('npm run build:web');
    } finally {
      await bare.close();
    }
  });
});

describe('web app: streaming, passages and feedback', () => {
  let env: Env;
  beforeAll(async () => (env = await start()));
  afterAll(() => env.close());

  it('streams the status, then the answer as it is written, then the final answer, then done', async () => {
    const events = await askStream(env, 'docs', 'what do I do when a deploy touches money?', await conversation(env));
    const names = events.map((e) => e.event);
    expect(names[0]).toBe('status');
    expect(names.at(-1)).toBe('done');
    expect(names.at(-2)).toBe('answer');
    expect(names.indexOf('draft')).toBeGreaterThan(0);
    const drafts = events.filter((e) => e.event === 'draft').map((e) => String(e.data.text));
    // Each draft is the text so far: it grows.
    for (let i = 1; i < drafts.length; i++) expect(drafts[i].startsWith(drafts[i - 1].trimEnd().slice(0, 20))).toBe(true);
    const answer = events.find((e) => e.event === 'answer')?.data as { answer: { text: string; label: string; citations: { source: string }[] }; ref: string };
    expect(answer.answer.label).toMatch(/Digital avatar of/);
    expect(answer.answer.citations[0].source).toBe('runbooks/rollback.md');
    expect(answer.ref).toEqual(expect.any(String));
    expect(events.at(-1)?.data).toEqual({ status: 200 });
  });

  it('streams the refusal of an access list as a notice, with no answer', async () => {
    const events = await askStream(env, 'closed', 'what does PLUS cost?', await conversation(env));
    expect(events.map((e) => e.event)).toEqual(['notice', 'done']);
    expect(events[0].data).toMatchObject({ code: 'ACCESS_DENIED', text: expect.stringMatching(/limited to certain people/) });
    expect(events[1].data).toEqual({ status: 403 });
  });

  it('gives every answer of a /meeting, in order, in the JSON answer and in the stream', async () => {
    const question = '/meeting @docs @chatty when a deploy touches money, do we roll back first, and is the settlement cutover Friday?';
    const c = await conversation(env);
    const res = await fetch(`${base(env)}/playground/api/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-playground-session': c.session },
      body: JSON.stringify({ avatar: 'docs', question, conversation: c.conversation }),
    });
    expect(res.status).toBe(200);
    type Shown = { answer: { avatar: string; label: string; citations: { source: string }[] }; ref: string };
    const body = (await res.json()) as { answer: Shown['answer']; ref: string; answers: Shown[]; notices: string[] };
    expect(body.answers.map((a) => a.answer.avatar).sort()).toEqual(['chatty', 'docs']);
    for (const a of body.answers) expect(a.answer.label).toMatch(/Digital avatar of/);
    expect(body.answers.some((a) => a.answer.citations.length > 0)).toBe(true);
    expect(new Set(body.answers.map((a) => a.ref)).size).toBe(2);
    // The last answer stays where clients before meetings looked for it.
    expect({ answer: body.answer, ref: body.ref }).toEqual(body.answers[1]);
    expect(body.notices.length).toBeGreaterThanOrEqual(2); // the meeting's header and the synthesis

    const events = await askStream(env, 'docs', question, await conversation(env));
    const answers = events.filter((e) => e.event === 'answer').map((e) => e.data as Shown);
    expect(answers.map((a) => a.answer.avatar).sort()).toEqual(['chatty', 'docs']);
    expect(new Set(answers.map((a) => a.ref)).size).toBe(2);
    // Each notice names the message it shows: the header's progress updates one message, the synthesis is another, after the answers.
    const notices = events.filter((e) => e.event === 'notice');
    expect(notices.every((n) => typeof n.data.ref === 'string')).toBe(true);
    const last = events.filter((e) => e.event !== 'done').at(-1);
    expect(last?.event).toBe('notice');
    expect(notices[0].data.ref).not.toBe(last?.data.ref);
    expect(events.at(-1)?.data).toEqual({ status: 200 });
  });

  it('shows a cited passage in its document with the cited lines to highlight, and audits it', async () => {
    const q = new URLSearchParams({ avatar: 'docs', source: 'runbooks/rollback.md', locator: 'L5-L8' });
    const res = await fetch(`${base(env)}/playground/api/passage?${q}`);
    expect(res.status).toBe(200);
    const { passage } = (await res.json()) as { passage: { kind: string; title: string; document: { lines: { n: number; text: string }[]; highlight: { from: number; to: number } } } };
    expect(passage.kind).toBe('markdown');
    expect(passage.document.highlight).toEqual({ from: 5, to: 8 });
    const line = (n: number): string | undefined => passage.document.lines.find((l) => l.n === n)?.text;
    expect(line(1)).toBe('# Rollback');
    expect(line(7)).toBe('If it touches money, roll back first with deployctl rollback, debug later.');
    expect(line(12)).toBe('Write the postmortem within two days.');
    expect((await env.store.auditEntries({ avatar: 'docs', action: 'source_opened' })).map((e) => [e.actor, e.detail])).toContainEqual(['playground:local', { source: 'runbooks/rollback.md', locator: 'L5-L8' }]);
  });

  it('never shows a private source: it looks exactly like one that does not exist', async () => {
    const chunk = [...env.service.index('docs').chunkStore().iterateChunks()].find((c) => c.source === 'private/reorg.md');
    expect(chunk).toBeDefined(); // it is in the index, so the refusal below is the visibility rule
    const priv = await fetch(`${base(env)}/playground/api/passage?${new URLSearchParams({ avatar: 'docs', source: 'private/reorg.md', locator: chunk!.locator })}`);
    const missing = await fetch(`${base(env)}/playground/api/passage?${new URLSearchParams({ avatar: 'docs', source: 'private/nothing.md', locator: 'L1-L3' })}`);
    expect(priv.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(await priv.text()).toBe(await missing.text());
    // An avatar whose access list leaves the playground out shows no passage either.
    const closed = await fetch(`${base(env)}/playground/api/passage?${new URLSearchParams({ avatar: 'closed', source: 'pricing.md', locator: 'L1-L3' })}`);
    expect(closed.status).toBe(403);
    expect((await fetch(`${base(env)}/playground/api/passage?avatar=docs`)).status).toBe(400);
  });

  it('shows a cited chat message with the message it replied to', async () => {
    const msg = [...env.service.index('chatty').chunkStore().iterateChunks()].find((c) => c.text.includes('settlement cutover is Friday'));
    expect(msg?.kind).toBe('slack');
    const res = await fetch(`${base(env)}/playground/api/passage?${new URLSearchParams({ avatar: 'chatty', source: msg!.source, locator: msg!.locator })}`);
    expect(res.status).toBe(200);
    const { passage } = (await res.json()) as { passage: { message: { text: string; thread?: { root?: string } } } };
    expect(passage.message.text).toContain('settlement cutover is Friday 22:00');
    expect(passage.message.thread?.root).toMatch(/Is the settlement cutover still on for Friday\?/);
    // Cited the other way round, the root shows the replies to it.
    const root = [...env.service.index('chatty').chunkStore().iterateChunks()].find((c) => c.text.startsWith('Is the settlement cutover'));
    const rootView = await fetch(`${base(env)}/playground/api/passage?${new URLSearchParams({ avatar: 'chatty', source: root!.source, locator: root!.locator })}`);
    const replies = ((await rootView.json()) as { passage: { message: { thread?: { replies: { text: string; cited: boolean }[] } } } }).passage.message.thread?.replies;
    expect(replies?.map((r) => [r.text.slice(0, 25), r.cited])).toEqual([['Is the settlement cutover', true], ['Yes, settlement cutover i', false]]);
  });

  it('records 👍 and a correction through the core feedback action, for the conversation of this session only', async () => {
    const c = await conversation(env);
    const events = await askStream(env, 'docs', 'what do I do when a deploy touches money?', c);
    const ref = (events.find((e) => e.event === 'answer')?.data as { ref: string }).ref;
    const post = (body: Record<string, unknown>, session = c.session): Promise<Response> =>
      fetch(`${base(env)}/playground/api/feedback`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-playground-session': session }, body: JSON.stringify({ avatar: 'docs', conversation: c.conversation, ...body }) });
    const up = await post({ kind: 'up', ref, lang: 'en' });
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ ok: true, text: expect.stringMatching(/Thanks/) });
    const fix = await post({ kind: 'correction', ref, text: 'Roll back first, always. Call me on 13800138000 if unsure.' });
    expect(fix.status).toBe(200);
    const stored = await env.store.listFeedback('docs');
    const key = `playground:local:${c.conversation}:dm`;
    expect(stored.map((f) => [f.kind, f.userId, f.conversation, f.ref])).toEqual(expect.arrayContaining([['up', 'playground:local', key, ref], ['correction', 'playground:local', key, ref]]));
    // Masked like a correction from Slack.
    expect(stored.find((f) => f.kind === 'correction')?.text).not.toContain('13800138000');
    const actions = (await env.store.auditEntries({ avatar: 'docs' })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['feedback', 'correction_proposed']));

    expect((await post({ kind: 'correction', ref, text: '  ' })).status).toBe(400);
    const other = await conversation(env);
    expect((await post({ kind: 'down', ref }, other.session)).status).toBe(403);
  });
});

describe('web app: a model\'s answer streams to the page', () => {
  let env: Env;
  let fake: FakeOpenAi;
  beforeAll(async () => {
    fake = await startFakeOpenAi(() => 'If it touches money, roll back first with deployctl rollback [1], and debug later once the charges are safe [1].');
    fake.slowMs = 60;
    env = await start(undefined, createChatModel({ model: 'test-model', apiKey: 'sk-test', baseURL: fake.baseURL }, { maxRetries: 0 }));
  });
  afterAll(async () => {
    await env.close();
    await fake.close();
  });

  it('sends the text as the model writes it, then the checked answer', async () => {
    fake.mode = 'slow';
    const events = await askStream(env, 'docs', 'what do I do when a deploy touches money?', await conversation(env));
    const drafts = events.filter((e) => e.event === 'draft').map((e) => String(e.data.text));
    expect(drafts.length).toBeGreaterThan(1);
    expect(drafts[drafts.length - 1].length).toBeGreaterThan(drafts[0].length);
    const answer = (events.find((e) => e.event === 'answer')?.data as { answer: { model: string; citations: unknown[] } }).answer;
    expect(answer.model).toBe('test-model');
    expect(answer.citations.length).toBeGreaterThan(0);
    expect(events.map((e) => e.event).slice(-2)).toEqual(['answer', 'done']);
  });

  it('ends with a complete offline answer when the model stream fails half-way', async () => {
    fake.mode = 'drop';
    fake.cutAfter = 3;
    const events = await askStream(env, 'docs', 'what do I do when a deploy touches money?', await conversation(env));
    expect(events.some((e) => e.event === 'draft')).toBe(true);
    const answer = (events.find((e) => e.event === 'answer')?.data as { answer: { model: string; text: string } }).answer;
    expect(answer.model).toBe('offline-extractive');
    expect(answer.text).toMatch(/roll back first with deployctl rollback/);
    expect(events.at(-1)).toEqual({ event: 'done', data: { status: 200 } });
  });
});
