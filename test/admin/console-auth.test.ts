import fs from 'node:fs';
import path from 'node:path';
import { loadAvatarPackage } from '../../src/avatars/package';
import { loadConfig } from '../../src/config/env';
import { proposeCorrection } from '../../src/distill/corrections';
import { rawRequest as request } from '../helpers/raw-http';
import { ADMIN_TOKEN, signIn, startConsoleServer, type ConsoleServer } from './console-server';
import { slackWorkspace, slashCommand, startSlack, type SlackHarness } from '../helpers/slack-harness';

// The admin console is reachable by anyone who can reach the port, so it must give nothing away
// without a session, refuse a wrong token, and act only on calls from its own page.

const GETS = ['/avatars', '/consent', '/audit', '/audit/verify', '/session', '/avatars/lin-xiaoyu/corrections', '/avatars/lin-xiaoyu/versions', '/avatars/lin-xiaoyu/versions/1', '/avatars/lin-xiaoyu/eval', '/jobs/x'];
const POSTS = ['/avatars/lin-xiaoyu/pause', '/avatars/lin-xiaoyu/resume', '/avatars/lin-xiaoyu/reingest', '/avatars/lin-xiaoyu/corrections/1/approve', '/avatars/lin-xiaoyu/corrections/1/reject', '/avatars/lin-xiaoyu/versions/1/rollback', '/avatars/lin-xiaoyu/eval', '/sign-out', '/nope'];

describe('admin console: sign-in, sessions and CSRF', () => {
  let s: ConsoleServer;
  beforeAll(async () => {
    s = await startConsoleServer();
  }, 60_000);
  afterAll(async () => s?.close());

  const post = (url: string, headers: Record<string, string>, body = '{}') => request(s.port, 'POST', url, { headers: { 'content-type': 'application/json', ...headers }, body });

  it('answers 401 with no data on every admin API without a session, and sends the pages to sign-in', async () => {
    for (const p of GETS) {
      const res = await request(s.port, 'GET', `/admin/api${p}`);
      expect([p, res.status]).toEqual([p, 401]);
      expect(res.json()).toEqual({ ok: false, error: 'Sign in first.' });
    }
    for (const p of POSTS) {
      const res = await post(`/admin/api${p}`, { origin: s.origin, 'x-csrf-token': 'x' });
      expect([p, res.status]).toEqual([p, 401]);
      expect(res.json()).toEqual({ ok: false, error: 'Sign in first.' });
    }
    // A forged or stale cookie is no session either.
    expect((await request(s.port, 'GET', '/admin/api/avatars', { headers: { cookie: 'understudy_admin=forged' } })).status).toBe(401);
    for (const p of ['/admin', '/admin/', '/admin/audit', '/admin/skills?avatar=lin-xiaoyu']) {
      const res = await request(s.port, 'GET', p);
      expect([p, res.status]).toEqual([p, 302]);
      expect(res.headers.location).toMatch(/^\/admin\/sign-in\?next=/);
      expect(res.body).toBe('');
    }
    const page = await request(s.port, 'GET', '/admin/sign-in');
    expect([200, 503]).toContain(page.status); // 503 says the bundle is not built
    expect(page.body).not.toMatch(/lin-xiaoyu|lao-zhang/);
    if (page.status === 200) expect(page.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
  });

  it('refuses a wrong token, and the right one gives an HttpOnly, SameSite=Strict session that sign-out ends', async () => {
    for (const token of ['', 'wrong', `${ADMIN_TOKEN}x`, ADMIN_TOKEN.slice(0, -1)]) {
      const res = await post('/admin/api/sign-in', { origin: s.origin }, JSON.stringify({ token }));
      expect(res.status).toBe(401);
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    // Signing in is also a call only our own page may make (no login CSRF).
    expect((await post('/admin/api/sign-in', { origin: 'http://evil.example' }, JSON.stringify({ token: ADMIN_TOKEN }))).status).toBe(403);
    const ok = await post('/admin/api/sign-in', { origin: s.origin }, JSON.stringify({ token: ADMIN_TOKEN }));
    expect(ok.status).toBe(200);
    const setCookie = String(ok.headers['set-cookie']?.[0]);
    expect(setCookie).toMatch(/^understudy_admin=[A-Za-z0-9_-]{40,};/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\/admin/);
    const cookie = setCookie.split(';')[0];
    const session = await request(s.port, 'GET', '/admin/api/session', { headers: { cookie } });
    expect(session.json()).toMatchObject({ actor: 'admin:token', role: 'admin' });
    expect((await request(s.port, 'GET', '/admin', { headers: { cookie } })).status).not.toBe(302);
    const avatars = await request(s.port, 'GET', '/admin/api/avatars', { headers: { cookie } });
    expect(avatars.json<{ slug: string }[]>().map((a) => a.slug).sort()).toEqual(['lao-zhang', 'lin-xiaoyu']);
    // The token is nowhere in the state the server keeps.
    const db = fs.readFileSync(path.join(s.root, 'data', 'state.db'));
    expect(db.includes(ADMIN_TOKEN)).toBe(false);
    expect(db.includes(cookie.split('=')[1])).toBe(false);

    const { csrf } = session.json<{ csrf: string }>();
    expect((await post('/admin/api/sign-out', { origin: s.origin, cookie, 'x-csrf-token': csrf })).status).toBe(200);
    expect((await request(s.port, 'GET', '/admin/api/avatars', { headers: { cookie } })).status).toBe(401);
    const audit = await s.rt.service.store.auditEntries({ limit: 50 });
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['admin_sign_in_refused', 'admin_sign_in', 'admin_sign_out']));
    expect(JSON.stringify(audit)).not.toContain(ADMIN_TOKEN);
  });

  it('refuses a state-changing call without the CSRF token, with a wrong one, or from another origin (403), and does nothing', async () => {
    const { cookie, csrf } = await signIn(s);
    const pause = '/admin/api/avatars/lin-xiaoyu/pause';
    const refused: Record<string, string>[] = [
      { cookie, origin: s.origin },
      { cookie, origin: s.origin, 'x-csrf-token': 'wrong' },
      { cookie, origin: s.origin, 'x-csrf-token': `${csrf}x` },
      { cookie, origin: 'http://evil.example', 'x-csrf-token': csrf },
      { cookie, origin: 'null', 'x-csrf-token': csrf },
      { cookie, 'x-csrf-token': csrf },
      { cookie, referer: 'http://evil.example/page', 'x-csrf-token': csrf },
    ];
    for (const headers of refused) expect((await post(pause, headers)).status).toBe(403);
    // A form post (no preflight) is refused before anything else.
    expect((await request(s.port, 'POST', pause, { headers: { cookie, origin: s.origin, 'x-csrf-token': csrf, 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' })).status).toBe(415);
    expect(loadAvatarPackage(path.join(s.root, 'avatars', 'lin-xiaoyu')).config.status).toBe('active');
    expect(await s.rt.service.store.auditEntries({ action: 'pause' })).toHaveLength(0);

    const ok = await post(pause, { cookie, origin: s.origin, 'x-csrf-token': csrf });
    expect(ok.status).toBe(200);
    expect(ok.json()).toMatchObject({ slug: 'lin-xiaoyu', status: 'paused' });
    expect((await post('/admin/api/avatars/lin-xiaoyu/resume', { cookie, referer: `${s.origin}/admin`, 'x-csrf-token': csrf })).status).toBe(200);
  });

  it('decides corrections and rolls skill versions back through the same services, with errors for bad ids', async () => {
    const { cookie, csrf } = await signIn(s);
    const h = { cookie, origin: s.origin, 'x-csrf-token': csrf };
    const id = await proposeCorrection(s.rt.service.store, 'lin-xiaoyu', 'She says "PLUS" for the membership, never "VIP".', 'slack:U_ASKER');
    const pending = await request(s.port, 'GET', '/admin/api/avatars/lin-xiaoyu/corrections', { headers: { cookie } });
    expect(pending.json<{ id: number }[]>().map((c) => c.id)).toEqual([id]);
    expect((await post(`/admin/api/avatars/lin-xiaoyu/corrections/${id + 100}/approve`, h)).status).toBe(400);
    expect((await post('/admin/api/avatars/nobody/corrections/1/approve', h)).status).toBe(404);
    const approved = await post(`/admin/api/avatars/lin-xiaoyu/corrections/${id}/approve`, h);
    expect(approved.status).toBe(200);
    const v = approved.json<{ version: { version: number } }>().version.version;
    expect(fs.readFileSync(path.join(s.root, 'avatars', 'lin-xiaoyu', 'skill.md'), 'utf8')).toContain('never "VIP"');
    const versions = await request(s.port, 'GET', '/admin/api/avatars/lin-xiaoyu/versions', { headers: { cookie } });
    expect(versions.json<{ versions: { version: number }[] }>().versions[0].version).toBe(v);
    if (v > 1) {
      const back = await post(`/admin/api/avatars/lin-xiaoyu/versions/${v - 1}/rollback`, h);
      expect(back.status).toBe(200);
      expect(fs.readFileSync(path.join(s.root, 'avatars', 'lin-xiaoyu', 'skill.md'), 'utf8')).not.toContain('never "VIP"');
    }
    expect((await post('/admin/api/avatars/lin-xiaoyu/versions/999/rollback', h)).status).toBe(400);
    const actions = (await s.rt.service.store.auditEntries({ avatar: 'lin-xiaoyu', limit: 50 })).filter((e) => e.actor === 'admin:token').map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['correction_approved', ...(v > 1 ? ['rollback'] : [])]));
  });

  it('pages and filters the audit log and verifies its chain', async () => {
    const { cookie } = await signIn(s);
    const all = await request(s.port, 'GET', '/admin/api/audit?size=2', { headers: { cookie } });
    const body = all.json<{ entries: { seq: number }[]; total: number }>();
    expect(body.entries).toHaveLength(2);
    expect(body.entries[0].seq).toBeGreaterThan(body.entries[1].seq);
    const page2 = await request(s.port, 'GET', '/admin/api/audit?size=2&page=2', { headers: { cookie } });
    expect(page2.json<{ entries: { seq: number }[] }>().entries[0].seq).toBeLessThan(body.entries[1].seq);
    const filtered = await request(s.port, 'GET', '/admin/api/audit?actor=admin:token&action=pause&avatar=lin-xiaoyu', { headers: { cookie } });
    const f = filtered.json<{ entries: { actor: string; action: string }[]; total: number }>();
    expect(f.total).toBe(1);
    expect(f.entries[0]).toMatchObject({ actor: 'admin:token', action: 'pause' });
    const future = await request(s.port, 'GET', '/admin/api/audit?from=2999-01-01', { headers: { cookie } });
    expect(future.json<{ total: number }>().total).toBe(0);
    expect((await request(s.port, 'GET', '/admin/api/audit?from=yesterday', { headers: { cookie } })).status).toBe(400);
    const verify = await request(s.port, 'GET', '/admin/api/audit/verify', { headers: { cookie } });
    expect(verify.json()).toMatchObject({ ok: true });
  });
});

describe('admin console: the same actions as the chat commands', () => {
  let h: SlackHarness | undefined;
  afterEach(async () => h?.close());

  it('records pause and resume in the audit log exactly as /avatar pause and /avatar resume do', async () => {
    h = await startSlack({ root: slackWorkspace(), env: { ADMIN_TOKEN, UNDERSTUDY_ADMINS: 'slack:U_ADMIN' } });
    const store = h.runtime.service.store;
    const statusOf = (): string => loadAvatarPackage(path.join(h!.root, 'avatars', 'lin-xiaoyu')).config.status;
    await h.send(slashCommand('avatar', 'pause lin-xiaoyu', { user: 'U_ADMIN' }), { form: true });
    await h.idle();
    expect(statusOf()).toBe('paused');
    await h.send(slashCommand('avatar', 'resume lin-xiaoyu', { user: 'U_ADMIN' }), { form: true });
    await h.idle();
    expect(statusOf()).toBe('active');
    const fromChat = (await store.auditEntries({ avatar: 'lin-xiaoyu' })).filter((e) => e.action === 'pause' || e.action === 'resume');

    const origin = `http://127.0.0.1:${h.handle.port}`;
    const { cookie, csrf } = await signIn({ port: h.handle.port, origin });
    const headers = { cookie, origin, 'x-csrf-token': csrf, 'content-type': 'application/json' };
    expect((await request(h.handle.port, 'POST', '/admin/api/avatars/lin-xiaoyu/pause', { headers, body: '{}' })).status).toBe(200);
    expect(statusOf()).toBe('paused');
    // Paused for everyone: the running service reloaded it, as after the chat command.
    expect(h.runtime.service.get('lin-xiaoyu').config.status).toBe('paused');
    expect((await request(h.handle.port, 'POST', '/admin/api/avatars/lin-xiaoyu/resume', { headers, body: '{}' })).status).toBe(200);
    expect(statusOf()).toBe('active');
    const fromConsole = (await store.auditEntries({ avatar: 'lin-xiaoyu' })).filter((e) => (e.action === 'pause' || e.action === 'resume') && e.actor === 'admin:token');

    const shape = (e: { action: string; avatar?: string; detail?: Record<string, unknown> }) => ({ action: e.action, avatar: e.avatar, detail: e.detail });
    expect(fromChat.map((e) => e.actor)).toEqual(['slack:U_ADMIN', 'slack:U_ADMIN']);
    expect(fromConsole.map(shape)).toEqual(fromChat.map(shape));
    expect((await store.verifyAudit()).ok).toBe(true);
  });
});

describe('admin console: settings and sign-in limits', () => {
  it('refuses a short ADMIN_TOKEN and half a Slack client at start, naming the variable', () => {
    expect(() => loadConfig({ ADMIN_TOKEN: 'short' })).toThrow(/ADMIN_TOKEN must be at least 16 characters/);
    expect(() => loadConfig({ SLACK_CLIENT_ID: '111.222' })).toThrow(/SLACK_CLIENT_SECRET is required for Sign in with Slack/);
    expect(() => loadConfig({ ADMIN_URL: 'console.example.com' })).toThrow(/ADMIN_URL must be an http\(s\) URL/);
    expect(loadConfig({ ADMIN_TOKEN, ADMIN_URL: 'https://console.example.com/' }).adminOAuth.url).toBe('https://console.example.com');
  });

  it('says token sign-in is off without ADMIN_TOKEN, and limits guesses to 10 a minute per address', async () => {
    const off = await startConsoleServer({ ADMIN_TOKEN: '' });
    try {
      expect((await request(off.port, 'GET', '/admin/api/sign-in-methods')).json()).toEqual({ token: false, slack: false, lark: false });
      const res = await request(off.port, 'POST', '/admin/api/sign-in', { headers: { 'content-type': 'application/json', origin: off.origin }, body: JSON.stringify({ token: '' }) });
      expect(res.status).toBe(404);
      expect(res.json<{ error: string }>().error).toMatch(/ADMIN_TOKEN/);
    } finally {
      await off.close();
    }
    const s = await startConsoleServer();
    try {
      const attempt = (token: string) => request(s.port, 'POST', '/admin/api/sign-in', { headers: { 'content-type': 'application/json', origin: s.origin }, body: JSON.stringify({ token }) });
      for (let i = 0; i < 10; i++) expect((await attempt(`guess-${i}-xxxxxxxxxxxxxxxx`)).status).toBe(401);
      const limited = await attempt(ADMIN_TOKEN);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(limited.headers['set-cookie']).toBeUndefined();
    } finally {
      await s.close();
    }
  }, 60_000);
});
