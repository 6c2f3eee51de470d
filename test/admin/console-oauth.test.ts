import { LOCAL_VIEWER } from '../../src/avatars/visibility';
import { rawRequest as request } from '../helpers/raw-http';
import { startConsoleServer, type ConsoleServer } from './console-server';
import { FakeOAuth } from './fake-oauth';

// Sign in with Slack (OpenID Connect) and Feishu (authen v1) against fakes that speak their wire
// formats, through the real server: admins see everything, the person an avatar is of sees only
// their own, anyone else is turned away, and a sign-in cannot be replayed or finished in another browser.

const ADMIN_URL = 'http://console.test';

describe('admin console: Sign in with Slack and Feishu', () => {
  let fake: FakeOAuth;
  let s: ConsoleServer;

  beforeAll(async () => {
    fake = new FakeOAuth();
    await fake.start();
    s = await startConsoleServer({
      ADMIN_URL,
      SLACK_CLIENT_ID: fake.slackClient.id,
      SLACK_CLIENT_SECRET: fake.slackClient.secret,
      SLACK_API_URL: `${fake.url}/api/`,
      LARK_APP_ID: fake.larkApp.id,
      LARK_APP_SECRET: fake.larkApp.secret,
      LARK_VERIFICATION_TOKEN: 'lark-verification-token',
      LARK_DOMAIN: fake.url,
      UNDERSTUDY_ADMINS: 'slack:U_ADMIN',
    });
    // Questions to both avatars, so that the audit log has entries about each.
    for (const slug of ['lin-xiaoyu', 'lao-zhang']) await s.rt.service.ask(slug, { question: 'How do refunds work?', conversation: `oauth-test:${slug}`, actor: 'slack:U_ASKER', viewer: LOCAL_VIEWER });
  }, 60_000);
  afterAll(async () => {
    await s?.close();
    await fake?.stop();
  });

  /** Start at /admin/oauth/<p>/start as a browser would, then come back with `code`; the cookies the browser ends up with. */
  async function platformSignIn(provider: 'slack' | 'lark', code: string, opts: { dropStateCookie?: boolean } = {}): Promise<{ status: number; location?: string; cookie?: string; body: string; state: string; stateCookie: string }> {
    const start = await request(s.port, 'GET', `/admin/oauth/${provider}/start?next=/admin/audit`);
    expect(start.status).toBe(302);
    const to = new URL(String(start.headers.location));
    const state = String(to.searchParams.get('state'));
    expect(to.searchParams.get('redirect_uri')).toBe(`${ADMIN_URL}/admin/oauth/${provider}/callback`);
    const stateCookie = String(start.headers['set-cookie']?.[0]).split(';')[0];
    expect(String(start.headers['set-cookie']?.[0])).toMatch(/HttpOnly; SameSite=Lax/);
    const back = await request(s.port, 'GET', `/admin/oauth/${provider}/callback?code=${encodeURIComponent(code)}&state=${state}`, { headers: opts.dropStateCookie ? {} : { cookie: stateCookie } });
    const session = (back.headers['set-cookie'] ?? []).find((c) => c.startsWith('understudy_admin='));
    return { status: back.status, location: back.headers.location, cookie: session?.split(';')[0], body: back.body, state, stateCookie };
  }

  const get = (cookie: string, path: string) => request(s.port, 'GET', `/admin/api${path}`, { headers: { cookie } });

  it('offers both sign-ins and sends the browser to Slack and Feishu with our client id and a state', async () => {
    expect((await request(s.port, 'GET', '/admin/api/sign-in-methods')).json()).toEqual({ token: true, slack: true, lark: true });
    const slack = await request(s.port, 'GET', '/admin/oauth/slack/start');
    const to = new URL(String(slack.headers.location));
    expect(`${to.origin}${to.pathname}`).toBe('https://slack.com/openid/connect/authorize');
    expect(Object.fromEntries(to.searchParams)).toMatchObject({ response_type: 'code', scope: 'openid profile', client_id: fake.slackClient.id });
    const lark = new URL(String((await request(s.port, 'GET', '/admin/oauth/lark/start')).headers.location));
    expect(`${lark.origin}${lark.pathname}`).toBe(`${fake.url}/open-apis/authen/v1/index`);
    expect(lark.searchParams.get('app_id')).toBe(fake.larkApp.id);
  });

  it('signs in the person an avatar is of (Slack) and shows them their own avatar only', async () => {
    fake.slackCodes.set('code-lin', { userId: 'U07LXY00001', teamId: 'T07UNDERSTUDY', name: 'Sarah Lin' });
    const r = await platformSignIn('slack', 'code-lin');
    expect(r.status).toBe(200);
    // A page on our own origin moves on, so that the SameSite=Strict cookie is sent.
    expect(r.body).toMatch(/http-equiv="refresh" content="0;url=\/admin\/audit"/);
    const cookie = r.cookie as string;
    expect((await get(cookie, '/session')).json()).toMatchObject({ actor: 'slack:U07LXY00001', role: 'subject', via: 'slack', name: 'Sarah Lin' });
    expect((await get(cookie, '/avatars')).json<{ slug: string }[]>().map((a) => a.slug)).toEqual(['lin-xiaoyu']);
    expect((await get(cookie, '/consent')).json<{ slug: string }[]>().map((a) => a.slug)).toEqual(['lin-xiaoyu']);
    for (const p of ['/avatars/lao-zhang/versions', '/avatars/lao-zhang/corrections', '/avatars/lao-zhang/eval']) expect([p, (await get(cookie, p)).status]).toEqual([p, 404]);
    const audit = (await get(cookie, '/audit?size=200')).json<{ entries: { avatar?: string; action: string }[] }>().entries;
    expect(audit.map((e) => e.action)).toContain('ask');
    expect(audit.length).toBeGreaterThan(0);
    expect(audit.every((e) => e.avatar === 'lin-xiaoyu')).toBe(true);
    // The subject sees that colleagues asked, not what.
    expect(JSON.stringify(audit)).not.toContain('How do refunds work?');
    expect((await get(cookie, '/audit?avatar=lao-zhang')).json<{ total: number }>().total).toBe(0);

    const { csrf } = (await get(cookie, '/session')).json<{ csrf: string }>();
    const post = (path: string) => request(s.port, 'POST', `/admin/api${path}`, { headers: { cookie, csrf, 'x-csrf-token': csrf, origin: `http://127.0.0.1:${s.port}`, 'content-type': 'application/json' }, body: '{}' });
    expect((await post('/avatars/lao-zhang/pause')).status).toBe(404);
    expect(s.rt.service.get('lao-zhang').config.status).toBe('active');
    expect((await post('/avatars/lin-xiaoyu/pause')).status).toBe(200);
    expect((await s.rt.service.store.auditEntries({ action: 'pause' })).at(-1)).toMatchObject({ actor: 'slack:U07LXY00001', avatar: 'lin-xiaoyu' });
    expect((await post('/avatars/lin-xiaoyu/resume')).status).toBe(200);
  });

  it('signs in an admin from UNDERSTUDY_ADMINS with Slack, and a subject with Feishu', async () => {
    fake.slackCodes.set('code-admin', { userId: 'U_ADMIN', teamId: 'T07UNDERSTUDY', name: 'Ada Admin' });
    const admin = await platformSignIn('slack', 'code-admin');
    expect((await get(admin.cookie as string, '/session')).json()).toMatchObject({ actor: 'slack:U_ADMIN', role: 'admin' });
    expect((await get(admin.cookie as string, '/avatars')).json<{ slug: string }[]>().map((a) => a.slug).sort()).toEqual(['lao-zhang', 'lin-xiaoyu']);

    fake.larkCodes.set('lark-code-lin', { openId: 'ou_linxy0001', name: '林晓雨' });
    const lark = await platformSignIn('lark', 'lark-code-lin');
    expect(lark.status).toBe(200);
    expect((await get(lark.cookie as string, '/session')).json()).toMatchObject({ actor: 'lark:ou_linxy0001', role: 'subject', via: 'lark' });
    expect((await get(lark.cookie as string, '/avatars')).json<{ slug: string }[]>().map((a) => a.slug)).toEqual(['lin-xiaoyu']);
    const signIns = (await s.rt.service.store.auditEntries({ action: 'admin_sign_in' })).map((e) => [e.actor, e.detail]);
    expect(signIns).toEqual(expect.arrayContaining([['slack:U_ADMIN', { via: 'slack', role: 'admin' }], ['lark:ou_linxy0001', { via: 'lark', role: 'subject' }]]));
  });

  it('turns away strangers, bad codes, replayed states and a callback in another browser, with no session', async () => {
    fake.slackCodes.set('code-stranger', { userId: 'U_STRANGER', teamId: 'T07UNDERSTUDY', name: 'Stranger' });
    const stranger = await platformSignIn('slack', 'code-stranger');
    expect([stranger.status, stranger.location, stranger.cookie]).toEqual([302, '/admin/sign-in?error=not-allowed', undefined]);
    expect((await s.rt.service.store.auditEntries({ action: 'admin_sign_in_refused' })).at(-1)).toMatchObject({ actor: 'slack:U_STRANGER', detail: { via: 'slack' } });

    const bad = await platformSignIn('lark', 'no-such-code');
    expect([bad.location, bad.cookie]).toEqual(['/admin/sign-in?error=unconfirmed', undefined]);

    fake.slackCodes.set('code-elsewhere', { userId: 'U07LXY00001', teamId: 'T07UNDERSTUDY', name: 'Sarah Lin' });
    const elsewhere = await platformSignIn('slack', 'code-elsewhere', { dropStateCookie: true });
    expect([elsewhere.location, elsewhere.cookie]).toEqual(['/admin/sign-in?error=expired', undefined]);

    // A state is good once: the same callback again is refused.
    fake.slackCodes.set('code-once', { userId: 'U07LXY00001', teamId: 'T07UNDERSTUDY', name: 'Sarah Lin' });
    const once = await platformSignIn('slack', 'code-once');
    expect(once.cookie).toBeDefined();
    fake.slackCodes.set('code-once', { userId: 'U07LXY00001', teamId: 'T07UNDERSTUDY', name: 'Sarah Lin' });
    const replay = await request(s.port, 'GET', `/admin/oauth/slack/callback?code=code-once&state=${once.state}`, { headers: { cookie: once.stateCookie } });
    expect([replay.status, replay.headers.location]).toEqual([302, '/admin/sign-in?error=expired']);
    // The client secret went to Slack only in the token exchange, never in a browser redirect.
    expect(JSON.stringify((await request(s.port, 'GET', '/admin/oauth/slack/start')).headers)).not.toContain(fake.slackClient.secret);
  });
});
