import type { SlackHarness } from '../helpers/slack-harness';

const NOW = Math.floor(Date.now() / 1000);
const ts = (n: number): string => `${NOW - 86_400 + n}.000${String(100 + n).slice(-3)}`;

/** Wang Fang's #payments history on the fake Slack: a procedure, a planted password and phone, a rule. */
export function seedWangFang(h: SlackHarness): void {
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
