import { makeAvatar } from '../helpers/fixtures';
import { shownText, slackWorkspace, startSlack, type SlackHarness } from '../helpers/slack-harness';

function avatarCommand(text: string, user: string): string {
  return new URLSearchParams({ token: 't', team_id: 'T111', api_app_id: 'A_HUB', channel_id: `D_${user}`, channel_name: 'directmessage', user_id: user, user_name: user.toLowerCase(), command: '/avatar', text, response_url: 'http://127.0.0.1:1/x', trigger_id: `trig.${Math.random()}` }).toString();
}

describe('who is the subject of an avatar', () => {
  let h: SlackHarness;
  afterEach(async () => h?.close());

  it('accepts a bare platform id in person.aliases (as the demo avatars have) as well as slack:U…', async () => {
    const root = slackWorkspace();
    makeAvatar(root, 'demo-bare', { 'notes.md': '# Notes\n\nDeploy on Tuesdays.\n' }, '  aliases: [demo.bare@example.com, U_BARE]\n');
    makeAvatar(root, 'demo-full', { 'notes.md': '# Notes\n\nDeploy on Thursdays.\n' }, '  aliases: ["slack:U_FULL"]\n');
    h = await startSlack({ root });
    await h.send(avatarCommand('mine', 'U_BARE'), { form: true });
    await h.send(avatarCommand('mine', 'U_FULL'), { form: true });
    await h.send(avatarCommand('mine', 'U_OTHER'), { form: true });
    await h.idle();
    const to = (user: string): string => shownText(h.fake.calls.filter((c) => c.args.user === user || c.args.channel === `D_${user}`));
    expect(to('U_BARE')).toMatch(/@demo-bare-avatar/);
    expect(to('U_FULL')).toMatch(/@demo-full-avatar/);
    expect(to('U_OTHER')).toMatch(/You have no avatar here/);
  });
});
