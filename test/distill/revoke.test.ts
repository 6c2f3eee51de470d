import fs from 'node:fs';
import path from 'node:path';
import { eventBody, shownText, startSlack, type SlackHarness } from '../helpers/slack-harness';

const NOW = Math.floor(Date.now() / 1000);
const ts = (n: number): string => `${NOW - 86_400 + n}.000${String(100 + n).slice(-3)}`;

function seed(h: SlackHarness): void {
  const f = h.fake;
  f.channelList = [{ id: 'C_PAY', name: 'payments', is_member: true }];
  f.users.set('U_SUBJ', { name: 'wang.fang', real_name: 'Wang Fang' });
  f.history.C_PAY = [
    {
      messages: [
        { type: 'message', user: 'U_SUBJ', text: 'To page on-call, run `pagerctl page payments-primary` and escalate after ten minutes to the secondary rota.', ts: ts(1) },
        { type: 'message', user: 'U_SUBJ', text: 'The ledger admin password is Ledg3r!Adm1n-2025 and the vendor hotline is 13912345678, do not share.', ts: ts(2) },
        { type: 'message', user: 'U_SUBJ', text: 'Refunds above 5000 need finance sign-off before the batch at 17:00.', ts: ts(3) },
      ],
    },
  ];
}

function command(name: string, text: string, user: string): string {
  return new URLSearchParams({ token: 't', team_id: 'T111', api_app_id: 'A_HUB', channel_id: `D_${user}`, channel_name: 'directmessage', user_id: user, user_name: user.toLowerCase(), command: `/${name}`, text, response_url: 'http://127.0.0.1:1/x', trigger_id: `trig.${Math.random()}` }).toString();
}

describe('revoke on disk', () => {
  let h: SlackHarness;
  afterEach(async () => h?.close());

  it('leaves none of the revoked conversations in state.db or state.db-wal', async () => {
    h = await startSlack();
    seed(h);
    await h.send(command('distill', 'me', 'U_SUBJ'), { form: true });
    await h.idle();
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_Q', user: 'U_Q', text: '@wang-fang-avatar how do I page on-call?' }));
    await h.idle();
    const phrase = 'payments-primary';
    const state = path.join(h.root, 'data/state.db');
    const stateBytes = (): string => [state, `${state}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f).toString('latin1')).join('');
    // The answer (with the corpus's words) is in the conversation memory before the revoke.
    expect(stateBytes()).toContain(phrase);
    await h.send(command('avatar', 'revoke', 'U_SUBJ'), { form: true });
    await h.idle();
    expect(shownText(h.fake.calls)).toMatch(/is revoked/);
    expect(stateBytes()).not.toContain(phrase);
  }, 30_000);
});
