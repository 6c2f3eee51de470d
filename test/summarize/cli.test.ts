import fs from 'node:fs';
import path from 'node:path';
import { linksIn } from '../../src/summarize/links';
import { readSlackExportHistory } from '../../src/summarize/export-source';
import { runCli } from '../helpers/cli';
import { corpus } from '../helpers/corpora';
import { tmpDir } from '../helpers/fixtures';

const R = 'slack_export_r_contributors';
const WS = 'https://r-contributors.slack.com';

describe('understudy summarize', () => {
  const cwd = tmpDir('summarize-cli-');

  it('summarises a thread of a real export with links to its messages', async () => {
    const r = await runCli(['summarize', '--slack-export', corpus(R), '--channel', 'core-dev-help', '--thread', '1612601741.002500', '--workspace-url', WS], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Thread summary #core-dev-help \(6 Feb 2021 – 9 Feb 2021, 10 messages\)/);
    expect(r.stdout).toMatch(/Who took part: /);
    const fetched = new Set(readSlackExportHistory(corpus(R), { channel: 'core-dev-help', workspaceUrl: WS }).messages.map((m) => m.link));
    const links = linksIn(r.stdout);
    expect(links.length).toBeGreaterThan(0);
    for (const l of links) expect(fetched).toContain(l);
  });

  it('prints JSON for a date range, and says nothing was said when the range is empty', async () => {
    const r = await runCli(['summarize', '--slack-export', corpus('slack_export_houstondatavis'), '--channel', 'general', '--since', '2015-07-01', '--until', '2015-07-31', '--json'], { cwd });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { summary: { messageCount: number; topics: unknown[]; lang: string } };
    expect(out.summary.messageCount).toBeGreaterThan(10);
    expect(out.summary.lang).toBe('en');
    const empty = await runCli(['summarize', '--slack-export', corpus('slack_export_houstondatavis'), '--channel', 'general', '--since', '2030-01-01'], { cwd });
    expect(empty.code).toBe(0);
    expect(empty.stdout).toMatch(/Nothing was said in this range\./);
  });

  it('caps a whole export to its last 90 days with a note', async () => {
    const r = await runCli(['summarize', '--slack-export', corpus('slack_export_houstondatavis'), '--channel', 'general'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Notes: The range spans more than 90 days, so only the last 90 \(from \d{4}-\d{2}-\d{2}\) are summarised; \d+ earlier messages are left out\./);
  });

  it('reports a malformed day file on stderr and summarises the rest', async () => {
    const dir = tmpDir('summarize-broken-');
    fs.cpSync(corpus('slack_export_viewer_testarchive'), dir, { recursive: true });
    const day = fs.readdirSync(path.join(dir, 'traveling-sailor')).sort()[0];
    fs.writeFileSync(path.join(dir, 'traveling-sailor', day), '[{"type": "message",');
    const r = await runCli(['summarize', '--slack-export', dir, '--channel', 'traveling-sailor', '--max-days', '3650'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`skipped traveling-sailor/${day} \\(line 1 column \\d+\\): .*invalid JSON`));
    expect(r.stdout).toMatch(/Summary #traveling-sailor/);
  });

  it('fails with a one-line message on bad input', async () => {
    const none = await runCli(['summarize', '--channel', 'general'], { cwd });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/give one of --slack-export <dir\|zip> or --feishu-export <file>/);
    const bad = await runCli(['summarize', '--slack-export', corpus(R), '--channel', 'core-dev-help', '--since', 'last tuesday'], { cwd });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--since must be a date/);
  });
});
