import YAML from 'yaml';
import { loadAvatarPackage } from '../../src/avatars/package';
import { manifestGenerator, MANIFEST_GENERATORS } from '../../src/manifests';
import { SLACK_BOT_EVENTS, SLACK_BOT_SCOPES, SLACK_LIMITS, slackManifestGenerator } from '../../src/manifests/slack';
import type { ManifestInput } from '../../src/manifests/types';
import { makeAvatar, tmpDir } from '../helpers/fixtures';

interface Manifest {
  _metadata: { major_version: number };
  display_information: { name: string; description: string };
  features: {
    bot_user: { display_name: string };
    slash_commands: { command: string; url?: string; description: string; usage_hint: string }[];
    assistant_view: { assistant_description: string };
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    event_subscriptions: { request_url?: string; bot_events: string[] };
    interactivity: { is_enabled: boolean; request_url?: string };
    socket_mode_enabled: boolean;
  };
}

function input(overrides: Partial<ManifestInput> = {}): ManifestInput {
  const root = tmpDir('manifest-');
  const avatar = loadAvatarPackage(makeAvatar(root, 'lao-zhang', {}));
  avatar.config.display_name = '老张 Lao Zhang (digital avatar) of the payments platform team';
  return {
    avatar,
    avatars: [avatar],
    socket: false,
    baseUrl: 'https://bot.example.com/',
    commands: [
      { name: 'avatar', usage: '/avatar help' },
      { name: 'summarize', usage: '/summarize [this thread]' },
    ],
    ...overrides,
  };
}

function parse(text: string): Manifest {
  return YAML.parse(text) as Manifest;
}

describe('Slack app manifest', () => {
  it('names the bot user after the handle, within Slack limits, with the scopes every event needs', () => {
    const m = parse(slackManifestGenerator.generate(input()));
    expect(m._metadata.major_version).toBe(1);
    expect(m.features.bot_user.display_name).toBe('lao-zhang-avatar');
    expect(m.features.bot_user.display_name).toMatch(/^[a-z0-9._-]{1,80}$/);
    expect(m.display_information.name.length).toBeLessThanOrEqual(SLACK_LIMITS.name);
    expect(m.display_information.description.length).toBeLessThanOrEqual(SLACK_LIMITS.description);
    expect(m.display_information.description).toMatch(/Digital avatar of Test Person lao-zhang/);
    const scopes = m.oauth_config.scopes.bot;
    for (const s of ['chat:write', 'im:history', 'app_mentions:read', 'channels:history', 'users:read', 'commands']) expect(scopes).toContain(s);
    for (const [event, scope] of Object.entries(SLACK_BOT_EVENTS)) {
      expect(m.settings.event_subscriptions.bot_events).toContain(event);
      expect(scopes).toContain(scope);
    }
    expect(new Set(scopes).size).toBe(SLACK_BOT_SCOPES.length);
  });

  it('points events, commands and interactivity at /slack/events in HTTP mode', () => {
    const m = parse(slackManifestGenerator.generate(input()));
    expect(m.settings.socket_mode_enabled).toBe(false);
    expect(m.settings.event_subscriptions.request_url).toBe('https://bot.example.com/slack/events');
    expect(m.settings.interactivity).toEqual({ is_enabled: true, request_url: 'https://bot.example.com/slack/events' });
    expect(m.features.slash_commands.map((c) => c.command)).toEqual(['/avatar', '/summarize']);
    expect(m.features.slash_commands.every((c) => c.url === 'https://bot.example.com/slack/events')).toBe(true);
  });

  it('has no request URLs in Socket Mode', () => {
    const m = parse(slackManifestGenerator.generate(input({ socket: true })));
    expect(m.settings.socket_mode_enabled).toBe(true);
    expect(m.settings.event_subscriptions.request_url).toBeUndefined();
    expect(m.settings.interactivity).toEqual({ is_enabled: true });
    expect(m.features.slash_commands.every((c) => c.url === undefined)).toBe(true);
  });

  it('describes the hub app with every avatar it hosts', () => {
    const i = input();
    const m = parse(slackManifestGenerator.generate({ ...i, avatar: undefined }));
    expect(m.display_information.name).toBe('Understudy');
    expect(m.features.bot_user.display_name).toBe('understudy');
    expect(m.display_information.description).toMatch(/Test Person lao-zhang/);
  });

  it('finds generators by platform and names the known ones for an unknown platform', () => {
    expect(manifestGenerator('Slack')).toBe(slackManifestGenerator);
    expect(MANIFEST_GENERATORS.map((g) => g.platform)).toContain('slack');
    expect(() => manifestGenerator('teams')).toThrow(/--platform must be one of slack.*"teams"/);
  });

  it('tells which variables to set after install, by name: the avatar\'s own or the hub\'s', () => {
    const root = tmpDir('manifest-apps-');
    const yaml = 'apps:\n  slack:\n    app_id: A_LZ\n    bot_token_env: LZ_SLACK_BOT_TOKEN\n    signing_secret_env: LZ_SLACK_SIGNING_SECRET\n    app_token_env: LZ_SLACK_APP_TOKEN\n';
    const avatar = loadAvatarPackage(makeAvatar(root, 'lao-zhang', {}, yaml));
    const own = slackManifestGenerator.generate(input({ avatar }));
    expect(own).toMatch(/^# Own app for @lao-zhang-avatar \(avatar.yaml apps.slack.app_id A_LZ\)\. After installing it, set LZ_SLACK_BOT_TOKEN and LZ_SLACK_SIGNING_SECRET/m);
    expect(slackManifestGenerator.generate(input({ avatar, socket: true }))).toMatch(/set LZ_SLACK_BOT_TOKEN and LZ_SLACK_APP_TOKEN; SLACK_MODE=socket/);
    expect(slackManifestGenerator.generate(input())).toMatch(/add to avatars\/lao-zhang\/avatar.yaml/);
    expect(slackManifestGenerator.generate(input({ avatar: undefined }))).toMatch(/set SLACK_BOT_TOKEN .* and SLACK_SIGNING_SECRET/);
    // Comments aside, the manifest is plain data Slack accepts: no secret-looking values.
    expect(own).not.toMatch(/xox[abp]-[A-Za-z0-9]|xapp-[A-Za-z0-9]/);
  });
});
