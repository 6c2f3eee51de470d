import YAML from 'yaml';
import { runCli } from '../helpers/cli';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

describe('/meeting in the app manifests', () => {
  const root = tmpDir('meeting-manifest-');
  makeAvatar(root, 'lao-zhang', { 'notes.md': '# Notes\n\nRoll back first.\n' });
  makeAvatar(root, 'lin-xiaoyu', { 'notes.md': '# Notes\n\nPricing.\n' });

  it('is a Slack slash command with a usage hint naming the avatars and the question', async () => {
    const res = await runCli(['manifest', '--hub', '--platform', 'slack', '--stdout'], { cwd: root });
    expect(res.code).toBe(0);
    const m = YAML.parse(res.stdout) as { features: { slash_commands: { command: string; usage_hint: string; url: string }[] } };
    const meeting = m.features.slash_commands.find((c) => c.command === '/meeting');
    expect(meeting?.usage_hint).toMatch(/^@avatar-a @avatar-b <question> \(2 to 5 avatars\)$/);
    expect(meeting?.url).toMatch(/\/slack\/events$/);
  });

  it('is a Feishu bot menu item', async () => {
    const res = await runCli(['manifest', '--hub', '--platform', 'lark', '--stdout'], { cwd: root });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/"event_key": "meeting",\s*"name": \{\s*"zh_cn": "分身会议",\s*"en_us": "Avatar meeting"/);
  });
});
