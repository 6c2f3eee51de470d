import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { runCli } from '../helpers/cli';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

function workspace(): string {
  const root = tmpDir('cli-manifest-');
  makeAvatar(root, 'lao-zhang', { 'notes.md': '# Notes\n\nRoll back first.\n' });
  makeAvatar(root, 'lin-xiaoyu', { 'notes.md': '# Notes\n\nPricing.\n' });
  return root;
}

describe('understudy manifest', () => {
  it('writes manifests/<slug>.slack.yaml for an avatar, with the public URL given', async () => {
    const cwd = workspace();
    const res = await runCli(['manifest', 'lao-zhang', '--platform', 'slack', '--url', 'https://bot.example.org'], { cwd });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/Wrote manifests\/lao-zhang\.slack\.yaml/);
    const m = YAML.parse(fs.readFileSync(path.join(cwd, 'manifests', 'lao-zhang.slack.yaml'), 'utf8'));
    expect(m.features.bot_user.display_name).toBe('lao-zhang-avatar');
    expect(m.settings.event_subscriptions.request_url).toBe('https://bot.example.org/slack/events');
    expect(m.features.slash_commands[0].command).toBe('/avatar');
  });

  it('writes the hub app for Socket Mode, and says when the URL is a placeholder', async () => {
    const cwd = workspace();
    const socket = await runCli(['manifest', '--hub', '--socket', '--platform', 'slack'], { cwd });
    expect(socket.code).toBe(0);
    const m = YAML.parse(fs.readFileSync(path.join(cwd, 'manifests', 'hub.slack.yaml'), 'utf8'));
    expect(m.settings.socket_mode_enabled).toBe(true);
    expect(m.display_information.description).toMatch(/lao-zhang.*lin-xiaoyu/);
    const http = await runCli(['manifest', '--hub', '--platform', 'slack', '--stdout'], { cwd });
    expect(http.stdout).toMatch(/request_url: https:\/\/understudy\.example\.com\/slack\/events/);
  });

  it('explains bad input in one line with exit code 1', async () => {
    const cwd = workspace();
    const cases: [string[], RegExp][] = [
      [['manifest', '--platform', 'slack'], /name the avatar .* or pass --hub/],
      [['manifest', 'lao-zhang', '--hub', '--platform', 'slack'], /either an avatar slug or --hub/],
      [['manifest', 'lao-zhang', '--platform', 'teams'], /--platform must be one of slack/],
      [['manifest', 'lao-zhang', '--platform', 'slack', '--url', 'http://insecure.example.com'], /--url must be an https:\/\/ URL/],
      [['manifest', 'lao-zhan', '--platform', 'slack'], /Unknown avatar "lao-zhan".*lao-zhang/],
    ];
    for (const [argv, message] of cases) {
      const res = await runCli(argv, { cwd });
      expect([argv.join(' '), res.code]).toEqual([argv.join(' '), 1]);
      expect(res.stderr).toMatch(message);
    }
    expect(fs.existsSync(path.join(cwd, 'manifests'))).toBe(false);
  });
});
