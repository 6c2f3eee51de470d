import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { runCli } from '../helpers/cli';
import { eventBody, shownText, slashCommand, slackWorkspace, startSlack, type SlackHarness } from '../helpers/slack-harness';

const COLLEAGUES = path.join(__dirname, '..', 'fixtures', 'interop', 'colleagues');
const TOKEN = 'asker-token-0123456789abcdef';

/**
 * An imported avatar (consent_pending in avatar.yaml) is paused until Zhou Min consents. Whoever
 * asks it is told exactly that, not the generic "(paused)" a paused colleague gets.
 */
describe('an imported avatar that waits for consent says so', () => {
  let h: SlackHarness | undefined;
  let client: Client | undefined;
  afterEach(async () => {
    await client?.close();
    await h?.close();
    client = undefined;
    h = undefined;
  });

  async function importedWorkspace(): Promise<SlackHarness> {
    const root = slackWorkspace();
    const r = await runCli(['--avatars-dir', path.join(root, 'avatars'), '--data-dir', path.join(root, 'data'), 'avatar', 'import', path.join(COLLEAGUES, 'zhou-min')], { cwd: root });
    expect(r.code).toBe(0);
    return startSlack({ root, env: { MCP_TOKENS: `${TOKEN}=slack:U_ASK` } });
  }

  it('in a Slack DM, in English and in Chinese', async () => {
    h = await importedWorkspace();
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_ASK', user: 'U_ASK', text: '@zhou-min-avatar when does the weekly train leave?' }));
    await h.idle();
    const en = shownText(h.fake.calls);
    expect(en).toMatch(/The digital avatar of Zhou Min was imported and is waiting for Zhou Min's consent; it answers no one until that consent is recorded\./);
    expect(en).not.toMatch(/\(paused\)/);
    h.fake.calls.length = 0;
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_ASK', user: 'U_ASK', text: '@zhou-min-avatar 每周的发布列车什么时候出发？' }));
    await h.idle();
    const zh = shownText(h.fake.calls);
    expect(zh).toMatch(/Zhou Min的数字分身是导入的，正在等待Zhou Min本人同意；记录同意之前不会回答任何人。/);
    expect(zh).not.toMatch(/已暂停/);
  });

  it('in a meeting, as the note on why it does not take part', async () => {
    h = await importedWorkspace();
    await h.send(slashCommand('meeting', '@zhou-min-avatar @lao-zhang-avatar @lin-xiaoyu-avatar how do we roll back billing-gateway?', { user: 'U_ASK' }), { form: true });
    await h.idle();
    const shown = shownText(h.fake.of('chat.postMessage'));
    expect(shown).toMatch(/Left out: Zhou Min's avatar was imported and is waiting for Zhou Min's consent, so it does not take part\./);
    expect(shown).not.toMatch(/is paused and does not take part/);
  });

  it('over MCP: ask_avatar says why it does not answer', async () => {
    h = await importedWorkspace();
    client = new Client({ name: 'consent-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${h.handle.port}/mcp`), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
    const r = await client.callTool({ name: 'ask_avatar', arguments: { avatar: 'zhou-min', question: 'When does the weekly train leave?' } });
    expect(r.isError).toBe(true);
    const text = (r.content as { type: string; text: string }[]).map((c) => c.text).join('\n');
    expect(text).toBe("avatar: The digital avatar of Zhou Min was imported and is waiting for Zhou Min's consent; it answers no one until that consent is recorded.");
  });
});
