import fs from 'node:fs';
import path from 'node:path';
import { loadAvatarPackage } from '../../src/avatars/package';
import { manifestGenerator } from '../../src/manifests';
import { LARK_LIMITS, LARK_SCOPES, larkManifestGenerator } from '../../src/manifests/lark';
import type { ManifestInput } from '../../src/manifests/types';
import { normalizeMenu } from '../../src/adapters/lark/normalize';
import { runCli } from '../helpers/cli';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

interface LarkManifest {
  app: { app_id: string; name: { zh_cn: string; en_us: string }; description: { zh_cn: string; en_us: string } };
  features: { bot: { enabled: boolean; menu: { event_key: string; name: { zh_cn: string; en_us: string } }[] } };
  scopes: { tenant: string[] };
  events: { mode: string; request_url?: string; subscribe: string[] };
  callbacks: { mode: string; request_url?: string; subscribe: string[] };
  environment: Record<string, string>;
  setup: string[];
}

const LARK_YAML = `apps:
  lark:
    app_id: cli_a1b2c3d4e5f60002
    app_secret_env: LZ_LARK_APP_SECRET
    encrypt_key_env: LZ_LARK_ENCRYPT_KEY
    verification_token_env: LZ_LARK_VERIFICATION_TOKEN
`;

function input(overrides: Partial<ManifestInput> = {}, yaml = LARK_YAML): ManifestInput {
  const root = tmpDir('lark-manifest-');
  const avatar = loadAvatarPackage(makeAvatar(root, 'lao-zhang', {}, yaml));
  return {
    avatar,
    avatars: [avatar],
    socket: false,
    baseUrl: 'https://bot.example.com/',
    commands: [
      { name: 'avatar', usage: '/avatar help' },
      { name: 'summarize', usage: '/summarize' },
      { name: 'distill', usage: '/distill @user' },
    ],
    ...overrides,
  };
}

const parse = (text: string): LarkManifest => JSON.parse(text) as LarkManifest;

describe('Feishu app configuration', () => {
  it('lists the bot, the events and the card callback on /lark/events, and the scopes they need', () => {
    const m = parse(larkManifestGenerator.generate(input()));
    expect(manifestGenerator('lark')).toBe(larkManifestGenerator);
    expect(larkManifestGenerator.suffix).toBe('lark.json');
    expect(m.app.app_id).toBe('cli_a1b2c3d4e5f60002');
    expect(m.features.bot.enabled).toBe(true);
    expect(m.events).toMatchObject({ mode: 'webhook', request_url: 'https://bot.example.com/lark/events' });
    expect(m.events.subscribe).toEqual(expect.arrayContaining(['im.message.receive_v1', 'application.bot.menu_v6']));
    expect(m.callbacks).toMatchObject({ request_url: 'https://bot.example.com/lark/events', subscribe: ['card.action.trigger'] });
    for (const s of ['im:message', 'im:message:send_as_bot', 'im:chat:readonly', 'contact:user.base:readonly']) expect(m.scopes.tenant).toContain(s);
    expect(m.scopes.tenant).toHaveLength(Object.keys(LARK_SCOPES).length);
    expect(m.environment).toEqual({ app_secret: 'LZ_LARK_APP_SECRET', encrypt_key: 'LZ_LARK_ENCRYPT_KEY', verification_token: 'LZ_LARK_VERIFICATION_TOKEN' });
    expect(m.setup.join('\n')).toMatch(/LZ_LARK_APP_SECRET, LZ_LARK_ENCRYPT_KEY, LZ_LARK_VERIFICATION_TOKEN/);
    expect([...m.app.name.zh_cn].length).toBeLessThanOrEqual(LARK_LIMITS.name);
    expect(m.app.description.en_us).toMatch(/Digital avatar of Test Person lao-zhang.*not the person/);
  });

  it('has menu items whose keys the adapter maps to the same commands as text', () => {
    const m = parse(larkManifestGenerator.generate(input()));
    const app = { name: 'lao-zhang', appId: 'cli_a1b2c3d4e5f60002', appSecret: 's' };
    const commands = m.features.bot.menu.map((i) => {
      const e = normalizeMenu({ event_key: i.event_key, operator: { operator_id: { open_id: 'ou_1' } } }, app, undefined);
      return `/${e?.command} ${e?.text}`.trim();
    });
    expect(commands).toEqual(['/avatar list', '/avatar info lao-zhang-avatar', '/avatar help', '/summarize', '/distill']);
    for (const i of m.features.bot.menu) expect([...i.name.zh_cn].length).toBeLessThanOrEqual(LARK_LIMITS.menuName);
  });

  it('uses the long connection without a request URL, and names LARK_* for the hub app', () => {
    const m = parse(larkManifestGenerator.generate(input({ avatar: undefined, socket: true })));
    expect(m.events).toEqual(expect.objectContaining({ mode: 'long_connection' }));
    expect(m.events.request_url).toBeUndefined();
    expect(m.callbacks.request_url).toBeUndefined();
    expect(m.environment.app_id).toBe('LARK_APP_ID');
    expect(m.setup.join('\n')).toMatch(/LARK_MODE=ws/);
    expect(m.app.description.zh_cn).toMatch(/Test Person lao-zhang/);
  });

  it('tells how to add the app to avatar.yaml when the avatar has none yet', () => {
    const m = parse(larkManifestGenerator.generate(input({}, '')));
    expect(m.app.app_id).toMatch(/<App ID/);
    expect(m.setup.join('\n')).toMatch(/avatars\/lao-zhang\/avatar\.yaml: apps: \{ lark: \{ app_id/);
  });

  it('is written by `understudy manifest <slug> --platform lark` to manifests/<slug>.lark.json', async () => {
    const cwd = tmpDir('cli-lark-manifest-');
    makeAvatar(cwd, 'lao-zhang', { 'notes.md': '# Notes\n\nRoll back first.\n' }, LARK_YAML);
    const res = await runCli(['manifest', 'lao-zhang', '--platform', 'lark', '--url', 'https://bot.example.org'], { cwd });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/Wrote manifests\/lao-zhang\.lark\.json/);
    const m = parse(fs.readFileSync(path.join(cwd, 'manifests', 'lao-zhang.lark.json'), 'utf8'));
    expect(m.events.request_url).toBe('https://bot.example.org/lark/events');
  });
});
