import fs from 'node:fs';
import path from 'node:path';
import { linksIn } from '../../src/summarize/links';
import { readSlackExportHistory } from '../../src/summarize/export-source';
import { runCli } from '../helpers/cli';
import { corpus, itCorpora } from '../helpers/corpora';
import { tmpDir } from '../helpers/fixtures';

const R = 'slack_export_r_contributors';
const WS = 'https://r-contributors.slack.com';

describe('understudy summarize', () => {
  const cwd = tmpDir('summarize-cli-');

  itCorpora('summarises a thread of a real export with links to its messages', async () => {
    const r = await runCli(['summarize', '--slack-export', corpus(R), '--channel', 'core-dev-help', '--thread', '1612601741.002500', '--workspace-url', WS], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Thread summary #core-dev-help \(6 Feb 2021 – 9 Feb 2021, 10 messages\)/);
    expect(r.stdout).toMatch(/Who took part: /);
    const fetched = new Set(readSlackExportHistory(corpus(R), { channel: 'core-dev-help', workspaceUrl: WS }).messages.map((m) => m.link));
    const links = linksIn(r.stdout);
    expect(links.length).toBeGreaterThan(0);
    for (const l of links) expect(fetched).toContain(l);
  });

  itCorpora('prints JSON for a date range, and says nothing was said when the range is empty', async () => {
    const r = await runCli(['summarize', '--slack-export', corpus('slack_export_houstondatavis'), '--channel', 'general', '--since', '2015-07-01', '--until', '2015-07-31', '--json'], { cwd });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { summary: { messageCount: number; topics: unknown[]; lang: string } };
    expect(out.summary.messageCount).toBeGreaterThan(10);
    expect(out.summary.lang).toBe('en');
    const empty = await runCli(['summarize', '--slack-export', corpus('slack_export_houstondatavis'), '--channel', 'general', '--since', '2030-01-01'], { cwd });
    expect(empty.code).toBe(0);
    expect(empty.stdout).toMatch(/Nothing was said in this range\./);
  });

  itCorpora("summarises the README's example range in full (--since honoured, no 90-day cap) and says what it covered", async () => {
    const all = readSlackExportHistory(corpus(R), { channel: 'core-dev-help', since: Date.UTC(2021, 0, 1) }).messages.filter((m) => m.text.trim());
    expect(all.length).toBeGreaterThan(100);
    const r = await runCli(['summarize', '--slack-export', corpus(R), '--channel', 'core-dev-help', '--since', '2021-01-01', '--workspace-url', WS, '--json'], { cwd });
    expect(r.code).toBe(0);
    const s = (JSON.parse(r.stdout) as { summary: { messageCount: number; from: number; to: number; notes: string[] } }).summary;
    expect(s.messageCount).toBe(all.length);
    expect(s.from).toBe(Math.min(...all.map((m) => m.ts)));
    expect(s.notes.join(' ')).not.toMatch(/left out/);
    expect(s.notes[0]).toMatch(new RegExp(`^Covers ${all.length} messages from \\d+ \\w+ 2021 to .* \\(asked for: from 2021-01-01\\)`));
    const text = await runCli(['summarize', '--slack-export', corpus(R), '--channel', 'core-dev-help', '--since', '2021-01-01', '--until', '2021-03-31'], { cwd });
    expect(text.stdout).toMatch(/Notes: Covers \d+ messages from .* \(asked for: 2021-01-01 to 2021-03-31\)/);
  });

  itCorpora('summarises a whole export of several years offline, map-reduced over windows', async () => {
    const all = readSlackExportHistory(corpus('slack_export_houstondatavis'), { channel: 'general' }).messages.filter((m) => m.text.trim());
    const r = await runCli(['summarize', '--slack-export', corpus('slack_export_houstondatavis'), '--channel', 'general', '--json'], { cwd });
    expect(r.code).toBe(0);
    const s = (JSON.parse(r.stdout) as { summary: { messageCount: number; notes: string[]; topics: { cites: { ts: number }[] }[] } }).summary;
    expect(s.messageCount).toBe(all.length);
    expect(s.notes[0]).toMatch(/^Covers \d+ messages from .* summarised in \d+ windows \(asked for: the whole export\)/);
    const first = Math.min(...all.map((m) => m.ts));
    expect(Math.min(...s.topics.flatMap((t) => t.cites.map((c) => c.ts)))).toBeLessThan(first + 365 * 24 * 3600_000);
  });

  itCorpora('reports a malformed day file on stderr and summarises the rest', async () => {
    const dir = tmpDir('summarize-broken-');
    fs.cpSync(corpus('slack_export_viewer_testarchive'), dir, { recursive: true });
    const day = fs.readdirSync(path.join(dir, 'traveling-sailor')).sort()[0];
    fs.writeFileSync(path.join(dir, 'traveling-sailor', day), '[{"type": "message",');
    const r = await runCli(['summarize', '--slack-export', dir, '--channel', 'traveling-sailor'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`skipped traveling-sailor/${day} \\(line 1 column \\d+\\): .*invalid JSON`));
    expect(r.stdout).toMatch(/Summary #traveling-sailor/);
  });

  it('summarises a Feishu export in Chinese, citing messages by time since Feishu has no permalinks', async () => {
    const file = path.join(tmpDir('summarize-feishu-cli-'), 'chat.json');
    const item = (id: string, user: string, name: string, text: string, minute: number, root?: string): Record<string, unknown> => ({
      message_id: id, root_id: root, msg_type: 'text', create_time: String(Date.UTC(2024, 10, 1, 2, minute)), sender: { id: user, sender_type: 'user', name }, body: { content: JSON.stringify({ text }) },
    });
    fs.writeFileSync(file, JSON.stringify({
      chat: { chat_id: 'oc_ops', name: '运维', chat_type: 'group' },
      items: [
        item('om_1', 'ou_a', '张三', '下周的数据库迁移，用蓝绿切换还是停机窗口？', 0),
        item('om_2', 'ou_b', '李四', '最后决定用蓝绿切换，周四晚上执行。', 5, 'om_1'),
        item('om_3', 'ou_a', '张三', '我来准备回滚脚本，周三前给大家看。', 9, 'om_1'),
      ],
    }));
    const r = await runCli(['summarize', '--feishu-export', file], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^频道总结 #运维/);
    expect(r.stdout).toMatch(/李四：最后决定用蓝绿切换，周四晚上执行。 \(11月1日 02:05, om_2\)/);
    expect(r.stdout).toMatch(/张三：我来准备回滚脚本，周三前给大家看。 \(截止 周三\) \(11月1日 02:09, om_3\)/);
    expect(linksIn(r.stdout)).toEqual([]);
  });

  itCorpora('fails with a one-line message on bad input', async () => {
    const none = await runCli(['summarize', '--channel', 'general'], { cwd });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/give one of --slack-export <dir\|zip> or --feishu-export <file>/);
    const bad = await runCli(['summarize', '--slack-export', corpus(R), '--channel', 'core-dev-help', '--since', 'last tuesday'], { cwd });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--since must be a date/);
  });
});
