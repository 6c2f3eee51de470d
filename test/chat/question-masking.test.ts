import fs from 'node:fs';
import path from 'node:path';
import { eventBody, startSlack, type SlackHarness } from '../helpers/slack-harness';

const SECRETS = ['Tr0ub4dor&3x', '13912345678', 'AKIAJ7QXN3RZ5TW2KL4M'];

describe('secrets typed into questions', () => {
  let h: SlackHarness;
  afterEach(async () => h?.close());

  it('are masked in conversation memory and the audit log, in the store and on disk', async () => {
    h = await startSlack();
    const question = `@lao-zhang-avatar the staging password is ${SECRETS[0]}, my phone is ${SECRETS[1]} and the key ${SECRETS[2]}: how do I roll back billing-gateway?`;
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_Q', user: 'U_Q', text: question }));
    await h.idle();
    const store = h.runtime.service.store;
    const conversations = [...new Set((await store.auditEntries({ action: 'ask' })).map((e) => String((e.detail as { conversation: string }).conversation)))];
    const turns = (await store.recentTurns('slack:T111:D_Q', 'lao-zhang', 10)).concat(...(await Promise.all(conversations.map((c) => store.recentTurns(c, 'lao-zhang', 10)))));
    const asked = await store.auditEntries({ action: 'ask' });
    expect(asked).toHaveLength(1);
    expect(turns.some((t) => t.role === 'user')).toBe(true);
    const stored = JSON.stringify({ turns, asked });
    for (const s of SECRETS) expect(stored).not.toContain(s);
    expect(stored).toContain('[redacted:password]');
    expect(stored).toContain('how do I roll back billing-gateway?');
    const state = path.join(h.root, 'data/state.db');
    const bytes = [state, `${state}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f).toString('utf8')).join('');
    for (const s of SECRETS) expect(bytes).not.toContain(s);
  });
});
