import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { openStateStore } from '../../src/store/sqlite-store';
import { demoWorkspace, feishuExport, slackExportZip, textOf } from './mcp-fixtures';

// The built CLI (npm run build), spawned the way an MCP client configuration would start it.
const BIN = path.resolve(__dirname, '../../bin/understudy.js');

describe('understudy mcp (stdio, the SDK client spawning the built CLI)', () => {
  let client: Client;
  let ws: ReturnType<typeof demoWorkspace>;
  let stderr = '';

  beforeAll(async () => {
    // lin-xiaoyu's access list names someone else: the operator at their own machine still has it.
    ws = demoWorkspace('mcp-stdio-', { linAccess: ['lark:ou_pm0001'] });
    fs.appendFileSync(path.join(ws.avatarsDir, 'lao-zhang', 'skill.md'), '\n- Drafted the on-call reorg for his manager. [src: private/oncall-reorg-draft.md]\n');
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'mcp', '--avatars-dir', ws.avatarsDir, '--data-dir', ws.dataDir],
      cwd: ws.root,
      env: { PATH: process.env.PATH ?? '', HOME: ws.root, USER: 'operator1', UNDERSTUDY_SEMANTIC: 'off' },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (d) => (stderr += String(d)));
    client = new Client({ name: 'mcp-stdio-test', version: '1.0.0' });
    await client.connect(transport);
  }, 120_000);

  afterAll(async () => {
    await client?.close();
  });

  it('builds missing indexes at start (progress on stderr, stdout left to the protocol) and lists the tools', async () => {
    expect(stderr).toMatch(/building the index of lao-zhang/);
    expect(stderr).toMatch(/serving 2 avatar\(s\) over stdio/);
    const tools = (await client.listTools()).tools;
    expect(tools.map((t) => t.name).sort()).toEqual(['ask_avatar', 'list_avatars', 'search_avatar', 'summarize_export']);
    const ask = tools.find((t) => t.name === 'ask_avatar');
    expect(ask?.inputSchema.required?.sort()).toEqual(['avatar', 'question']);
  });

  it("list_avatars shows the operator every active avatar with slug, name, title, languages and status", async () => {
    const r = await client.callTool({ name: 'list_avatars', arguments: {} });
    const avatars = (r.structuredContent as { avatars: { slug: string; name: string; title: string; languages: string[]; status: string }[] }).avatars;
    expect(avatars.map((a) => a.slug).sort()).toEqual(['lao-zhang', 'lin-xiaoyu']);
    for (const a of avatars) expect(a).toEqual(expect.objectContaining({ name: expect.any(String), title: expect.any(String), languages: expect.any(Array), status: 'active' }));
    expect(textOf(r)).toMatch(/- lao-zhang: 张建国 \/ Lao Zhang, Senior Backend Engineer/);
  });

  it('ask_avatar returns cited, labelled text, audited as mcp:cli:<login> on the local surface', async () => {
    const r = await client.callTool({ name: 'ask_avatar', arguments: { avatar: 'lao-zhang-avatar', question: '怎么回滚 billing-gateway？' } });
    expect(r.isError).toBeFalsy();
    const a = r.structuredContent as { avatar: string; label: string; disclosure: string; citations: { source: string }[]; grounded: boolean };
    expect(a.avatar).toBe('lao-zhang');
    expect(a.grounded).toBe(true);
    expect(a.citations.length).toBeGreaterThan(0);
    expect(a.disclosure).toMatch(/数字分身/);
    const text = textOf(r);
    expect(text).toContain(a.disclosure);
    expect(text).toMatch(/\[1\] \S+ \S+/);
    expect(text).toContain(a.label);
  });

  it('search_avatar: the operator sees every source, private ones included', async () => {
    const r = await client.callTool({ name: 'search_avatar', arguments: { avatar: 'lao-zhang', query: 'on-call 轮值调整 吴凡 借调', k: 3 } });
    const passages = (r.structuredContent as { passages: { rank: number; source: string; locator: string; score: number }[] }).passages;
    expect(passages.length).toBeGreaterThan(0);
    expect(passages.length).toBeLessThanOrEqual(3);
    expect(passages.map((p) => p.source)).toContain('private/oncall-reorg-draft.md');
    expect(passages[0]).toMatchObject({ rank: 1, locator: expect.any(String), score: expect.any(Number) });
  });

  it('summarize_export reads an export by path (a Feishu .json, a Slack .zip) and names the field it needs', async () => {
    const feishu = path.join(ws.root, 'chat.json');
    fs.writeFileSync(feishu, feishuExport());
    const f = await client.callTool({ name: 'summarize_export', arguments: { path: feishu } });
    expect(f.isError).toBeFalsy();
    expect(textOf(f)).toMatch(/^频道总结 #运维/);
    expect(textOf(f)).toMatch(/张三：我来准备回滚脚本，周三前给大家看。/);
    const zip = path.join(ws.root, 'slack.zip');
    fs.writeFileSync(zip, slackExportZip());
    const noChannel = await client.callTool({ name: 'summarize_export', arguments: { path: zip } });
    expect(noChannel.isError).toBe(true);
    expect(textOf(noChannel)).toMatch(/^channel: /);
    const s = await client.callTool({ name: 'summarize_export', arguments: { path: zip, channel: 'deploys', lang: 'en' } });
    expect(textOf(s)).toMatch(/We decided to wait until Tuesday/);
    const missing = await client.callTool({ name: 'summarize_export', arguments: { path: path.join(ws.root, 'nope.json') } });
    expect(textOf(missing)).toMatch(/^path: no such file or folder/);
  });

  it("lists and reads each avatar's skill and evidence resources", async () => {
    const uris = (await client.listResources()).resources.map((r) => r.uri).sort();
    expect(uris).toEqual(['avatar://lao-zhang/evidence', 'avatar://lao-zhang/skill', 'avatar://lin-xiaoyu/evidence', 'avatar://lin-xiaoyu/skill']);
    const skill = (await client.readResource({ uri: 'avatar://lin-xiaoyu/skill' })).contents[0] as { text: string };
    expect(skill.text).toBe(fs.readFileSync(path.join(ws.avatarsDir, 'lin-xiaoyu', 'skill.md'), 'utf8'));
    const evidence = (await client.readResource({ uri: 'avatar://lao-zhang/evidence' })).contents[0] as { text: string };
    // The operator sees the private sources' evidence too.
    expect(evidence.text).toMatch(/## \[src: private\/[^\]]+\] private\//);
    expect(evidence.text).not.toMatch(/does not resolve/);
    await expect(client.readResource({ uri: 'avatar://nobody/skill' })).rejects.toThrow(/uri: no avatar "nobody"/);
  });

  it('writes every call to the audit log', async () => {
    const store = openStateStore(ws.dataDir);
    try {
      const entries = await store.auditEntries({ limit: 100 });
      const mine = entries.filter((e) => e.actor === 'mcp:cli:operator1');
      const actions = new Set(mine.map((e) => e.action));
      for (const a of ['mcp_list_avatars', 'ask', 'mcp_search', 'mcp_summarize', 'mcp_read_skill', 'mcp_read_evidence']) expect(actions).toContain(a);
      expect(mine.find((e) => e.action === 'ask')?.detail).toMatchObject({ surface: 'local', question: '怎么回滚 billing-gateway？' });
    } finally {
      await store.close();
    }
  });
});
