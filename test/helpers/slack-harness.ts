import path from 'node:path';
import { PassThrough } from 'node:stream';
import { signSlackRequest } from '../../src/adapters/slack/verify';
import { createRuntime, type Runtime } from '../../src/app/runtime';
import { serve, type ServeHandle } from '../../src/serve';
import { silentLogger, type Logger } from '../../src/log';
import { FakeSlack } from './fake-slack';
import { makeAvatar, tmpDir } from './fixtures';

export const HUB_SECRET = 'hub-signing-secret';
export const LZ_SECRET = 'lz-signing-secret';

export interface SlackHarness {
  root: string;
  fake: FakeSlack;
  runtime: Runtime;
  handle: ServeHandle;
  url: string;
  send(body: unknown, opts?: { secret?: string; form?: boolean; retryNum?: number; timestamp?: number; raw?: string }): Promise<Response>;
  idle(): Promise<void>;
  close(): Promise<void>;
  restart(): Promise<SlackHarness>;
}

export const LZ_FILES = {
  'runbooks/rollback.md': '# Rollback billing-gateway\n\nIf it touches money, roll back first and debug later. Run `deployctl rollback billing-gateway --to v2.14.2`.\n',
  'runbooks/deploy.md': '# Deploy billing-gateway\n\nRun `deployctl release billing-gateway --env prod`; the canary goes 5%, 25%, 50%, then 100%.\n',
  'private/handover.md': '# Handover notes\n\nThe transactions-secondary rota merge is planned for August and not announced yet.\n',
  'public/faq.md': '# Partner API FAQ\n\nPartner write endpoints allow 200 requests per second.\n',
};

const LZ_YAML = `visibility:
  default: team
  rules:
    - path: "private/**"
      visibility: private
      audience: ["slack:U_MGR"]
    - path: "public/**"
      visibility: public
apps:
  slack:
    app_id: A_LZ
    team_id: T111
    bot_token_env: LZ_SLACK_BOT_TOKEN
    signing_secret_env: LZ_SLACK_SIGNING_SECRET
`;

export function slackWorkspace(): string {
  const root = tmpDir('slack-');
  makeAvatar(root, 'lao-zhang', LZ_FILES, LZ_YAML);
  makeAvatar(root, 'lin-xiaoyu', { 'pricing.md': '# Pricing decisions\n\nThe PLUS membership costs 99 yuan in the first year.\n' });
  return root;
}

/** A started fake Slack that knows the hub's and lao-zhang's bot tokens (xoxb-hub, xoxb-lz). */
export async function startFakeSlack(): Promise<FakeSlack> {
  const fake = new FakeSlack();
  await fake.start();
  fake.tokens.set('xoxb-hub', { user_id: 'U_HUBBOT', team_id: 'T111', bot_id: 'B_HUB' });
  fake.tokens.set('xoxb-lz', { user_id: 'U_LZBOT', team_id: 'T111', bot_id: 'B_LZ' });
  return fake;
}

export async function startSlack(options: { root?: string; fake?: FakeSlack; env?: Record<string, string>; rate?: number; logger?: Logger } = {}): Promise<SlackHarness> {
  const root = options.root ?? slackWorkspace();
  let fake = options.fake;
  const ownFake = !fake;
  if (!fake) fake = await startFakeSlack();
  const env = {
    PORT: '0',
    SLACK_SIGNING_SECRET: HUB_SECRET,
    SLACK_BOT_TOKEN: 'xoxb-hub',
    SLACK_API_URL: fake.url,
    LZ_SLACK_BOT_TOKEN: 'xoxb-lz',
    LZ_SLACK_SIGNING_SECRET: LZ_SECRET,
    UNDERSTUDY_RATE_USER_PER_MIN: String(options.rate ?? 1000),
    UNDERSTUDY_RATE_WORKSPACE_PER_MIN: String((options.rate ?? 1000) * 10),
    ...options.env,
  };
  const runtime = createRuntime(env, { avatarsDir: path.join(root, 'avatars'), dataDir: path.join(root, 'data') }, { logger: options.logger ?? silentLogger });
  const out = new PassThrough();
  out.resume();
  const handle = await serve(runtime, { stdout: out, stderr: out, stdin: new PassThrough(), env, cwd: root, isTTY: false }, { interactive: false });
  const url = `http://127.0.0.1:${handle.port}/slack/events`;
  const h: SlackHarness = {
    root,
    fake,
    runtime,
    handle,
    url,
    async send(body, opts = {}) {
      const raw = opts.raw ?? (opts.form ? String(body) : JSON.stringify(body));
      const headers: Record<string, string> = {
        'content-type': opts.form ? 'application/x-www-form-urlencoded' : 'application/json',
        ...signSlackRequest(opts.secret ?? HUB_SECRET, raw, opts.timestamp),
      };
      if (opts.retryNum !== undefined) {
        headers['x-slack-retry-num'] = String(opts.retryNum);
        headers['x-slack-retry-reason'] = 'http_timeout';
      }
      return fetch(url, { method: 'POST', headers, body: raw });
    },
    idle: () => handle.router.idle(),
    async close() {
      await handle.close();
      runtime.close();
      if (ownFake) await fake?.stop();
    },
    async restart() {
      await handle.close();
      runtime.close();
      const next = await startSlack({ root, fake, env: options.env, rate: options.rate });
      // The restarted harness now owns the fake server's lifetime.
      const closeNext = next.close;
      next.close = async () => {
        await closeNext();
        if (ownFake) await fake?.stop();
      };
      return next;
    },
  };
  return h;
}

let n = 0;
/** A slash command as Slack posts it (form-encoded), from a user in a channel (a DM by default). */
export function slashCommand(name: string, text: string, opts: { user: string; channel?: string; channelName?: string; app?: string }): string {
  const channel = opts.channel ?? `D_${opts.user}`;
  return new URLSearchParams({
    token: 't', team_id: 'T111', api_app_id: opts.app ?? 'A_HUB', channel_id: channel, channel_name: opts.channelName ?? (channel.startsWith('D') ? 'directmessage' : channel),
    user_id: opts.user, user_name: opts.user.toLowerCase(), command: `/${name}`, text, response_url: 'http://127.0.0.1:1/x', trigger_id: `trig.${Math.random()}`,
  }).toString();
}

/** An Events API envelope around `event`, fresh ids and a current ts unless given. */
export function eventBody(event: Record<string, unknown>, opts: { app?: string; eventId?: string } = {}): Record<string, unknown> {
  n++;
  const ts = (event.ts as string | undefined) ?? `${Math.floor(Date.now() / 1000)}.${String(100000 + n).slice(-6)}`;
  return {
    token: 'verification_token',
    team_id: 'T111',
    api_app_id: opts.app ?? 'A_HUB',
    event: { ts, event_ts: ts, team: 'T111', ...event },
    type: 'event_callback',
    event_id: opts.eventId ?? `Ev${Date.now()}${n}`,
    event_time: Math.floor(Date.now() / 1000),
  };
}

/** All text a set of Slack calls would show (text and blocks), for leak checks. */
export function shownText(calls: { args: Record<string, unknown> }[]): string {
  return calls.map((c) => `${String(c.args.text ?? '')}\n${JSON.stringify(c.args.blocks ?? '')}`).join('\n');
}
