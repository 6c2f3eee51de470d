import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createRuntime, type Runtime } from '../../src/app/runtime';
import type { CliIo } from '../../src/cli/io';
import { silentLogger } from '../../src/log';
import { capturingLogger } from '../helpers/capturing-logger';
import { serve, type ServeHandle } from '../../src/serve';
import { makeAvatar, tmpDir } from '../helpers/fixtures';
import { demoWorkspace, feishuExport, setStatus, slackExportZip, textOf } from './mcp-fixtures';

// Tokens stand for chat users: the payments manager (on the private folder's audience), a colleague,
// and a product manager who alone may use lin-xiaoyu's avatar in this test.
const MANAGER = 'mgr-token-0123456789abcdef';
const COLLEAGUE = 'colleague-token-0123456789ab';
const PM = 'pm-token-0123456789abcdefgh';
const MCP_TOKENS = `${MANAGER}=slack:U07MGR0001, ${COLLEAGUE}=slack:U0COLLEAGUE,${PM}=lark:ou_pm0001`;

function quietIo(): CliIo {
  const sink = new PassThrough();
  sink.resume();
  return { stdout: sink, stderr: sink, stdin: new PassThrough(), env: {}, cwd: '/', isTTY: false };
}

describe('POST /mcp on the server (streamable HTTP, the SDK client)', () => {
  let rt: Runtime;
  let handle: ServeHandle;
  let url: URL;
  let avatarsDir: string;
  const logs = capturingLogger();
  const clients: Client[] = [];

  beforeAll(async () => {
    const ws = demoWorkspace('mcp-http-', { linAccess: ['lark:ou_pm0001'] });
    avatarsDir = ws.avatarsDir;
    rt = createRuntime({ PORT: '0', HOST: '127.0.0.1', MCP_TOKENS, UNDERSTUDY_SEMANTIC: 'off', UNDERSTUDY_RATE_USER_PER_MIN: '100' }, { avatarsDir: ws.avatarsDir, dataDir: ws.dataDir }, { logger: logs.log });
    handle = await serve(rt, quietIo(), { interactive: false });
    url = new URL(`http://127.0.0.1:${handle.port}/mcp`);
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await handle?.close();
    await rt?.close();
  });

  afterAll(() => {
    // Refused and accepted requests were logged (debug level), never with a token.
    const text = JSON.stringify(logs.lines());
    expect(text).toMatch(/MCP request refused/);
    for (const t of [MANAGER, COLLEAGUE, PM, MANAGER.slice(0, -1)]) expect(text).not.toContain(t);
  });

  async function connect(token: string): Promise<Client> {
    const client = new Client({ name: 'mcp-http-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    clients.push(client);
    return client;
  }

  const initialize = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
  const rawPost = (headers: Record<string, string>): Promise<Response> =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: initialize });

  it('refuses a request without a token or with an unknown one (401), and the SDK client cannot connect', async () => {
    const none = await rawPost({});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await none.json()) as { error: string }).error).toMatch(/Authorization: Bearer <token> is required/);
    const wrong = await rawPost({ authorization: `Bearer ${MANAGER.slice(0, -1)}x` });
    expect(wrong.status).toBe(401);
    const client = new Client({ name: 'no-token', version: '1' });
    await expect(client.connect(new StreamableHTTPClientTransport(url))).rejects.toThrow(/Authorization: Bearer <token> is required/);
    // With a good token the same request initialises a session.
    expect((await rawPost({ authorization: `Bearer ${MANAGER}` })).status).toBe(200);
  });

  it('lists the four tools, and the avatars the token user may use', async () => {
    const client = await connect(COLLEAGUE);
    const tools = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(tools).toEqual(['ask_avatar', 'list_avatars', 'search_avatar', 'summarize_export']);
    const listed = await client.callTool({ name: 'list_avatars', arguments: {} });
    const avatars = (listed.structuredContent as { avatars: { slug: string; name: string; title: string; languages: string[]; status: string }[] }).avatars;
    // lin-xiaoyu's access list names only the PM: the colleague does not see it.
    expect(avatars.map((a) => a.slug)).toEqual(['lao-zhang']);
    expect(avatars[0]).toMatchObject({ name: '张建国', title: 'Senior Backend Engineer', languages: ['zh', 'en'], status: 'active' });
    const pm = await connect(PM);
    const pmAvatars = ((await pm.callTool({ name: 'list_avatars', arguments: {} })).structuredContent as { avatars: { slug: string }[] }).avatars;
    expect(pmAvatars.map((a) => a.slug).sort()).toEqual(['lao-zhang', 'lin-xiaoyu']);
  });

  it('ask_avatar answers with citations, the label and the disclosure, and the ask is audited as mcp:<user>', async () => {
    const client = await connect(COLLEAGUE);
    const r = await client.callTool({ name: 'ask_avatar', arguments: { avatar: 'lao-zhang', question: 'How do I roll back billing-gateway?' } });
    expect(r.isError).toBeFalsy();
    const a = r.structuredContent as { text: string; label: string; disclosure: string; grounded: boolean; citations: { n: number; source: string; locator: string; text: string }[] };
    expect(a.grounded).toBe(true);
    expect(a.citations.length).toBeGreaterThan(0);
    expect(a.text).toMatch(/\[1\]/);
    expect(a.disclosure).toMatch(/digital avatar of former employee Lao Zhang/);
    expect(a.label).toMatch(/avatar/i);
    const text = textOf(r);
    expect(text.startsWith(a.disclosure)).toBe(true);
    expect(text).toContain(`[1] ${a.citations[0].source} ${a.citations[0].locator}`);
    expect(text.trimEnd().endsWith(`— ${a.label}`)).toBe(true);
    const audit = await rt.service.store.auditEntries({ action: 'ask', avatar: 'lao-zhang' });
    const mine = audit.find((e) => e.actor === 'mcp:slack:U0COLLEAGUE');
    expect(mine?.detail).toMatchObject({ surface: 'dm', question: 'How do I roll back billing-gateway?', grounded: true });
    expect((mine?.detail as { sources: string[] }).sources.length).toBe(a.citations.length);
  });

  it("a user not on an avatar's access list cannot ask it (refusal audited), nor read its resources", async () => {
    const client = await connect(COLLEAGUE);
    const r = await client.callTool({ name: 'ask_avatar', arguments: { avatar: 'lin-xiaoyu', question: 'What does PLUS cost?' } });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/avatar: the avatar of Sarah Lin is limited to certain people, and slack:U0COLLEAGUE is not on its list/);
    const denied = await rt.service.store.auditEntries({ action: 'access_denied', avatar: 'lin-xiaoyu' });
    expect(denied.some((e) => e.actor === 'mcp:slack:U0COLLEAGUE')).toBe(true);
    expect((await rt.service.store.auditEntries({ action: 'ask', avatar: 'lin-xiaoyu' })).some((e) => e.actor === 'mcp:slack:U0COLLEAGUE')).toBe(false);
    await expect(client.readResource({ uri: 'avatar://lin-xiaoyu/skill' })).rejects.toThrow(/not on its list/);
    const search = await client.callTool({ name: 'search_avatar', arguments: { avatar: 'lin-xiaoyu', query: 'PLUS price' } });
    expect(search.isError).toBe(true);
    // The PM, on the list, may.
    const pm = await connect(PM);
    const ok = await pm.callTool({ name: 'ask_avatar', arguments: { avatar: 'lin-xiaoyu', question: 'What does PLUS membership cost?' } });
    expect(ok.isError).toBeFalsy();
    expect((ok.structuredContent as { citations: unknown[] }).citations.length).toBeGreaterThan(0);
  });

  it('search_avatar returns passages with source, locator and score, and a private source only to its audience', async () => {
    const query = 'on-call 轮值调整 吴凡 借调';
    const colleague = await connect(COLLEAGUE);
    const seen = await colleague.callTool({ name: 'search_avatar', arguments: { avatar: 'lao-zhang', query, k: 5 } });
    expect(seen.isError).toBeFalsy();
    const passages = (seen.structuredContent as { passages: { source: string; locator: string; score: number; text: string; visibility: string }[] }).passages;
    expect(passages.length).toBeGreaterThan(0);
    expect(passages.length).toBeLessThanOrEqual(5);
    for (const p of passages) {
      expect(p.source).not.toMatch(/^private\//);
      expect(p.visibility).not.toBe('private');
      expect(p.locator).toBeTruthy();
      expect(typeof p.score).toBe('number');
    }
    // The manager is on the private folder's audience (avatar.yaml visibility rules).
    const manager = await connect(MANAGER);
    const all = (await manager.callTool({ name: 'search_avatar', arguments: { avatar: 'lao-zhang', query, k: 5 } })).structuredContent as { passages: { source: string }[] };
    expect(all.passages.map((p) => p.source)).toContain('private/oncall-reorg-draft.md');
    const audit = await rt.service.store.auditEntries({ action: 'mcp_search', avatar: 'lao-zhang' });
    expect(audit.find((e) => e.actor === 'mcp:slack:U0COLLEAGUE')?.detail).toMatchObject({ surface: 'dm', query });
  });

  it('names the field when tool input is invalid', async () => {
    const client = await connect(COLLEAGUE);
    const noQuestion = await client.callTool({ name: 'ask_avatar', arguments: { avatar: 'lao-zhang' } });
    expect(noQuestion.isError).toBe(true);
    expect(textOf(noQuestion)).toMatch(/question/);
    const badK = await client.callTool({ name: 'search_avatar', arguments: { avatar: 'lao-zhang', query: 'rollback', k: 99 } });
    expect(badK.isError).toBe(true);
    expect(textOf(badK)).toMatch(/k: at most 20/);
    const unknown = await client.callTool({ name: 'ask_avatar', arguments: { avatar: 'lao-zang', question: 'hi' } });
    expect(textOf(unknown)).toMatch(/avatar: no avatar "lao-zang"\. Did you mean lao-zhang/);
    // Calls the SDK refuses before a tool runs are audited too.
    const refused = (await rt.service.store.auditEntries({ action: 'mcp_search_avatar' })).filter((e) => e.actor === 'mcp:slack:U0COLLEAGUE');
    expect(refused.map((e) => e.detail)).toContainEqual(expect.objectContaining({ error: 'INPUT_INVALID', message: expect.stringMatching(/k: at most 20/) }));
    const noQ = (await rt.service.store.auditEntries({ action: 'mcp_ask_avatar' })).filter((e) => e.actor === 'mcp:slack:U0COLLEAGUE');
    expect(noQ.map((e) => (e.detail as { error: string }).error)).toEqual(expect.arrayContaining(['AVATAR_NOT_FOUND', 'INPUT_INVALID']));
  });

  it('summarize_export takes the export inline over HTTP and refuses file paths', async () => {
    const client = await connect(COLLEAGUE);
    const feishu = await client.callTool({ name: 'summarize_export', arguments: { content: feishuExport() } });
    expect(feishu.isError).toBeFalsy();
    expect(textOf(feishu)).toMatch(/^频道总结 #运维/);
    expect(textOf(feishu)).toMatch(/李四：最后决定用蓝绿切换，周四晚上执行。/);
    const slack = await client.callTool({ name: 'summarize_export', arguments: { content: slackExportZip().toString('base64'), format: 'slack', channel: 'deploys' } });
    expect(slack.isError).toBeFalsy();
    expect(textOf(slack)).toMatch(/#deploys/);
    expect(textOf(slack)).toMatch(/We decided to wait until Tuesday/);
    const byPath = await client.callTool({ name: 'summarize_export', arguments: { path: '/etc/passwd' } });
    expect(byPath.isError).toBe(true);
    expect(textOf(byPath)).toMatch(/^path: file paths are read only over stdio/);
    const notZip = await client.callTool({ name: 'summarize_export', arguments: { content: 'aGVsbG8=', format: 'slack', channel: 'deploys' } });
    expect(textOf(notZip)).toMatch(/^content: .*Slack export \.zip encoded in base64/);
    const audit = await rt.service.store.auditEntries({ action: 'mcp_summarize' });
    expect(audit.filter((e) => e.actor === 'mcp:slack:U0COLLEAGUE').length).toBeGreaterThanOrEqual(2);
  });

  it('leaves skill lines resting only on private sources out of the skill and evidence of a viewer outside their audience', async () => {
    // One claim anchored to a private file by path, one to a private chunk by id, one to a team chunk by id.
    const index = rt.service.index('lao-zhang');
    const chunks = [...index.chunkStore().iterateChunks()];
    const privateChunk = chunks.find((c) => c.source === 'private/2026-05-28-1on1-handover-wang-haiyan.md');
    const teamChunk = chunks.find((c) => c.source === 'runbooks/rollback-billing-gateway.md');
    if (!privateChunk || !teamChunk) throw new Error('demo corpus changed: private 1:1 notes or rollback runbook not indexed');
    const skillFile = path.join(avatarsDir, 'lao-zhang', 'skill.md');
    const original = fs.readFileSync(skillFile, 'utf8');
    fs.writeFileSync(
      skillFile,
      `${original}\n## Private notes\n\n- Drafted the on-call reorg for his manager. [src: private/oncall-reorg-draft.md]\n- Handed over with a 1:1. [e:${privateChunk.id}]\n- Rolls back first. [e:${teamChunk.id}]\n`,
    );
    try {
      const colleague = await connect(COLLEAGUE);
      const skill = ((await colleague.readResource({ uri: 'avatar://lao-zhang/skill' })).contents[0] as { text: string }).text;
      expect(skill).toContain('## Private notes');
      expect(skill).not.toContain('on-call reorg');
      expect(skill).not.toContain('Handed over with a 1:1');
      expect(skill).toContain(`- Rolls back first. [e:${teamChunk.id}]`);
      const evidence = ((await colleague.readResource({ uri: 'avatar://lao-zhang/evidence' })).contents[0] as { text: string }).text;
      expect(evidence).not.toMatch(/private\//);
      expect(evidence).toContain(`## [e:${teamChunk.id}] runbooks/rollback-billing-gateway.md ${teamChunk.locator}`);
      // The manager is on the private folder's audience and sees all three.
      const manager = await connect(MANAGER);
      const full = ((await manager.readResource({ uri: 'avatar://lao-zhang/evidence' })).contents[0] as { text: string }).text;
      expect(full).toContain('## [src: private/oncall-reorg-draft.md] private/oncall-reorg-draft.md');
      expect(full).toContain(`## [e:${privateChunk.id}] private/2026-05-28-1on1-handover-wang-haiyan.md`);
    } finally {
      fs.writeFileSync(skillFile, original);
    }
  });

  it("lists and reads each usable avatar's skill and evidence, without what the viewer may not see", async () => {
    const client = await connect(COLLEAGUE);
    const uris = (await client.listResources()).resources.map((r) => r.uri).sort();
    expect(uris).toEqual(['avatar://lao-zhang/evidence', 'avatar://lao-zhang/skill']);
    const skill = await client.readResource({ uri: 'avatar://lao-zhang/skill' });
    const skillText = (skill.contents[0] as { text: string }).text;
    expect(skillText).toMatch(/^# Skill: 老张/);
    expect(skillText).toContain('[src: runbooks/deploy-billing-gateway.md]');
    const evidence = (await client.readResource({ uri: 'avatar://lao-zhang/evidence' })).contents[0] as { text: string; mimeType: string };
    expect(evidence.mimeType).toBe('text/markdown');
    expect(evidence.text).toMatch(/## \[src: runbooks\/deploy-billing-gateway\.md\] runbooks\/deploy-billing-gateway\.md \S+\n\n> /);
    expect(evidence.text).not.toMatch(/## \[src: private\//);
    const reads = await rt.service.store.auditEntries({ action: 'mcp_read_evidence', avatar: 'lao-zhang' });
    expect(reads.some((e) => e.actor === 'mcp:slack:U0COLLEAGUE')).toBe(true);
  });

  it('does not serve a paused avatar: no answers, no resources', async () => {
    const pm = await connect(PM);
    setStatus(avatarsDir, 'lin-xiaoyu', 'paused');
    rt.service.reload();
    try {
      const r = await pm.callTool({ name: 'ask_avatar', arguments: { avatar: 'lin-xiaoyu', question: 'What does PLUS cost?' } });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/is paused and is not answering anyone/);
      expect((await pm.listResources()).resources.map((x) => x.uri)).not.toContain('avatar://lin-xiaoyu/skill');
      await expect(pm.readResource({ uri: 'avatar://lin-xiaoyu/evidence' })).rejects.toThrow(/paused/);
    } finally {
      setStatus(avatarsDir, 'lin-xiaoyu', 'active');
      rt.service.reload();
    }
  });
});

describe('POST /mcp without MCP_TOKENS', () => {
  it('answers 404 and says how to turn the endpoint on', async () => {
    const ws = demoWorkspace('mcp-off-');
    const rt = createRuntime({ PORT: '0', HOST: '127.0.0.1', UNDERSTUDY_SEMANTIC: 'off' }, { avatarsDir: ws.avatarsDir, dataDir: ws.dataDir }, { logger: silentLogger });
    const handle = await serve(rt, quietIo(), { interactive: false });
    try {
      const r = await fetch(`http://127.0.0.1:${handle.port}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer whatever-token-123456' }, body: '{}' });
      expect(r.status).toBe(404);
      expect(((await r.json()) as { error: string }).error).toMatch(/The MCP endpoint is off\. Set MCP_TOKENS=/);
    } finally {
      await handle.close();
      await rt.close();
    }
  }, 120_000);
});

describe('POST /mcp rate limits', () => {
  it("limits a token user's questions like a chat user's (UNDERSTUDY_RATE_USER_PER_MIN), and says when to retry", async () => {
    const root = tmpDir('mcp-rate-');
    makeAvatar(root, 'lao-zhang', { 'rollback.md': '# Rollback\n\nIf it touches money, roll back first with deployctl rollback.\n' });
    const token = 'rate-token-0123456789abcdef';
    const rt = createRuntime(
      { PORT: '0', HOST: '127.0.0.1', MCP_TOKENS: `${token}=slack:U0RATE`, UNDERSTUDY_SEMANTIC: 'off', UNDERSTUDY_RATE_USER_PER_MIN: '2' },
      { avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data') },
      { logger: silentLogger },
    );
    const handle = await serve(rt, quietIo(), { interactive: false });
    const client = new Client({ name: 'rate', version: '1' });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${handle.port}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
      const ask = () => client.callTool({ name: 'ask_avatar', arguments: { avatar: 'lao-zhang', question: 'how do I roll back?' } });
      expect((await ask()).isError).toBeFalsy();
      expect((await ask()).isError).toBeFalsy();
      const third = await ask();
      expect(third.isError).toBe(true);
      expect(textOf(third)).toMatch(/faster than the avatars can keep up \(2 a minute\)\. Please try again in about \d+ seconds/);
      expect((await rt.service.store.auditEntries({ action: 'mcp_ask_avatar' })).map((e) => e.detail)).toContainEqual({ error: 'RATE_LIMITED' });
    } finally {
      await client.close();
      await handle.close();
      await rt.close();
    }
  }, 60_000);
});
