import http from 'node:http';
import { closeFake, listenFake } from '../helpers/fake-server';

/**
 * The sign-in halves of Slack (OpenID Connect: openid.connect.token, openid.connect.userInfo) and
 * Feishu (app_access_token, authen v1 access_token and user_info), speaking their wire formats,
 * plus the two calls a Feishu app makes at start (tenant token, bot info).
 */
export class FakeOAuth {
  /** Slack authorization codes -> the user they sign in. */
  readonly slackCodes = new Map<string, { userId: string; teamId: string; name: string }>();
  /** Feishu authorization codes -> the user they sign in. */
  readonly larkCodes = new Map<string, { openId: string; name: string }>();
  readonly calls: { path: string; body: string; auth?: string }[] = [];
  private readonly tokens = new Map<string, { kind: 'slack'; userId: string; teamId: string; name: string } | { kind: 'lark'; openId: string; name: string }>();
  private server?: http.Server;
  private n = 0;
  url = '';

  constructor(readonly slackClient = { id: '111.222', secret: 'slack-client-secret' }, readonly larkApp = { id: 'cli_admin_test', secret: 'lark-app-secret' }) {}

  async start(): Promise<void> {
    ({ server: this.server, url: this.url } = await listenFake((req, res, body) => this.handle(req, res, body)));
  }

  async stop(): Promise<void> {
    await closeFake(this.server);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const path = (req.url ?? '').split('?')[0];
    const auth = (req.headers.authorization ?? '').replace(/^Bearer /, '') || undefined;
    this.calls.push({ path, body, auth });
    const reply = (json: unknown): void => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    const json = (): Record<string, unknown> => (body ? (JSON.parse(body) as Record<string, unknown>) : {});
    const token = (): string => `tok-${++this.n}`;
    switch (path) {
      case '/api/openid.connect.token': {
        const f = Object.fromEntries(new URLSearchParams(body));
        const user = this.slackCodes.get(f.code ?? '');
        if (f.client_id !== this.slackClient.id || f.client_secret !== this.slackClient.secret) return reply({ ok: false, error: 'invalid_client_id' });
        if (!user || !f.redirect_uri) return reply({ ok: false, error: 'invalid_code' });
        this.slackCodes.delete(f.code);
        const t = `xoxp-${token()}`;
        this.tokens.set(t, { kind: 'slack', ...user });
        return reply({ ok: true, access_token: t, token_type: 'Bearer', id_token: 'header.payload.signature' });
      }
      case '/api/openid.connect.userInfo': {
        const who = auth ? this.tokens.get(auth) : undefined;
        if (!who || who.kind !== 'slack') return reply({ ok: false, error: 'invalid_auth' });
        return reply({ ok: true, sub: who.userId, 'https://slack.com/user_id': who.userId, 'https://slack.com/team_id': who.teamId, name: who.name });
      }
      case '/open-apis/auth/v3/app_access_token/internal':
      case '/open-apis/auth/v3/tenant_access_token/internal': {
        const b = json();
        if (b.app_id !== this.larkApp.id || b.app_secret !== this.larkApp.secret) return reply({ code: 10014, msg: 'app secret invalid' });
        return reply({ code: 0, msg: 'ok', app_access_token: `a-${token()}`, tenant_access_token: `t-${token()}`, expire: 7200 });
      }
      case '/open-apis/bot/v3/info':
        return reply({ code: 0, msg: 'ok', bot: { open_id: 'ou_bot', app_name: 'Understudy' } });
      case '/open-apis/authen/v1/access_token': {
        const user = this.larkCodes.get(String(json().code ?? ''));
        if (!auth?.startsWith('a-') || !user) return reply({ code: 20003, msg: 'invalid code' });
        this.larkCodes.delete(String(json().code));
        const t = `u-${token()}`;
        this.tokens.set(t, { kind: 'lark', ...user });
        return reply({ code: 0, msg: 'success', data: { access_token: t, token_type: 'Bearer', expires_in: 6900, open_id: user.openId } });
      }
      case '/open-apis/authen/v1/user_info': {
        const who = auth ? this.tokens.get(auth) : undefined;
        if (!who || who.kind !== 'lark') return reply({ code: 99991663, msg: 'invalid access token' });
        return reply({ code: 0, msg: 'success', data: { open_id: who.openId, name: who.name, en_name: who.name } });
      }
      default:
        return reply({ code: 0, ok: true, data: {} });
    }
  }
}
