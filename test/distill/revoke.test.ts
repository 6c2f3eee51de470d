import fs from 'node:fs';
import path from 'node:path';
import { eventBody, shownText, startSlack, type SlackHarness, slashCommand } from '../helpers/slack-harness';
import { seedWangFang } from './wang-fang';

describe('revoke on disk', () => {
  let h: SlackHarness;
  afterEach(async () => h?.close());

  it('leaves none of the revoked conversations in state.db or state.db-wal', async () => {
    h = await startSlack();
    seedWangFang(h);
    await h.send(slashCommand('distill', 'me', { user: 'U_SUBJ' }), { form: true });
    await h.idle();
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_Q', user: 'U_Q', text: '@wang-fang-avatar how do I page on-call?' }));
    await h.idle();
    const phrase = 'payments-primary';
    const state = path.join(h.root, 'data/state.db');
    const stateBytes = (): string => [state, `${state}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f).toString('latin1')).join('');
    // The answer (with the corpus's words) is in the conversation memory before the revoke.
    expect(stateBytes()).toContain(phrase);
    await h.send(slashCommand('avatar', 'revoke', { user: 'U_SUBJ' }), { form: true });
    await h.idle();
    expect(shownText(h.fake.calls)).toMatch(/is revoked/);
    expect(stateBytes()).not.toContain(phrase);
  }, 30_000);
});
