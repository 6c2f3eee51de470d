import type { ConsentRequest } from '../../src/distill/consent';
import { shownText, startSlack, type SlackHarness } from '../helpers/slack-harness';

function command(name: string, text: string, user: string, channel: string): string {
  return new URLSearchParams({ token: 't', team_id: 'T111', api_app_id: 'A_HUB', channel_id: channel, channel_name: channel === 'C_PAY' ? 'payments' : 'directmessage', user_id: user, user_name: user.toLowerCase(), command: `/${name}`, text, response_url: 'http://127.0.0.1:1/x', trigger_id: `trig.${Math.random()}` }).toString();
}

async function requests(h: SlackHarness): Promise<ConsentRequest[]> {
  return (await h.runtime.service.store.kvList<ConsentRequest>('consent')).map((r) => r.value);
}

describe('distillation privacy in Slack', () => {
  let h: SlackHarness;
  afterEach(async () => h?.close());

  it("keeps an admin's /distill @user in a channel between the admin and the bot (ephemeral)", async () => {
    h = await startSlack({ env: { UNDERSTUDY_ADMINS: 'slack:U_ADMIN' } });
    h.fake.users.set('U_SUBJ', { name: 'wang.fang', real_name: 'Wang Fang' });
    h.fake.users.set('U_ADMIN', { name: 'admin', real_name: 'Ada Admin' });
    await h.send(command('distill', '<@U_SUBJ|wang.fang>', 'U_ADMIN', 'C_PAY'), { form: true });
    await h.idle();
    expect(await requests(h)).toHaveLength(1);
    // Nobody in #payments learns that Wang Fang is being asked.
    const inChannel = h.fake.calls.filter((c) => c.args.channel === 'C_PAY' && !c.method.includes('Ephemeral'));
    expect(shownText(inChannel)).not.toMatch(/Wang Fang|consent|CONSENT-/);
    const ephemeral = h.fake.of('chat.postEphemeral').filter((c) => c.args.user === 'U_ADMIN');
    expect(shownText(ephemeral)).toMatch(/I asked Wang Fang for consent \(CONSENT-/);
  });
});
