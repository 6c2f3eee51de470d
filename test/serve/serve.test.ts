import path from 'node:path';
import { PassThrough } from 'node:stream';
import { runTerminalChat } from '../../src/cli/terminal-chat';
import type { CliIo } from '../../src/cli/io';
import { createRuntime } from '../../src/app/runtime';
import { serve } from '../../src/serve';
import { silentLogger } from '../../src/log';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

function io(stdin: string, isTTY = false): CliIo & { out: () => string } {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d) => (out += d));
  const input = new PassThrough();
  input.end(stdin);
  return { stdout, stderr: new PassThrough(), stdin: input, env: {}, cwd: '/', isTTY, out: () => out };
}

function workspace(): string {
  const root = tmpDir('serve-');
  makeAvatar(root, 'lao-zhang', { 'rollback.md': '# Rollback\n\nIf it touches money, roll back first with deployctl rollback.\n', 'private/x.md': '# Private\n\nreorg plans nobody knows\n' }, 'visibility:\n  default: team\n  rules:\n    - path: "private/**"\n      visibility: private\n');
  makeAvatar(root, 'lin-xiaoyu', { 'pricing.md': '# Pricing\n\nPLUS costs 99 yuan in the first year.\n' });
  return root;
}

describe('serve with no platform configured', () => {
  it('ingests the avatars, answers /healthz, prints setup help without a TTY, and serves the web playground', async () => {
    const root = workspace();
    const rt = createRuntime({ PORT: '0' }, { avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data') }, { logger: silentLogger });
    const term = io('');
    const handle = await serve(rt, term);
    try {
      expect(term.out()).toMatch(/No chat platform is configured[\s\S]*SLACK_SIGNING_SECRET[\s\S]*LARK_APP_ID/);
      const health = await fetch(`http://127.0.0.1:${handle.port}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true, model: 'offline-extractive', avatars: [{ slug: 'lao-zhang', status: 'active' }, { slug: 'lin-xiaoyu', status: 'active' }] });
      expect((await fetch(`http://127.0.0.1:${handle.port}/`)).headers.get('content-type')).toMatch(/text\/html/);
      // The playground API takes JSON only, in a conversation the server opened for this session (test/playground has the rest).
      const json = { 'content-type': 'application/json' };
      // Each question in a conversation of its own, as the old p1/p2 ids had it.
      const post = async (question: string) => {
        const opened = (await (await fetch(`http://127.0.0.1:${handle.port}/playground/api/conversations`, { method: 'POST', headers: json, body: '{}' })).json()) as { session: string; conversation: string };
        return fetch(`http://127.0.0.1:${handle.port}/playground/api/ask`, { method: 'POST', headers: { ...json, 'x-playground-session': opened.session }, body: JSON.stringify({ avatar: 'lao-zhang', question, conversation: opened.conversation }) });
      };
      const body = (await (await post('how do I roll back?')).json()) as { ok: boolean; answer: { citations: { source: string }[]; disclosure: string } };
      expect(body.ok).toBe(true);
      expect(body.answer.disclosure).toMatch(/digital avatar/);
      expect(body.answer.citations[0].source).toBe('rollback.md');
      const secret = (await (await post('reorg plans nobody knows')).json()) as { answer: { citations: { source: string }[] } };
      // The playground sees what a colleague in a DM would: never the private folder.
      expect(secret.answer.citations.map((c) => c.source)).not.toContain('private/x.md');
      expect((await fetch(`http://127.0.0.1:${handle.port}/playground/api/ask`, { method: 'POST', headers: json, body: '{bad' })).status).toBe(400);
      expect((await fetch(`http://127.0.0.1:${handle.port}/nope`)).status).toBe(404);
    } finally {
      await handle.close();
      rt.close();
    }
  });
});

describe('terminal chat', () => {
  it('offers a chooser, answers with sources and history, and leaves on /quit', async () => {
    const root = workspace();
    const rt = createRuntime({}, { avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data') }, { logger: silentLogger });
    await rt.service.ingest('lao-zhang');
    const term = io('nobody\n1\nhow do I roll back?\n/sources\nand after that?\n/quit\n');
    await runTerminalChat(rt.service, term);
    const out = term.out();
    expect(out).toMatch(/Which avatar would you like to talk to\?/);
    expect(out).toMatch(/No avatar "nobody"/);
    expect(out).toMatch(/Hello, I am the digital avatar of Test Person lao-zhang/);
    expect(out).toMatch(/\[1\] rollback.md L1-L3\n# Rollback/);
    expect(out).toMatch(/Digital avatar of Test Person lao-zhang \(not the person\)/);
    rt.close();
  });
});
