import fs from 'node:fs';
import path from 'node:path';
import type { ConsentRequest } from '../../src/distill/consent';
import { eventBody, shownText, startSlack, type SlackHarness } from '../helpers/slack-harness';

const NOW = Math.floor(Date.now() / 1000);
const ts = (n: number): string => `${NOW - 86_400 + n}.000${String(100 + n).slice(-3)}`;

function seedWorkspace(h: SlackHarness): void {
  const f = h.fake;
  f.channelList = [
    { id: 'C_PAY', name: 'payments', is_member: true },
    { id: 'G_OPS', name: 'ops-private', is_private: true, is_member: true },
    { id: 'C_OTHER', name: 'random', is_member: false },
  ];
  f.members.set('G_OPS', ['U_SUBJ', 'U_X']);
  f.users.set('U_SUBJ', { name: 'wang.fang', real_name: 'Wang Fang' });
  f.users.set('U_ADMIN', { name: 'admin', real_name: 'Ada Admin' });
  f.users.set('U_BOT', { name: 'deploybot', is_bot: true });
  f.history.C_PAY = [
    {
      messages: [
        { type: 'message', user: 'U_SUBJ', text: 'To rotate the ledger-db password, first run `vault write -f database/rotate-role/ledger_app`, then reload pgbouncer-ledger.', ts: ts(1) },
        { type: 'message', user: 'U_X', text: 'How do we page the payments on-call?', ts: ts(2), reply_count: 2, thread_ts: ts(2) },
      ],
    },
    { messages: [{ type: 'message', user: 'U_SUBJ', text: 'We decided to freeze ledger deploys on Fridays after 16:00. Always roll back first if money is involved.', ts: ts(4) }] },
  ];
  f.replies.set(`C_PAY:${ts(2)}`, [
    { user: 'U_X', text: 'How do we page the payments on-call?', ts: ts(2) },
    { user: 'U_SUBJ', text: 'Use `pagerctl page payments-primary`; if nobody acks in 10 minutes, escalate to the secondary.', ts: ts(3) },
  ]);
  f.history.G_OPS = [{ messages: [{ type: 'message', user: 'U_SUBJ', text: 'Ops-only note: the ledger replica lag alert fires at 30 seconds.', ts: ts(5) }] }];
}

function command(text: string, user: string, channel = 'D_ADMIN'): string {
  return new URLSearchParams({ token: 't', team_id: 'T111', api_app_id: 'A_HUB', channel_id: channel, channel_name: 'directmessage', user_id: user, user_name: user.toLowerCase(), command: '/distill', text, response_url: 'http://127.0.0.1:1/x', trigger_id: `trig.${Math.random()}` }).toString();
}

function button(actionId: string, value: string, user: string): string {
  return `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: user }, api_app_id: 'A_HUB', team: { id: 'T111' }, channel: { id: `D_${user}` }, message: { ts: '1.1' }, trigger_id: 'trig', actions: [{ action_id: actionId, value, type: 'button' }] }))}`;
}

async function requests(h: SlackHarness): Promise<ConsentRequest[]> {
  return (await h.runtime.service.store.kvList<ConsentRequest>('consent')).map((r) => r.value);
}

describe('/distill in Slack, with consent', () => {
  let h: SlackHarness;
  afterEach(async () => h?.close());

  async function start(): Promise<SlackHarness> {
    h = await startSlack({ env: { UNDERSTUDY_ADMINS: 'slack:U_ADMIN' } });
    seedWorkspace(h);
    return h;
  }

  it('asks the subject, collects nothing before Approve, then collects with pagination through a 429 and the avatar answers', async () => {
    await start();
    h.fake.fail('conversations.history', { status: 429, retryAfter: 1, times: 1 });
    expect((await h.send(command('<@U_SUBJ|wang.fang> --since 30d', 'U_ADMIN'), { form: true })).status).toBe(200);
    await h.idle();
    const dm = h.fake.of('chat.postMessage').find((c) => JSON.stringify(c.args.blocks ?? '').includes('understudy_consent_approve'));
    expect(dm?.args.channel).toBe('D_SUBJ');
    expect(String(dm?.args.text)).toMatch(/asks to build a digital avatar of you[\s\S]*Nothing is collected unless you approve/);
    expect(h.fake.of('conversations.history')).toHaveLength(0);
    const [req] = await requests(h);
    expect(req.status).toBe('pending');

    await h.send(button('understudy_consent_approve', req.id, 'U_SUBJ'), { form: true });
    await h.idle();
    expect((await requests(h))[0].status).toBe('completed');
    expect(h.fake.of('conversations.history').filter((c) => c.args.cursor === '1')).toHaveLength(1);
    expect(h.fake.of('conversations.history').filter((c) => c.args.failed)).toHaveLength(1);
    expect(h.fake.of('conversations.history').some((c) => c.args.channel === 'C_OTHER')).toBe(false);
    const yaml = fs.readFileSync(path.join(h.root, 'avatars/wang-fang/avatar.yaml'), 'utf8');
    expect(yaml).toMatch(/basis: consent/);
    expect(yaml).toMatch(/slack:U_SUBJ/);
    expect(shownText(h.fake.calls)).toMatch(/The avatar @wang-fang-avatar is ready/);
    expect(fs.existsSync(path.join(h.root, 'avatars/wang-fang/versions/001/skill.md'))).toBe(true);
    const audit = (await h.runtime.service.store.auditEntries({ avatar: 'wang-fang' })).map((e) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['consent_requested', 'consent_approved', 'distill']));

    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_Q', user: 'U_Q', text: '@wang-fang-avatar how do I rotate the ledger-db password?' }));
    await h.idle();
    const answer = h.fake.of('chat.update').at(-1);
    // Slack-sourced chunks link to their permalinks.
    expect(JSON.stringify(answer?.args.blocks)).toMatch(/<https:\/\/test.slack.com\/archives\/C_PAY\/p\d+\|#payments>/);
    // The private channel's note stays out of a DM of someone who is not a member.
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_Q', user: 'U_Q', text: 'when does the ledger replica lag alert fire?' }));
    await h.idle();
    expect(JSON.stringify(h.fake.of('chat.update').at(-1)?.args.blocks)).not.toMatch(/30 seconds/);
  }, 30_000);

  it('stores nothing when the subject declines, and tells the requester', async () => {
    await start();
    await h.send(command('<@U_SUBJ|wang.fang>', 'U_ADMIN'), { form: true });
    await h.idle();
    const [req] = await requests(h);
    await h.send(button('understudy_consent_decline', req.id, 'U_SUBJ'), { form: true });
    await h.idle();
    expect((await requests(h))[0].status).toBe('declined');
    expect(h.fake.of('conversations.history')).toHaveLength(0);
    expect(fs.existsSync(path.join(h.root, 'avatars/wang-fang'))).toBe(false);
    expect(shownText(h.fake.of('chat.postMessage').filter((c) => c.args.channel === 'D_ADMIN'))).toMatch(/declined the distillation/);
  });

  it('lets only the subject decide, and refuses an expired request', async () => {
    await start();
    await h.send(command('<@U_SUBJ|wang.fang>', 'U_ADMIN'), { form: true });
    await h.idle();
    const [req] = await requests(h);
    await h.send(button('understudy_consent_approve', req.id, 'U_ADMIN'), { form: true });
    await h.idle();
    expect((await requests(h))[0].status).toBe('pending');
    await h.runtime.service.store.kvSet('consent', req.id, { ...req, expiresAt: new Date(Date.now() - 1000).toISOString() });
    await h.send(button('understudy_consent_approve', req.id, 'U_SUBJ'), { form: true });
    await h.idle();
    expect((await requests(h))[0].status).toBe('expired');
    expect(h.fake.of('conversations.history')).toHaveLength(0);
  });

  it('refuses a requester who is neither the subject nor an admin, and audits it', async () => {
    await start();
    await h.send(command('<@U_SUBJ|wang.fang>', 'U_NOBODY'), { form: true });
    await h.idle();
    expect(shownText(h.fake.calls)).toMatch(/Only the person themself or an admin/);
    expect(await h.runtime.service.store.auditEntries({ action: 'distill_refused' })).toHaveLength(1);
    expect(await requests(h)).toHaveLength(0);
  });

  it('gives clear replies for a bot, an unknown user, no target, and a second self-distillation', async () => {
    await start();
    h.fake.unknownUsers.add('U_GHOST');
    await h.send(command('<@U_BOT|deploybot>', 'U_ADMIN'), { form: true });
    await h.send(command('<@U_GHOST|ghost>', 'U_ADMIN'), { form: true });
    await h.send(command('', 'U_ADMIN'), { form: true });
    await h.idle();
    const text = shownText(h.fake.calls);
    expect(text).toMatch(/can't distill a bot/);
    expect(text).toMatch(/can't find the user U_GHOST/);
    expect(text).toMatch(/Usage: `\/distill @someone/);
    await h.send(command('me', 'U_SUBJ', 'D_SUBJ'), { form: true });
    await h.idle();
    await h.send(command('me', 'U_SUBJ', 'D_SUBJ'), { form: true });
    await h.idle();
    expect(shownText(h.fake.calls)).toMatch(/You already have an avatar, @wang-fang-avatar/);
  }, 30_000);

  it('creates no avatar when the person has no messages', async () => {
    await start();
    h.fake.users.set('U_QUIET', { name: 'quiet', real_name: 'Quiet Person' });
    await h.send(command('me', 'U_QUIET', 'D_QUIET'), { form: true });
    await h.idle();
    expect(shownText(h.fake.calls)).toMatch(/found no messages of Quiet Person/);
    expect(fs.existsSync(path.join(h.root, 'avatars/quiet-person'))).toBe(false);
  });

  it('names the missing scope when Slack refuses to list channels', async () => {
    await start();
    h.fake.fail('conversations.list', { error: 'missing_scope', needed: 'channels:read', times: 1 });
    await h.send(command('me', 'U_SUBJ', 'D_SUBJ'), { form: true });
    await h.idle();
    expect(shownText(h.fake.calls)).toMatch(/missing_scope; add the bot scope channels:read/);
  });

  it('resumes a collection that stopped halfway, without duplicate chunks', async () => {
    await start();
    h.fake.fail('conversations.history', { error: 'internal_error', times: 5 });
    await h.send(command('me', 'U_SUBJ', 'D_SUBJ'), { form: true });
    await h.idle();
    expect(shownText(h.fake.calls)).toMatch(/The distillation stopped/);
    expect((await requests(h))[0].status).toBe('approved');
    h.fake.fail('conversations.history', { error: 'internal_error', times: 0 });
    await h.send(command('me', 'U_SUBJ', 'D_SUBJ'), { form: true });
    await h.idle();
    expect(shownText(h.fake.calls)).toMatch(/Resuming the distillation/);
    expect((await requests(h))[0].status).toBe('completed');
    const chunks = [...h.runtime.service.index('wang-fang').chunkStore().iterateChunks()];
    const keys = chunks.map((c) => `${c.source}#${c.locator}#${c.text}`);
    expect(new Set(keys).size).toBe(keys.length);
  }, 30_000);
});

describe('the subject controls their avatar', () => {
  let h: SlackHarness;
  afterEach(async () => h?.close());

  it('shows what it holds, pauses, resumes, exports and revokes it within seconds', async () => {
    h = await startSlack({ env: { UNDERSTUDY_ADMINS: 'slack:U_ADMIN' } });
    seedWorkspace(h);
    await h.send(command('me', 'U_SUBJ', 'D_SUBJ'), { form: true });
    await h.idle();
    const avatar = (text: string, user = 'U_SUBJ') => h.send(command(text, user, `D_${user}`).replace('command=%2Fdistill', 'command=%2Favatar'), { form: true });
    await avatar('mine');
    await h.idle();
    expect(shownText(h.fake.of('chat.postEphemeral'))).toMatch(/@wang-fang-avatar[\s\S]*Consent: self[\s\S]*Controls:/);
    await avatar('pause');
    await h.idle();
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_Q', user: 'U_Q', text: '@wang-fang-avatar how do I page on-call?' }));
    await h.idle();
    expect(shownText(h.fake.calls)).toMatch(/not available right now \(paused\)/);
    await avatar('resume');
    await avatar('pause wang-fang', 'U_Q');
    await h.idle();
    expect(shownText(h.fake.calls)).toMatch(/Only the person the avatar is of, or an admin/);
    await avatar('export');
    await h.idle();
    expect(h.fake.calls.some((c) => c.method.startsWith('files.'))).toBe(true);
    const started = Date.now();
    await avatar('revoke');
    await h.idle();
    expect(Date.now() - started).toBeLessThan(5_000);
    const dir = path.join(h.root, 'avatars/wang-fang');
    expect(fs.existsSync(path.join(dir, 'corpus'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'versions'))).toBe(false);
    expect(fs.existsSync(path.join(h.root, 'data/avatars/wang-fang'))).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'avatar.yaml'), 'utf8')).toMatch(/status: revoked/);
    const revokeAudit = await h.runtime.service.store.auditEntries({ action: 'revoke' });
    expect(revokeAudit).toHaveLength(1);
    expect(JSON.stringify(revokeAudit[0].detail)).not.toMatch(/vault|ledger/);
    await h.send(eventBody({ type: 'message', channel_type: 'im', channel: 'D_Q', user: 'U_Q', text: '@wang-fang-avatar how do I page on-call?' }));
    await h.idle();
    expect(shownText(h.fake.calls)).toMatch(/not available right now/);
  }, 30_000);
});
